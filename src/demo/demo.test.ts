import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeImage, meanAbsDiff, probe, startDecoder } from '../../test/media/frames.js';
import { stopAllMediaProcesses } from '../../test/media/proc.js';
import { waitFor } from '../../test/support/wait.js';
import { startRtspReceiver, type RtspReceiver } from '../../test/media/rtsp-receiver.js';
import { ffmpegChildren, MEDIAMTX_DOUBLE, startLiveServer, type LiveServer } from '../../test/runtime/server-harness.js';
import { DEMO_TRANSMISSION_ID, DEMO_WRITER_ID } from './pipeline.js';
import { DEMO_CHILD_NAME } from './writer.js';
import { makeDataDir, removeDataDirs } from '../../test/support/data-dir.js';

/**
 * The first-run demo through the whole server on real sockets, with real FFmpeg and no MediaMTX
 * (the situation of a new user who runs `npm start` on a laptop).
 */

let server: LiveServer | undefined;
let receiver: RtspReceiver | undefined;
afterEach(async () => {
  await server?.close();
  await receiver?.stop();
  server = receiver = undefined;
});
afterAll(async () => {
  await stopAllMediaProcesses();
  await removeDataDirs();
});

const tempDir = () => makeDataDir('toposync-demo');
const demoHealth = async (s: LiveServer) => (await s.request('GET', '/api/streams/runtime/health')).json.find((h: { transmission_id: string }) => h.transmission_id === DEMO_TRANSMISSION_ID);

