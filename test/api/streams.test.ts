import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generatedTransmissionId } from '../../src/domain/ids.js';
import { startHarness, type Harness } from '../harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  await h.request('POST', '/api/cameras', {
    id: 'front',
    name: 'Front',
    sources: [
      { id: 'main', role: 'main', url: 'rtsp://192.0.2.10/1' },
      { id: 'sub', role: 'sub', url: 'rtsp://192.0.2.10/2' },
    ],
  });
});
afterEach(() => h.close());

const mainTx = generatedTransmissionId('camera:front:main');
const yardPipeline = {
  nodes: [
    { id: 'cam', type: 'camera.source' },
    { id: 'gate', type: 'motion.gate', inputs: ['cam'] },
    { id: 'out', type: 'stream.publish_video', inputs: ['gate'], config: { publication_enabled: true, publication_camera_id: 'front', publication_label: 'IA' } },
  ],
};

async function expectRejected(method: string, path: string, body: unknown, status: number, code: string, field: string | null) {
  const before = await h.settingsBytes();
  const res = await h.request(method, path, body);
  expect(res.status, res.text).toBe(status);
  expect(res.json.error).toMatchObject({ code, field });
  expect(await h.settingsBytes()).toBe(before);
  return res;
}

describe('publications', () => {
  it('lists publications with the reference shape, filtered by camera', async () => {
    await h.request('POST', '/api/cameras', { id: 'other', name: 'Other', sources: [{ url: 'rtsp://192.0.2.11/1' }] });
    const res = await h.request('GET', '/api/streams/publications?camera_id=front');
    expect(res.json).toHaveLength(2);
    expect(res.json[1]).toEqual({
      id: 'camera:front:sub',
      owner_kind: 'camera_source',
      camera_id: 'front',
      camera_source_id: 'sub',
      pipeline_name: null,
      publish_node_id: null,
      enabled: true,
      role: 'sub',
      label: 'Baixa resolução',
      live_view_id: null,
      host_server_id: 'local',
      quality_policy: {},
      transport_policy: {},
      show_in_dashboard: true,
      show_in_home_assistant: true,
    });
    expect((await h.request('GET', '/api/streams/publications')).json).toHaveLength(3);
  });

  it('PUT writes enabled/role/label through to the camera source and keeps the overrides', async () => {
    const res = await h.request('PUT', '/api/streams/publications/camera-sources/front/sub', {
      enabled: false,
      role: 'zoom',
      label: 'Portão',
      transport_policy: { enable_webrtc: true },
      quality_policy: { profile_id: 'sd' },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ enabled: false, role: 'zoom', label: 'Portão', transport_policy: { enable_webrtc: true } });
    expect((await h.request('GET', '/api/cameras/front')).json.sources[1]).toMatchObject({ publish: false, role: 'zoom', label: 'Portão' });
    const tx = (await h.request('GET', `/api/streams/transmissions/${generatedTransmissionId('camera:front:sub')}`)).json;
    expect(tx).toMatchObject({ enabled: false, outputs: [{ codec: 'h264', width: 640, height: 360 }] });
    // A later camera save keeps the publication's own overrides.
    await h.request('PUT', '/api/cameras/front', {
      name: 'Front 2',
      sources: [
        { id: 'main', url: 'rtsp://192.0.2.10/1' },
        { id: 'sub', role: 'zoom', url: 'rtsp://192.0.2.10/2' },
      ],
    });
    expect((await h.request('GET', '/api/streams/publications?camera_id=front')).json[1].quality_policy).toEqual({ profile_id: 'sd' });
  });

  it('live_view_id groups two cameras into one live view', async () => {
    await h.request('POST', '/api/cameras', { id: 'back', name: 'Back', sources: [{ id: 'main', url: 'rtsp://192.0.2.12/1' }] });
    await h.request('PUT', '/api/streams/publications/camera-sources/front/main', { live_view_id: 'outside' });
    await h.request('PUT', '/api/streams/publications/camera-sources/back/main', { live_view_id: 'outside' });
    const views = (await h.request('GET', '/api/streams/live-views')).json;
    expect(views.map((v: { id: string }) => v.id).sort()).toEqual(['front', 'outside']);
    expect((await h.request('GET', '/api/streams/live-views/outside')).json.variants).toHaveLength(2);
  });

  it('POST /reconcile reports an empty diff when everything is reconciled', async () => {
    const res = await h.request('POST', '/api/streams/reconcile');
    expect(res.status).toBe(200);
    expect(res.json.diff).toEqual({ created: [], updated: [], removed: [] });
  });

  it.each([
    ['/api/streams/publications/camera-sources/front/sub', { enabled: 'yes' }, 422, 'invalid_field', 'enabled'],
    ['/api/streams/publications/camera-sources/front/sub', { quality_policy: { width: 5 } }, 422, 'invalid_field', 'quality_policy.width'],
    ['/api/streams/publications/camera-sources/front/sub', { quality_policy: { profile_id: 'ultra' } }, 422, 'invalid_field', 'quality_policy.profile_id'],
    ['/api/streams/publications/camera-sources/front/sub', { owner_kind: 'pipeline_output' }, 422, 'invalid_field', 'owner_kind'],
    ['/api/streams/publications/camera-sources/front/sub', '[1,', 400, 'malformed_json', 'body'],
    ['/api/streams/publications/camera-sources/front/nope', { enabled: true }, 404, 'not_found', null],
    ['/api/streams/publications/camera-sources/nope/main', { enabled: true }, 404, 'not_found', null],
  ])('PUT %s %j -> %i', async (path, body, status, code, field) => {
    await expectRejected('PUT', path, body, status, code, field);
  });

  it('GET /live-views/{id} of an unknown view is 404', async () => {
    expect((await h.request('GET', '/api/streams/live-views/none')).status).toBe(404);
  });
});

