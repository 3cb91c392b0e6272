import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { generatedTransmissionId } from '../../src/domain/ids.js';
import { solidJpeg } from '../media/frames.js';
import { stopAllMediaProcesses } from '../media/proc.js';
import { readEnginePath, type EngineReader } from '../engine-reader.js';
import { startLiveServer, type LiveServer } from './server-harness.js';
import { ENGINE_BINS } from '../engines.js';

/**
 * End to end with real FFmpeg: two writers push solid colours over the writer WebSocket API, the
 * server's publisher encodes the selected writer's frames into the output's engine path, and what
 * comes back out of the engine is decoded (test/engine-reader.ts).
 */
const TX = generatedTransmissionId('pipeline:e2e:out');
const PATH = 'pipe/e2e/out';
let server: LiveServer;
let receiver: EngineReader;
const sockets: WebSocket[] = [];
const timers: NodeJS.Timeout[] = [];

async function writer(id: string, priority: number, color: string): Promise<{ ws: WebSocket; stop: () => void }> {
  const token = server.streaming.store.get().streaming.api_token!;
  const ws = new WebSocket(`${server.base.replace('http', 'ws')}/api/streams/writers/ws?transmission_id=${TX}&writer_id=${id}&priority=${priority}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  sockets.push(ws);
  const jpeg = await solidJpeg(color, 800, 600);
  const timer = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send(jpeg), 100);
  timers.push(timer);
  return { ws, stop: () => clearInterval(timer) };
}

beforeAll(async () => {
  server = await startLiveServer({ mediamtxPath: ENGINE_BINS.mediamtx, heartbeatTtlMs: 60_000 }, { writers: { sticky_window_ms: 1500, stale_after_ms: 1000 } });
  expect(server.streaming.engine.status().state).toBe('running');
  // What the publisher sends into the engine, read back (test/engine-reader.ts: from the real engine, or a receiver standing in for the double's RTSP).
  receiver = await readEnginePath({ port: server.streaming.engine.rtspPort(), path: PATH });
  const put = await server.request('PUT', '/api/streams/pipelines/e2e', {
    nodes: [{ id: 'out', type: 'stream.publish_video', config: { publication_enabled: true, publication_quality_profile_id: 'sd' } }],
  });
  expect(put.status).toBe(201);
}, 60_000);

afterAll(async () => {
  timers.forEach(clearInterval);
  sockets.forEach((s) => s.terminate());
  await server?.close();
  await receiver?.stop();
  await stopAllMediaProcesses();
});

describe('writers to published output', () => {
  it('publishes the high-priority writer, then the other after the sticky window, then the placeholder', async () => {
    const high = await writer('high', 10, 'red');
    const low = await writer('low', 1, 'blue');
    expect((await server.request('POST', `/api/streams/transmissions/${TX}/demand/heartbeat`, { client: 'web' })).status).toBe(200);

    const red = await receiver.waitForColor('red', 20_000);
    expect(await receiver.waitForSize(5_000)).toEqual({ width: 640, height: 360 });
    const health = (await server.request('GET', '/api/streams/runtime/health')).json.find((h: { transmission_id: string }) => h.transmission_id === TX);
    expect(health).toMatchObject({ selected_writer_id: 'high', fallback_reason: null });

    // The high writer closes: the low one takes over only once its grace has passed.
    high.stop();
    const closedAt = Date.now();
    high.ws.close();
    const blue = await receiver.waitForColor('blue', 15_000, receiver.frames().length);
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(900);
    expect(blue.pts).toBeGreaterThan(red.pts);

    // Both gone: the placeholder (dark, with text) is published, and health says why.
    low.stop();
    low.ws.close();
    await receiver.waitForColor('black', 15_000, receiver.frames().length);
    const after = (await server.request('GET', '/api/streams/runtime/health')).json.find((h: { transmission_id: string }) => h.transmission_id === TX);
    expect(after.selected_writer_id).toBeNull();
    expect(['all_writers_closed', 'writers_stale']).toContain(after.fallback_reason);

    // Output resolution and rate follow the output settings (profile "sd": 640x360 at 10 fps).
    expect(receiver.size()).toEqual({ width: 640, height: 360 });
    expect(receiver.fps()).toBeGreaterThan(8.5);
    expect(receiver.fps()).toBeLessThan(11.5);
    expect(receiver.wrongPaths()).toEqual([]);
  }, 90_000);
});
