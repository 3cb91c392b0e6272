import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedTransmissionId } from '../../src/domain/ids.js';
import { startLiveServer, type LiveServer } from './server-harness.js';
import { ENGINE_BINS } from '../engines.js';

let server: LiveServer;
const camTx = generatedTransmissionId('camera:front:main');
const pipeTx = generatedTransmissionId('pipeline:p:out');

beforeAll(async () => {
  server = await startLiveServer({ mediamtxPath: ENGINE_BINS.mediamtx });
  await server.request('POST', '/api/cameras', { id: 'front', name: 'Front', sources: [{ id: 'main', url: 'rtsp://127.0.0.1:9/x', username: 'admin', password: 'Engine-Secret-99' }] });
  await server.request('PUT', '/api/streams/pipelines/p', { nodes: [{ id: 'out', type: 'stream.publish_video', config: { publication_enabled: true } }] });
  await server.streaming.runtime.tick();
}, 30_000);
afterAll(() => server.close());

describe('runtime endpoints', () => {
  it('GET /runtime/outputs lists each output with its feed and publisher state', async () => {
    const res = await server.request('GET', '/api/streams/runtime/outputs');
    expect(res.json).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ transmission_id: camTx, path: 'cam/front/main', feed: 'camera_pull', publisher: 'not_needed' }),
        expect.objectContaining({ transmission_id: pipeTx, path: 'pipe/p/out', feed: 'writers', publisher: 'stopped', wanted: false }),
      ]),
    );
  });

  it('GET /runtime/health reports writers, fallback reason and engine state per transmission', async () => {
    const res = await server.request('GET', '/api/streams/runtime/health');
    const pipe = res.json.find((h: { transmission_id: string }) => h.transmission_id === pipeTx);
    expect(pipe).toMatchObject({ engine_state: 'running', active_writer_id: null, selected_writer_id: null, fallback_reason: 'no_writer', frame_age_ms: null, problems: [] });
    const cam = res.json.find((h: { transmission_id: string }) => h.transmission_id === camTx);
    expect(cam).toMatchObject({ input: 'camera_source', fallback_reason: null, demand: false });
  });

  it('GET /runtime/diagnostics shows engine, publishers and runtime state; observability counts', async () => {
    const diag = (await server.request('GET', '/api/streams/runtime/diagnostics')).json;
    expect(diag.engine).toMatchObject({ state: 'running' });
    expect(diag.publisher).toMatchObject({ running: [], counters: { started: 0 } });
    expect(diag.processes.map((p: { name: string }) => p.name)).toEqual(['mediamtx']);
    const obs = (await server.request('GET', '/api/streams/runtime/observability')).json;
    expect(obs).toMatchObject({ processes: { total: 1, publishers: 0, camera_frames: 0 }, demand: { active_transmissions: 0 } });
    const snap = (await server.request('GET', '/api/streams/runtime/diagnostic-snapshot')).json;
    expect(Object.keys(snap).sort()).toEqual(['diagnostics', 'generated_at', 'health', 'observability', 'outputs']);
  });

  it('no runtime endpoint reveals a camera password', async () => {
    for (const path of ['/runtime/outputs', '/runtime/health', '/runtime/diagnostics', '/runtime/observability', '/runtime/diagnostic-snapshot', '/engine/status']) {
      const res = await fetch(`${server.base}/api/streams${path}`);
      expect(await res.text()).not.toContain('Engine-Secret-99');
    }
    expect(server.logs.join('\n')).not.toContain('Engine-Secret-99');
  });
});