describe('pipelines', () => {
  it('PUT registers a pipeline, generates its publication and writes the transmission id back', async () => {
    const res = await h.request('PUT', '/api/streams/pipelines/yard-ai', yardPipeline);
    expect(res.status).toBe(201);
    const txId = generatedTransmissionId('pipeline:yard-ai:out');
    expect(res.json.nodes[2].config).toMatchObject({ transmission_id: txId, writer_priority: 0, resize_mode: 'contain', bypass_mode: 'auto' });
    expect(res.json.read_only).toBe(false);
    expect(res.json.status.warnings).toEqual([expect.objectContaining({ code: 'not_continuous', node_id: 'out' })]);
    expect((await h.request('GET', `/api/streams/transmissions/${txId}`)).json).toMatchObject({ input: 'writers', metadata: { owner_kind: 'pipeline_output' } });
    expect((await h.request('GET', '/api/streams/live-views/front')).json.variants.map((v: { label: string }) => v.label)).toEqual(['Principal', 'Baixa resolução', 'IA']);
    expect((await h.request('PUT', '/api/streams/pipelines/yard-ai', yardPipeline)).status).toBe(200);
  });

  it('disabling then deleting the pipeline disables then removes its artifacts', async () => {
    await h.request('PUT', '/api/streams/pipelines/yard-ai', yardPipeline);
    const txId = generatedTransmissionId('pipeline:yard-ai:out');
    await h.request('PUT', '/api/streams/pipelines/yard-ai', { ...yardPipeline, enabled: false });
    expect((await h.request('GET', `/api/streams/transmissions/${txId}`)).json.enabled).toBe(false);
    expect((await h.request('DELETE', '/api/streams/pipelines/yard-ai')).status).toBe(204);
    expect((await h.request('GET', `/api/streams/transmissions/${txId}`)).status).toBe(404);
    expect((await h.request('GET', '/api/streams/publications')).json.map((p: { id: string }) => p.id)).not.toContain('pipeline:yard-ai:out');
  });

  it('accepts a long pipeline name: generated labels and names are clipped', async () => {
    const name = 'p'.repeat(128);
    const res = await h.request('PUT', `/api/streams/pipelines/${name}`, { nodes: [{ id: 'cam', type: 'stream.publish_video', config: { publication_enabled: true } }] });
    expect(res.status).toBe(201);
    expect((await h.request('GET', `/api/streams/transmissions/${generatedTransmissionId(`pipeline:${name}:cam`)}`)).json.name.length).toBeLessThanOrEqual(160);
  });

  it('lists implicit camera pipelines as read-only, and runtime/pipelines shows who feeds what', async () => {
    await h.request('PUT', '/api/streams/pipelines/yard-ai', yardPipeline);
    const list = (await h.request('GET', '/api/streams/pipelines')).json;
    const implicit = list.find((p: { name: string }) => p.name === `transmission:${mainTx}`);
    expect(implicit).toMatchObject({ read_only: true, metadata: { generated_by: 'stream_publication', publication_id: 'camera:front:main' } });
    expect(implicit.nodes.map((n: { type: string }) => n.type)).toEqual(['camera.source', 'stream.publish_video']);
    const runtime = (await h.request('GET', '/api/streams/runtime/pipelines')).json;
    expect(runtime.find((r: { pipeline_name: string }) => r.pipeline_name === `transmission:${mainTx}`)).toMatchObject({
      implicit: true,
      transmissions: [{ node_id: 'publish', transmission_id: mainTx, publication_id: 'camera:front:main', transmission_exists: true, transmission_enabled: true }],
    });
    expect(runtime.find((r: { pipeline_name: string }) => r.pipeline_name === 'yard-ai')).toMatchObject({
      implicit: false,
      transmissions: [{ node_id: 'out', publication_id: 'pipeline:yard-ai:out' }],
      warnings: [{ code: 'not_continuous' }],
    });
  });

  it('editing or deleting an implicit pipeline is a 409 naming the camera source', async () => {
    const name = `transmission:${mainTx}`;
    const res = await expectRejected('PUT', `/api/streams/pipelines/${encodeURIComponent(name)}`, yardPipeline, 409, 'generated_artifact', null);
    expect(res.json.error.owner).toEqual({ kind: 'camera_source', edit: '/api/cameras/front', description: 'camera source "main" of camera "front"' });
    await expectRejected('DELETE', `/api/streams/pipelines/${encodeURIComponent(name)}`, undefined, 409, 'generated_artifact', null);
  });

  it.each([
    ['PUT', '/api/streams/pipelines/bad name', yardPipeline, 422, 'invalid_field', 'name'],
    [
      'PUT',
      '/api/streams/pipelines/p1',
      {
        nodes: [
          { id: 'a', type: 'x' },
          { id: 'a', type: 'y' },
        ],
      },
      422,
      'invalid_field',
      'nodes.1.id',
    ],
    ['PUT', '/api/streams/pipelines/p1', { nodes: [{ id: 'a', type: 'x', inputs: ['ghost'] }] }, 422, 'invalid_field', 'nodes.0.inputs.0'],
    ['PUT', '/api/streams/pipelines/p1', { nodes: [{ id: 'a', type: 'stream.publish_video', config: { writer_priority: 'high' } }] }, 422, 'invalid_field', 'nodes.0.config.writer_priority'],
    ['PUT', '/api/streams/pipelines/p1', { nodes: [{ id: 'a', type: 'stream.publish_video', config: { publication_role: 'wide' } }] }, 422, 'invalid_field', 'nodes.0.config.publication_role'],
    ['PUT', '/api/streams/pipelines/p1', { nodes: [{ id: 'a', type: 'Bad Type' }] }, 422, 'invalid_field', 'nodes.0.type'],
    ['PUT', '/api/streams/pipelines/p1', {}, 422, 'invalid_field', 'nodes'],
    ['PUT', '/api/streams/pipelines/p1', { nodes: [{ id: 'a', type: 'x', config: { k: JSON.parse('['.repeat(3000) + ']'.repeat(3000)) } }] }, 422, 'invalid_field', 'nodes.0.config'],
    ['PUT', '/api/streams/pipelines/p1', { nodes: [{ id: 'a', type: 'x', config: { k: 'x'.repeat(20_000) } }] }, 422, 'invalid_field', 'nodes.0.config'],
    ['PUT', '/api/streams/pipelines/p1', 'nodes', 400, 'malformed_json', 'body'],
    ['GET', '/api/streams/pipelines/none', undefined, 404, 'not_found', null],
    ['DELETE', '/api/streams/pipelines/none', undefined, 404, 'not_found', null],
  ])('%s %s %j -> %i', async (method, path, body, status, code, field) => {
    await expectRejected(method, path, body, status, code, field);
  });
});

