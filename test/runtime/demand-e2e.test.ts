import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { generatedTransmissionId } from '../../src/domain/ids.js';
import { stopAllMediaProcesses } from '../media/proc.js';
import { waitFor } from '../support/wait.js';
import { startRtspCamera, type RtspCamera } from '../media/rtsp-camera.js';
import { readEnginePath, type EngineReader } from '../engine-reader.js';
import { ffmpegChildren, startLiveServer, type LiveServer } from './server-harness.js';
import { ENGINE_BINS, REAL_ENGINES } from '../engines.js';

let server: LiveServer | undefined;
let receiver: EngineReader | undefined;
let camera: RtspCamera | undefined;
afterEach(async () => {
  await server?.close();
  await receiver?.stop();
  await camera?.stop();
  server = receiver = camera = undefined;
});
afterAll(() => stopAllMediaProcesses());

describe('demand', () => {
  it('a heartbeat starts the publisher; without heartbeats or readers it stops after the debounce', async () => {
    server = await startLiveServer({ mediamtxPath: ENGINE_BINS.mediamtx, heartbeatTtlMs: 1000 }, { demand: { debounce_s: 2 } });
    const readOutput = () => readEnginePath({ port: server!.streaming.engine.rtspPort(), path: 'pipe/d/out' });
    // The double's stand-in receiver must listen before the publisher pushes; a reader of the real
    // engine is demand itself (its DESCRIBE starts the publisher), so it comes after the heartbeat.
    if (!REAL_ENGINES.mediamtx) receiver = await readOutput();
    await server.request('PUT', '/api/streams/pipelines/d', { nodes: [{ id: 'out', type: 'stream.publish_video', config: { publication_enabled: true } }] });
    const tx = generatedTransmissionId('pipeline:d:out');
    const { supervisor } = server.streaming;

    const ticks = () => server!.streaming.runtime.status().ticks;
    const before = ticks();
    await waitFor('five demand ticks', () => ticks() >= before + 5);
    expect(supervisor.count('publisher:')).toBe(0);
    expect(ffmpegChildren()).toBe(0);

    const hb = await server.request('POST', `/api/streams/transmissions/${tx}/demand/heartbeat`, { client: 'pip', session_id: 's1' });
    expect(hb.json).toMatchObject({ has_demand: true, heartbeats: [{ client: 'pip', sessions: 1 }] });
    receiver ??= await readOutput();
    const reader = receiver;
    // A player heartbeats while it plays. The send time bounds the server's receive time from below,
    // however slowly the answer comes back.
    let lastSent = Date.now();
    const beating = setInterval(() => {
      lastSent = Date.now();
      void server!.request('POST', `/api/streams/transmissions/${tx}/demand/heartbeat`, { client: 'pip', session_id: 's1' });
    }, 300);
    try {
      await waitFor('publisher started', () => supervisor.count('publisher:') === 1);
      await reader.waitForFrames(5, 15_000); // the placeholder: no writer feeds it
      const demand = (await server.request('GET', `/api/streams/transmissions/${tx}/demand`)).json;
      expect(demand.outputs).toEqual([expect.objectContaining({ path: 'pipe/d/out', feed: 'writers', publisher: 'running' })]);
    } finally {
      clearInterval(beating);
    }
    // A reader of the real engine is demand too: it leaves with the heartbeats.
    if (reader.countsAsReader) await reader.stop();

    // The last heartbeat expires 1 s after it was received; the publisher stays for the 2 s
    // debounce after that (less one 200 ms tick), then stops.
    await waitFor('publisher stopped', () => supervisor.count('publisher:') === 0);
    expect(Date.now() - lastSent).toBeGreaterThanOrEqual(2_700);
    expect(supervisor.count()).toBe(1); // only the engine
    expect(ffmpegChildren()).toBe(0);
    expect((await server.request('GET', `/api/streams/transmissions/${tx}/demand`)).json).toMatchObject({ has_demand: false, heartbeats: [] });
  }, 60_000);

  it('priming holds demand for the asked time; unknown transmissions are 404 and bad clients 422', async () => {
    server = await startLiveServer({ mediamtxPath: ENGINE_BINS.mediamtx }, { demand: { debounce_s: 0 } });
    await server.request('PUT', '/api/streams/pipelines/p', { nodes: [{ id: 'out', type: 'stream.publish_video', config: { publication_enabled: true } }] });
    const tx = generatedTransmissionId('pipeline:p:out');
    const primed = await server.request('POST', `/api/streams/transmissions/${tx}/demand/prime`, { seconds: 2 });
    expect(primed.json).toMatchObject({ has_demand: true, primed_for_ms: expect.any(Number) });
    expect(primed.json.primed_for_ms).toBeGreaterThan(1_500);
    expect((await server.request('POST', `/api/streams/transmissions/nope/demand/prime`, {})).status).toBe(404);
    const bad = await server.request('POST', `/api/streams/transmissions/${tx}/demand/heartbeat`, { client: 'tv' });
    expect(bad.status).toBe(422);
    expect(bad.json.error.field).toBe('client');
    await waitFor('prime expired', async () => (await server!.request('GET', `/api/streams/transmissions/${tx}/demand`)).json.has_demand === false);
    await waitFor('publisher stopped', () => server!.streaming.supervisor.count('publisher:') === 0);
  }, 60_000);

  it('with no demand anywhere: no FFmpeg process and no connection to any camera', async () => {
    camera = await startRtspCamera({ width: 320, height: 240, fps: 10 });
    server = await startLiveServer({ mediamtxPath: ENGINE_BINS.mediamtx });
    for (let i = 0; i < 4; i++) {
      await server.request('POST', '/api/cameras', { name: `Cam ${i}`, sources: [{ url: camera.url }, { role: 'sub', url: camera.url }] });
    }
    await server.request('PUT', '/api/streams/pipelines/w', { nodes: [{ id: 'out', type: 'stream.publish_video', config: { publication_enabled: true } }] });
    const before = server.streaming.runtime.status().ticks;
    await waitFor('a dozen demand ticks', () => server!.streaming.runtime.status().ticks >= before + 12);
    expect(server.streaming.supervisor.count()).toBe(1); // the engine itself
    expect(ffmpegChildren()).toBe(0);
    expect(camera.connections()).toBe(0);
  }, 60_000);
});