describe('first-run demo stream', () => {
  it('the first start adds exactly the demo pipeline and its transmission; once deleted, a restart does not bring it back', async () => {
    const dataDir = await tempDir();
    server = await startLiveServer({ demo: true, dataDir });
    const pipelines = (await server.request('GET', '/api/streams/pipelines')).json;
    expect(pipelines).toEqual([expect.objectContaining({ name: 'demo', enabled: true, read_only: false, nodes: [expect.objectContaining({ id: 'video', type: 'stream.publish_video' })] })]);
    const txs = (await server.request('GET', '/api/streams/transmissions')).json;
    expect(txs).toEqual([
      expect.objectContaining({
        id: DEMO_TRANSMISSION_ID,
        input: 'writers',
        enabled: true,
        outputs: [expect.objectContaining({ engine_path: 'pipe/demo/video', width: 640, height: 360, fps: 10 })],
      }),
    ]);
    const pubs = (await server.request('GET', '/api/streams/publications')).json;
    expect(pubs).toEqual([expect.objectContaining({ id: 'pipeline:demo:video', label: 'Demo', role: 'main' })]);

    // Nobody watches: nothing is rendered, however many runtime ticks pass.
    const ticks = () => server!.streaming.runtime.status().ticks;
    const before = ticks();
    await waitFor('five runtime ticks', () => ticks() >= before + 5);
    expect(server.streaming.supervisor.count()).toBe(0);
    expect(ffmpegChildren()).toBe(0);
    expect(await demoHealth(server)).toMatchObject({ active_writer_id: null, fallback_reason: 'no_writer', problems: [expect.stringMatching(/^engine_missing/)] });

    // Removed like any pipeline, through the API.
    expect((await server.request('DELETE', '/api/streams/pipelines/demo')).status).toBe(204);
    expect((await server.request('GET', '/api/streams/transmissions')).json).toEqual([]);
    await server.close();

    server = await startLiveServer({ demo: true, dataDir });
    expect((await server.request('GET', '/api/streams/pipelines')).json).toEqual([]);
    expect((await server.request('GET', '/api/streams/transmissions')).json).toEqual([]);
  }, 60_000);

  it('engine missing: a JSMpeg client from the playback plan plays the moving demo; after it leaves and the debounce, no FFmpeg runs', async () => {
    server = await startLiveServer({ demo: true }, { demand: { debounce_s: 1 } });
    const s = server;
    expect(s.streaming.engine.status().state).toBe('missing');
    const plan = (await s.request('GET', `/api/streams/transmissions/${DEMO_TRANSMISSION_ID}/playback-plan?client=web&context=grid`)).json;
    expect(plan.selected_transport).toBe('jsmpeg');
    expect(plan.transports.find((t: { transport: string }) => t.transport === 'hls')).toMatchObject({ available: false, blocked_reason: 'engine_missing' });
    const url: string = plan.transports.find((t: { transport: string }) => t.transport === 'jsmpeg').url;

    const ws = new WebSocket(s.base.replace(/^http/, 'ws') + url);
    const chunks: Buffer[] = [];
    const ts = new PassThrough();
    ws.on('message', (data: Buffer, binary) => {
      if (!binary) return;
      chunks.push(data);
      if (!ts.writableEnded) ts.write(data);
    });
    await once(ws, 'open');
    // Decoded as it arrives, so two frames a second apart can be compared (no probing: a live pipe has no 5 s to spare).
    const decoder = startDecoder({ input: 'pipe:0', inputArgs: ['-f', 'mpegts'], fastProbe: true, stdin: ts, scale: { width: 160, height: 90 } }, 'demo-jsmpeg');
    try {
      await waitFor('demo frames selected', async () => (await demoHealth(s))?.active_writer_id === DEMO_WRITER_ID);
      const health = await demoHealth(s);
      // fallback_reason null: the selected frame is fresh by the runtime's own staleness rule (no wall-clock bound here).
      expect(health).toMatchObject({ active_writer_id: DEMO_WRITER_ID, selected_writer_id: DEMO_WRITER_ID, fallback_reason: null, demand: true, frame_age_ms: expect.any(Number) });
      const frames = decoder.frames().length;
      await decoder.waitForFrames(frames + 5, 10_000);
      const before = decoder.latest()!.pixels!;
      await waitFor('the demo moves', () => meanAbsDiff(before, decoder.latest()!.pixels!) > 1);
      expect(decoder.codec()).toBe('h264');
    } finally {
      ts.end();
      await decoder.stop();
      ws.close();
      await once(ws, 'close');
    }

    const file = join(await tempDir(), 'demo.ts');
    await writeFile(file, Buffer.concat(chunks));
    expect(await probe(file)).toMatchObject({ codecName: 'h264', width: 640, height: 360 });
    // The JSMpeg session is gone at once; the demo renders on for the 1 s debounce, then stops.
    expect(s.streaming.supervisor.count(DEMO_CHILD_NAME)).toBe(1);
    await waitFor('every FFmpeg gone', () => s.streaming.supervisor.count() === 0 && ffmpegChildren() === 0);
    expect(await demoHealth(s)).toMatchObject({ active_writer_id: null, demand: false });
  }, 60_000);

  it('engine running: a player heartbeat starts the demo and the publisher, which publishes its moving frames into the engine path', async () => {
    server = await startLiveServer({ demo: true, mediamtxPath: MEDIAMTX_DOUBLE }, { demand: { debounce_s: 1 } });
    const s = server;
    receiver = await startRtspReceiver({ port: s.streaming.engine.rtspPort(), path: 'pipe/demo/video' });
    await s.request('POST', `/api/streams/transmissions/${DEMO_TRANSMISSION_ID}/demand/heartbeat`, { client: 'web' });
    await waitFor('demo frames selected', async () => (await demoHealth(s))?.active_writer_id === DEMO_WRITER_ID);
    const frames = receiver.frames().length;
    await receiver.waitForFrames(frames + 5, 15_000);
    expect(await receiver.waitForSize(5_000)).toEqual({ width: 640, height: 360 });
    const before = receiver.latestFrame()!.pixels!;
    await waitFor('the demo moves', () => meanAbsDiff(before, receiver!.latestFrame()!.pixels!) > 1);
    expect(s.streaming.supervisor.count('publisher:')).toBe(1);
    expect(s.streaming.supervisor.count(DEMO_CHILD_NAME)).toBe(1);
  }, 60_000);

  it('a still request starts the demo and gets a real frame; stop() leaves no child behind', async () => {
    server = await startLiveServer({ demo: true });
    const res = await fetch(`${server.base}/api/streams/transmissions/${DEMO_TRANSMISSION_ID}/still.jpg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-still-source')).toBe('frame');
    const still = await decodeImage(Buffer.from(await res.arrayBuffer()));
    expect(still).toMatchObject({ width: 640, height: 360 });
    expect(server.streaming.supervisor.count(DEMO_CHILD_NAME)).toBe(1);
    expect(ffmpegChildren()).toBe(1);

    await server.close();
    server = undefined;
    expect(ffmpegChildren()).toBe(0);
  }, 60_000);
});