describe('transmissions', () => {
  const manual = { name: 'Mosaic', outputs: [{ id: 'grid', engine_path: 'mosaic/grid', width: 1920, height: 1080, fps: 10 }] };

  it('creates, reads, replaces and deletes a manual transmission', async () => {
    const created = await h.request('POST', '/api/streams/transmissions', manual);
    expect(created.status).toBe(201);
    const id = created.json.id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.json).toMatchObject({
      name: 'Mosaic',
      input: 'writers',
      enabled: true,
      host_server_id: 'local',
      metadata: null,
      outputs: [{ id: 'grid', codec: 'h264', enable_hls: true, enable_webrtc: false }],
    });
    expect((await h.request('GET', '/api/streams/transmissions')).json.map((t: { id: string }) => t.id)).toContain(id);
    const replaced = await h.request('PUT', `/api/streams/transmissions/${id}`, { ...manual, name: 'Mosaic 2', outputs: [] });
    expect(replaced.json).toMatchObject({ name: 'Mosaic 2', outputs: [] });
    expect((await h.request('DELETE', `/api/streams/transmissions/${id}`)).status).toBe(204);
    expect((await h.request('GET', `/api/streams/transmissions/${id}`)).status).toBe(404);
  });

  it('adds, lists, replaces and removes outputs', async () => {
    const id = (await h.request('POST', '/api/streams/transmissions', manual)).json.id;
    const added = await h.request('POST', `/api/streams/transmissions/${id}/outputs`, { width: 640, height: 360 });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ id: 'out', engine_path: `tx/${id.slice(0, 8)}/out`, width: 640 });
    expect((await h.request('GET', `/api/streams/transmissions/${id}/outputs`)).json).toHaveLength(2);
    expect((await h.request('PUT', `/api/streams/transmissions/${id}/outputs/out`, { fps: 5 })).json).toMatchObject({ id: 'out', fps: 5 });
    expect((await h.request('DELETE', `/api/streams/transmissions/${id}/outputs/out`)).status).toBe(204);
    expect((await h.request('GET', `/api/streams/transmissions/${id}/outputs`)).json).toHaveLength(1);
  });

  it('a manual transmission can read a camera source and copy it', async () => {
    const res = await h.request('POST', '/api/streams/transmissions', {
      name: 'Raw',
      input: 'camera_source',
      camera_id: 'front',
      camera_source_id: 'main',
      outputs: [{ codec: 'copy', width: null, height: null, fps: null }],
    });
    expect(res.status).toBe(201);
  });

  it('generated transmissions and their outputs are read-only: 409 naming the owner', async () => {
    for (const [method, path, body] of [
      ['PUT', `/api/streams/transmissions/${mainTx}`, manual],
      ['DELETE', `/api/streams/transmissions/${mainTx}`, undefined],
      ['POST', `/api/streams/transmissions/${mainTx}/outputs`, {}],
      ['PUT', `/api/streams/transmissions/${mainTx}/outputs/default`, {}],
      ['DELETE', `/api/streams/transmissions/${mainTx}/outputs/default`, undefined],
    ] as const) {
      const res = await expectRejected(method, path, body, 409, 'generated_artifact', null);
      expect(res.json.error.owner).toMatchObject({ kind: 'camera_source', edit: '/api/cameras/front' });
      expect(res.json.error.message).toContain('camera source "main" of camera "front"');
    }
  });

  it.each([
    ['POST', '/api/streams/transmissions', { outputs: [] }, 422, 'invalid_field', 'name'],
    ['POST', '/api/streams/transmissions', { name: 'x', id: 'not-a-uuid' }, 422, 'invalid_field', 'id'],
    ['POST', '/api/streams/transmissions', { name: 'x', outputs: [{ engine_path: 'cam/front/main' }] }, 422, 'invalid_field', 'outputs.0.engine_path'],
    ['POST', '/api/streams/transmissions', { name: 'x', outputs: [{ engine_path: '/abs' }] }, 422, 'invalid_field', 'outputs.0.engine_path'],
    ['POST', '/api/streams/transmissions', { name: 'x', outputs: [{ engine_path: 'a/../b' }] }, 422, 'invalid_field', 'outputs.0.engine_path'],
    ['POST', '/api/streams/transmissions', { name: 'x', outputs: [{ engine_path: '..' }] }, 422, 'invalid_field', 'outputs.0.engine_path'],
    ['POST', '/api/streams/transmissions', { name: 'x', id: generatedTransmissionId('camera:front:zoom') }, 422, 'invalid_field', 'id'],
    ['POST', '/api/streams/transmissions', { name: 'x', outputs: [{ codec: 'copy' }] }, 422, 'invalid_field', 'outputs.0.codec'],
    ['POST', '/api/streams/transmissions', { name: 'x', outputs: [{ id: 'a' }, { id: 'a' }] }, 422, 'invalid_field', 'outputs.1.id'],
    ['POST', '/api/streams/transmissions', { name: 'x', outputs: [{ fps: 0 }] }, 422, 'invalid_field', 'outputs.0.fps'],
    ['POST', '/api/streams/transmissions', { name: 'x', input: 'camera_source' }, 422, 'invalid_field', 'camera_id'],
    ['POST', '/api/streams/transmissions', { name: 'x', input: 'camera_source', camera_id: 'nope', camera_source_id: 'main' }, 422, 'invalid_field', 'camera_id'],
    ['POST', '/api/streams/transmissions', { name: 'x', input: 'camera_source', camera_id: 'front', camera_source_id: 'nope' }, 422, 'invalid_field', 'camera_source_id'],
    ['POST', '/api/streams/transmissions', { name: 'x', outputs: [{ engine_path: 'taken/path' }] }, 409, 'engine_path_taken', 'outputs.0.engine_path'],
    ['POST', '/api/streams/transmissions', '{', 400, 'malformed_json', 'body'],
    ['GET', '/api/streams/transmissions/nope', undefined, 404, 'not_found', null],
    ['PUT', '/api/streams/transmissions/nope', { name: 'x' }, 404, 'not_found', null],
    ['DELETE', '/api/streams/transmissions/nope', undefined, 404, 'not_found', null],
    ['GET', '/api/streams/transmissions/nope/outputs', undefined, 404, 'not_found', null],
    ['POST', '/api/streams/transmissions/nope/outputs', {}, 404, 'not_found', null],
  ])('%s %s %j -> %i', async (method, path, body, status, code, field) => {
    await h.request('POST', '/api/streams/transmissions', { name: 'Taken', outputs: [{ engine_path: 'taken/path' }] });
    await expectRejected(method, path, body, status, code, field);
  });

  it('output errors on a manual transmission name the output fields and change nothing', async () => {
    const id = (await h.request('POST', '/api/streams/transmissions', manual)).json.id;
    await h.request('POST', '/api/streams/transmissions', { name: 'Other', outputs: [{ engine_path: 'other/path' }] });
    await expectRejected('POST', `/api/streams/transmissions/${id}/outputs`, { engine_path: 'other/path' }, 409, 'engine_path_taken', 'engine_path');
    await expectRejected('POST', `/api/streams/transmissions/${id}/outputs`, { id: 'grid' }, 422, 'invalid_field', 'id');
    await expectRejected('PUT', `/api/streams/transmissions/${id}/outputs/none`, {}, 404, 'not_found', null);
    await expectRejected('PUT', `/api/streams/transmissions/${id}/outputs/grid`, { id: 'other' }, 422, 'invalid_field', 'id');
    await expectRejected('DELETE', `/api/streams/transmissions/${id}/outputs/none`, undefined, 404, 'not_found', null);
    await expectRejected('PUT', `/api/streams/transmissions/${id}`, { name: 'x', id: '2b7f9ad4-4b1e-4f57-9a55-0c1f7e3a3c11' }, 422, 'invalid_field', 'id');
  });
});