describe('one connection per camera source', () => {
  it('engine missing: still grabs, fallback sessions and priming share one direct read of the camera', async () => {
    camera = await startRtspCamera({ width: 320, height: 240, fps: 10 });
    server = await startLiveServer({ cameraFrames: { fps: 5, maxWidth: 640 } });
    expect(server.streaming.engine.status().state).toBe('missing');
    const cam = await server.request('POST', '/api/cameras', { name: 'Door', sources: [{ url: camera.url }] });
    const tx = generatedTransmissionId(cam.json.sources[0].publication_id);
    const { demand } = server.streaming;

    // What stills and JSMpeg fallback sessions hold while they run, plus a prime from a player.
    const releaseStill = demand.acquire(tx);
    const releaseFallback1 = demand.acquire(tx);
    const releaseFallback2 = demand.acquire(tx);
    await server.request('POST', `/api/streams/transmissions/${tx}/demand/prime`, { seconds: 5 });
    await waitFor(
      'camera frames flowing',
      async () => {
        const h = (await server!.request('GET', '/api/streams/runtime/health')).json[0];
        return h.selected_writer_id === 'camera:door:main' && h.frame_age_ms !== null && h.frame_age_ms < 1_000;
      },
      15_000,
    );
    await new Promise((r) => setTimeout(r, 1_500));
    expect(camera.connections()).toBe(1);
    expect(server.streaming.supervisor.count('frames:')).toBe(1);
    const health = (await server.request('GET', '/api/streams/runtime/health')).json[0];
    expect(health.problems[0]).toMatch(/^engine_missing/);

    releaseStill();
    releaseFallback1();
    releaseFallback2();
  }, 60_000);

  it('engine running: the engine holds the only camera pull; the decoder reads the engine path', async () => {
    camera = await startRtspCamera({ width: 320, height: 240, fps: 10 });
    server = await startLiveServer({ mediamtxPath: ENGINE_BINS.mediamtx });
    const cam = await server.request('POST', '/api/cameras', { name: 'Door', sources: [{ url: camera.url }] });
    await server.request('POST', '/api/streams/transmissions', { name: 'Small', input: 'camera_source', camera_id: 'door', camera_source_id: 'main', outputs: [{ engine_path: 'door/small' }] });
    await server.request('POST', '/api/streams/transmissions', {
      name: 'Copy',
      input: 'camera_source',
      camera_id: 'door',
      camera_source_id: 'main',
      outputs: [{ codec: 'copy', width: null, height: null, fps: null, engine_path: 'door/copy' }],
    });
    const tx = generatedTransmissionId(cam.json.sources[0].publication_id);
    server.streaming.demand.acquire(tx);
    await waitFor('frame decoder started', () => server!.streaming.supervisor.count('frames:') === 1);

    // Ask the engine what it was told: exactly one path pulls the camera.
    const api = server.streaming.engine.status().api_url!;
    interface PathList {
      items: { name: string; source: string }[];
    }
    const list = async () => (await (await fetch(`${api}/v3/config/paths/list?itemsPerPage=1000`)).json()) as PathList;
    await waitFor('all three paths synced', async () => (await list()).items.length === 3);
    const paths = await list();
    const pulling = paths.items.filter((p) => p.source.includes(`:${camera!.port}/`));
    expect(pulling.map((p) => p.name)).toEqual(['cam/door/main']);
    expect(paths.items.find((p) => p.name === 'door/copy')!.source).toBe(`rtsp://127.0.0.1:${server.streaming.engine.rtspPort()}/cam/door/main`);
    expect(paths.items.find((p) => p.name === 'door/small')!.source).toBe('publisher');
    // Double only: the contract violations it records (the real MediaMTX keeps none).
    if (!REAL_ENGINES.mediamtx) expect(await (await fetch(`${api}/_double/violations`)).json()).toEqual([]);
    // Our own decoder never dials the camera while the engine runs: the real engine's pull (for the
    // decoder reading the engine path) is the one connection; the double pulls nothing.
    const engineHeld = REAL_ENGINES.mediamtx ? 1 : 0;
    if (engineHeld) await waitFor('the engine pulls the camera', () => camera!.connections() === 1, 15_000);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(camera.connections()).toBe(engineHeld);
    expect(server.streaming.supervisor.list().find((c) => c.name === 'frames:cam/door/main')).toBeDefined();
  }, 60_000);
});
