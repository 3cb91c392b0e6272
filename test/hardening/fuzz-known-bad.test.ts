/**
 * Known bad inputs of the write routes, one by one, with the answer each must get: malformed JSON
 * is 400, a wrong field is 422 naming the field, conflicts are 409; nothing stored changes. The
 * random and hostile inputs are `fuzz-rest.test.ts`; these pin the exact answers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../harness.js';
import { SEED as IDS, seedCamera, seedPipeline, seedTransmission } from './arbitraries.js';

const CAMERA = IDS.camera;
const PIPELINE = IDS.pipeline;
const MANUAL_TX = IDS.manualTx;
const MANUAL_OUTPUT = IDS.manualOutput;
const CAMERA_TX = IDS.cameraTx;
const PIPELINE_TX = IDS.pipelineTx;
const IMPLICIT_PIPELINE = IDS.implicitPipeline;

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  for (const [method, path, body] of [
    ['POST', '/api/cameras', seedCamera],
    ['PUT', `/api/streams/pipelines/${PIPELINE}`, seedPipeline],
    ['POST', '/api/streams/transmissions', seedTransmission],
  ] as const) {
    const res = await h.request(method, path, body);
    expect(res.status, `seed ${method} ${path}: ${res.text}`).toBeLessThan(300);
  }
});
afterEach(() => h.close());

async function expectRejected(method: string, path: string, body: string | object, status: number, code: string, field: string | null) {
  const before = await h.settingsBytes();
  const res = await h.request(method, path, body);
  expect(res.status, res.text).toBe(status);
  expect(res.json).toEqual({ error: expect.objectContaining({ code, field, message: expect.any(String) }) });
  expect(await h.settingsBytes()).toBe(before);
}
const malformed = (method: string, path: string, text: string) => expectRejected(method, path, text, 400, 'malformed_json', 'body');
const invalidField = (method: string, path: string, body: object | string, field: string) => expectRejected(method, path, body, 422, 'invalid_field', field);

describe('write API known-bad inputs', () => {
  it('cameras', async () => {
    await malformed('POST', '/api/cameras', '{"name":');
    await malformed('POST', '/api/cameras', '');
    await malformed('PUT', `/api/cameras/${CAMERA}`, "{'name':'x'}");
    await invalidField('POST', '/api/cameras', { name: 'X', sources: [{ url: 'ftp://192.0.2.1/' }] }, 'sources.0.url');
    await invalidField('POST', '/api/cameras', { name: 'X', sources: [{ url: 'rtsp://h/', id: 'Main!' }] }, 'sources.0.id');
    await invalidField('POST', '/api/cameras', { name: 'X', sources: [{ url: 'rtsp://h/', password: 'p'.repeat(257) }] }, 'sources.0.password');
    await invalidField('POST', '/api/cameras', { name: 'X', bogus: 1 }, 'bogus');
    await invalidField('POST', '/api/cameras', { name: '   ' }, 'name');
    await invalidField('POST', '/api/cameras', 'null', 'body');
    await invalidField('POST', '/api/cameras', '"Front"', 'body');
    await invalidField(
      'PUT',
      `/api/cameras/${CAMERA}`,
      {
        name: 'F',
        sources: [
          { url: 'rtsp://h/1', id: 'a' },
          { url: 'rtsp://h/2', id: 'a' },
        ],
      },
      'sources.1.id',
    );
    await invalidField('PUT', `/api/cameras/${CAMERA}`, { id: 'other', name: 'F' }, 'id');
    await expectRejected('POST', '/api/cameras', { ...seedCamera }, 409, 'already_exists', 'id');
    await expectRejected('DELETE', '/api/cameras/ghost', '', 404, 'not_found', null);
  });

  it('publications', async () => {
    const path = `/api/streams/publications/camera-sources/${CAMERA}/main`;
    await malformed('PUT', path, '{');
    await invalidField('PUT', path, { quality_policy: { width: 8 } }, 'quality_policy.width');
    await invalidField('PUT', path, { transport_policy: { prefer: 'rtsp' } }, 'transport_policy.prefer');
    await invalidField('PUT', path, { live_view_id: 'Not A Slug' }, 'live_view_id');
    await invalidField('PUT', path, { label: 5 }, 'label');
    await invalidField('PUT', path, { metadata: null }, 'metadata');
    await expectRejected('PUT', `/api/streams/publications/camera-sources/${CAMERA}/ghost`, { enabled: false }, 404, 'not_found', null);
  });

  it('pipelines', async () => {
    await malformed('PUT', `/api/streams/pipelines/${PIPELINE}`, 'nul');
    await invalidField('PUT', `/api/streams/pipelines/${PIPELINE}`, { nodes: 'x' }, 'nodes');
    await invalidField('PUT', `/api/streams/pipelines/${PIPELINE}`, { nodes: [{ id: 'a', type: 'stream.publish_video', config: { writer_priority: 5000 } }] }, 'nodes.0.config.writer_priority');
    await invalidField('PUT', `/api/streams/pipelines/${PIPELINE}`, { nodes: [{ id: 'a', type: 'x.y', inputs: ['b'] }] }, 'nodes.0.inputs.0');
    await invalidField(
      'PUT',
      `/api/streams/pipelines/${PIPELINE}`,
      {
        nodes: [
          { id: 'a', type: 'x.y' },
          { id: 'a', type: 'x.y' },
        ],
      },
      'nodes.1.id',
    );
    await invalidField('PUT', `/api/streams/pipelines/${encodeURIComponent('bad name')}`, { nodes: [] }, 'name');
    await expectRejected('PUT', `/api/streams/pipelines/${encodeURIComponent(IMPLICIT_PIPELINE)}`, { nodes: [] }, 409, 'generated_artifact', null);
    await expectRejected('DELETE', `/api/streams/pipelines/${encodeURIComponent(IMPLICIT_PIPELINE)}`, '', 409, 'generated_artifact', null);
  });

  it('transmissions and outputs', async () => {
    await malformed('POST', '/api/streams/transmissions', '{"name":"x",}');
    await invalidField('POST', '/api/streams/transmissions', { name: 'x', outputs: [{ engine_path: 'cam/x' }] }, 'outputs.0.engine_path');
    await invalidField('POST', '/api/streams/transmissions', { name: 'x', id: 'not-a-uuid' }, 'id');
    await invalidField('POST', '/api/streams/transmissions', { name: 'x', outputs: [{ codec: 'copy' }] }, 'outputs.0.codec');
    await invalidField('POST', '/api/streams/transmissions', { name: 'x', input: 'camera_source', camera_id: 'ghost', camera_source_id: 'main' }, 'camera_id');
    await expectRejected('POST', '/api/streams/transmissions', { name: 'x', outputs: [{ engine_path: 'manual/one' }] }, 409, 'engine_path_taken', 'outputs.0.engine_path');
    await invalidField('PUT', `/api/streams/transmissions/${MANUAL_TX}`, { name: '' }, 'name');
    await expectRejected('PUT', `/api/streams/transmissions/${CAMERA_TX}`, { name: 'x' }, 409, 'generated_artifact', null);
    await expectRejected('DELETE', `/api/streams/transmissions/${PIPELINE_TX}`, '', 409, 'generated_artifact', null);
    await malformed('POST', `/api/streams/transmissions/${MANUAL_TX}/outputs`, '[');
    await invalidField('POST', `/api/streams/transmissions/${MANUAL_TX}/outputs`, { width: 10 }, 'width');
    await invalidField('POST', `/api/streams/transmissions/${MANUAL_TX}/outputs`, { id: MANUAL_OUTPUT }, 'id');
    await invalidField('PUT', `/api/streams/transmissions/${MANUAL_TX}/outputs/${MANUAL_OUTPUT}`, { fps: 0 }, 'fps');
    await expectRejected('PUT', `/api/streams/transmissions/${MANUAL_TX}/outputs/ghost`, {}, 404, 'not_found', null);
    await expectRejected('POST', `/api/streams/transmissions/${CAMERA_TX}/outputs`, {}, 409, 'generated_artifact', null);
  });

  it('settings', async () => {
    await malformed('PATCH', '/api/streams/settings', '');
    await malformed('PATCH', '/api/streams/settings', '{} {}');
    await invalidField('PATCH', '/api/streams/settings', { engine: { rtsp_port: 70_000 } }, 'engine.rtsp_port');
    await invalidField('PATCH', '/api/streams/settings', { jsmpeg: { fps: 0 } }, 'jsmpeg.fps');
    await invalidField('PATCH', '/api/streams/settings', { lan_reader: { password: 'short' } }, 'lan_reader.password');
    await invalidField('PATCH', '/api/streams/settings', { engine: { rtsp_prot: 8554 } }, 'engine.rtsp_prot');
    await invalidField('PATCH', '/api/streams/settings', { api_token: null }, 'api_token');
  });

  it('engine ports the server itself cannot call (the Fetch standard\'s "bad ports": fetch refuses them)', async () => {
    // MediaMTX's API on 6000 was stored (200) and the engine then never started: "GET /v3/info: bad port".
    await invalidField('PATCH', '/api/streams/settings', { engine: { api_port: 6000 } }, 'engine.api_port');
    await invalidField('PATCH', '/api/streams/settings', { engine: { rtsp_port: 8554, webrtc_port: 6666 } }, 'engine.webrtc_port');
    // RTSP and HLS are not fetched (FFmpeg, go2rtc and node:http read them): any port will do.
    const res = await h.request('PATCH', '/api/streams/settings', { engine: { rtsp_port: 554, hls_port: 6000 } });
    expect(res.status, res.text).toBe(200);
  });

  it('wizard', async () => {
    const path = '/api/streams/wizard/create-pipeline';
    await malformed('POST', path, '{"transmission_id"');
    await invalidField('POST', path, { transmission_id: '', pipeline_name: 'x' }, 'transmission_id');
    await invalidField('POST', path, { transmission_id: MANUAL_TX, pipeline_name: 'bad name' }, 'pipeline_name');
    await invalidField('POST', path, { transmission_id: 'missing', pipeline_name: 'wiz' }, 'transmission_id');
    await invalidField('POST', path, { transmission_id: MANUAL_TX, pipeline_name: 'wiz', processing_server_id: 'elsewhere' }, 'processing_server_id');
    await invalidField('POST', path, { transmission_id: MANUAL_TX, pipeline_name: 'wiz', writer_priority: 1.5 }, 'writer_priority');
    await expectRejected('POST', path, { transmission_id: MANUAL_TX, pipeline_name: PIPELINE }, 409, 'already_exists', 'pipeline_name');
  });

  it('a body over the size limit is 413 and changes nothing', async () => {
    await expectRejected('POST', '/api/cameras', JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) }), 413, 'body_too_large', 'body');
  });
});