describe('settings and wizard', () => {
  it('GET shows settings without secrets, with the store status', async () => {
    const res = await h.request('GET', '/api/streams/settings');
    expect(res.json).toMatchObject({
      schema_version: 1,
      streaming: { server_id: 'local', demand: { debounce_s: 15 }, lan_reader: { username: 'viewer', has_password: true }, has_api_token: true },
      store: { loaded_from: 'new', recovered: false },
    });
    expect(res.text).not.toContain(h.store.get().streaming.api_token!);
    expect(res.text).not.toContain(h.store.get().streaming.lan_reader.password!);
  });

  it('PATCH merges a partial change', async () => {
    const res = await h.request('PATCH', '/api/streams/settings', { demand: { debounce_s: 30 }, jsmpeg: { max_sessions: 2 } });
    expect(res.status).toBe(200);
    expect(res.json.streaming).toMatchObject({ demand: { debounce_s: 30 }, jsmpeg: { max_sessions: 2, fps: 10 }, writers: { sticky_window_ms: 2000 } });
  });

  it('changing server_id moves default-hosted publications to the new host', async () => {
    await h.request('PATCH', '/api/streams/settings', { server_id: 'nvr-1' });
    expect((await h.request('GET', '/api/streams/publications?camera_id=front')).json[0].host_server_id).toBe('local');
    // Overrides are kept: only new publications take the new default.
    await h.request('POST', '/api/cameras', { id: 'new', name: 'New', sources: [{ url: 'rtsp://192.0.2.13/1' }] });
    expect((await h.request('GET', '/api/streams/publications?camera_id=new')).json[0].host_server_id).toBe('nvr-1');
  });

  it.each([
    [{ demand: { debounce_s: -1 } }, 422, 'invalid_field', 'demand.debounce_s'],
    [{ engine: { rtsp_port: 70000 } }, 422, 'invalid_field', 'engine.rtsp_port'],
    [{ engine: { rtps_port: 8554 } }, 422, 'invalid_field', 'engine.rtps_port'],
    [{ api_token: 'short' }, 422, 'invalid_field', 'api_token'],
    ['nope', 400, 'malformed_json', 'body'],
    [[], 422, 'invalid_field', 'body'],
  ])('PATCH %j -> %i', async (body, status, code, field) => {
    await expectRejected('PATCH', '/api/streams/settings', body, status, code, field);
  });

  it('the wizard creates a pipeline that writes into a transmission on the same host', async () => {
    const tx = (await h.request('POST', '/api/streams/transmissions', { name: 'AI', outputs: [{ engine_path: 'ai/out' }] })).json;
    const res = await h.request('POST', '/api/streams/wizard/create-pipeline', { transmission_id: tx.id, pipeline_name: 'ai', camera_id: 'front', writer_priority: 5 });
    expect(res.status).toBe(201);
    expect(res.json.nodes).toEqual([
      { id: 'source', type: 'camera.source', inputs: [], config: { camera_id: 'front', source_id: 'main' } },
      { id: 'publish', type: 'stream.publish_video', inputs: ['source'], config: { transmission_id: tx.id, writer_priority: 5 } },
    ]);
    expect((await h.request('GET', '/api/streams/runtime/pipelines')).json.find((p: { pipeline_name: string }) => p.pipeline_name === 'ai').transmissions[0]).toMatchObject({
      transmission_id: tx.id,
      publication_id: null,
    });
  });

  it.each([
    [{ transmission_id: 'TX', pipeline_name: 'ai', processing_server_id: 'other', camera_id: 'front' }, 422, 'invalid_field', 'processing_server_id'],
    [{ transmission_id: 'nope', pipeline_name: 'ai', camera_id: 'front' }, 422, 'invalid_field', 'transmission_id'],
    [{ transmission_id: 'TX', pipeline_name: 'ai' }, 422, 'invalid_field', 'camera_id'],
    [{ transmission_id: 'TX', pipeline_name: 'ai', camera_id: 'front', camera_source_id: 'nope' }, 422, 'invalid_field', 'camera_source_id'],
    [{ transmission_id: 'TX', pipeline_name: 'taken', camera_id: 'front' }, 409, 'already_exists', 'pipeline_name'],
    [{ transmission_id: 'TX', pipeline_name: 'bad name' }, 422, 'invalid_field', 'pipeline_name'],
  ])('wizard %j -> %i', async (body, status, code, field) => {
    const tx = (await h.request('POST', '/api/streams/transmissions', { name: 'AI', outputs: [{ engine_path: 'ai/out' }] })).json;
    await h.request('PUT', '/api/streams/pipelines/taken', { nodes: [{ id: 'a', type: 'x' }] });
    await expectRejected('POST', '/api/streams/wizard/create-pipeline', { ...body, transmission_id: body.transmission_id === 'TX' ? tx.id : body.transmission_id }, status, code, field);
  });

  it('unknown routes answer a JSON 404', async () => {
    const res = await h.request('GET', '/api/nope');
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('not_found');
  });
});
