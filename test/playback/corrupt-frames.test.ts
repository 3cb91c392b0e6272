import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { generatedTransmissionId } from '../../src/domain/ids.js';
import { classifyColor, solidJpeg } from '../media/frames.js';
import { averageRgb } from '../media/decoder.js';
import { FFMPEG, runToBuffer, stopAllMediaProcesses } from '../media/proc.js';
import { waitFor } from '../support/wait.js';
import { readEnginePath, type EngineReader } from '../engine-reader.js';
import { startLiveServer, type LiveServer } from '../runtime/server-harness.js';
import { ENGINE_BINS } from '../engines.js';

/**
 * Issue 10, point 5, end to end over real sockets with real FFmpeg: a writer that sends `FF D8` and
 * garbage must not freeze the JSMpeg viewers of its transmission, must be told, and must not look
 * fresh in health; an encoder that produces nothing while frames flow (a SIGSTOPped FFmpeg) is
 * reported by health, and a JSMpeg session restarts it.
 */
const TX = generatedTransmissionId('pipeline:corrupt:out');
const PATH = 'pipe/corrupt/out';
/** Small, so the stall is seen in a couple of seconds (the server's default is 5 s). */
const STALL_MS = 1500;
let server: LiveServer;
let receiver: EngineReader;
const sockets: WebSocket[] = [];
const timers: NodeJS.Timeout[] = [];
const stopped: number[] = [];

/** `FF D8` then bytes that are no JPEG (deterministic, so a failure can be replayed). */
function garbage(n: number): Buffer {
  const b = Buffer.alloc(20_000);
  let x = 0x9e3779b9 ^ n;
  for (let i = 0; i < b.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  b[0] = 0xff;
  b[1] = 0xd8;
  return b;
}

const health = async () => (await server.request('GET', '/api/streams/runtime/health')).json.find((h: { transmission_id: string }) => h.transmission_id === TX);

interface Viewer {
  ws: WebSocket;
  chunks: Buffer[];
  bytes(): number;
}

async function viewer(): Promise<Viewer> {
  const plan = (await server.request('GET', `/api/streams/transmissions/${TX}/playback-plan?client=web&context=grid`)).json;
  const url = plan.transports.find((t: { transport: string }) => t.transport === 'jsmpeg').url as string;
  const ws = new WebSocket(server.base.replace('http', 'ws') + url);
  sockets.push(ws);
  const chunks: Buffer[] = [];
  ws.on('message', (data: Buffer, isBinary) => isBinary && chunks.push(data));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return { ws, chunks, bytes: () => chunks.reduce((n, c) => n + c.length, 0) };
}

/** Average colour of every frame of an MPEG-TS capture, decoded by FFmpeg. */
async function colours(ts: Buffer): Promise<string[]> {
  const r = await runToBuffer(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-f', 'mpegts', '-i', 'pipe:0', '-vf', 'scale=32:18', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], {
    timeoutMs: 30_000,
    input: ts,
  });
  const size = 32 * 18 * 3;
  const out: string[] = [];
  for (let i = 0; i + size <= r.stdout.length; i += size) out.push(classifyColor(averageRgb(r.stdout.subarray(i, i + size))));
  return out;
}

/** The pid of the running child whose name starts with `prefix`, or null (none, or between restarts). */
const runningPid = (prefix: string) => server.streaming.supervisor.list().find((c) => c.name.startsWith(prefix) && c.pid !== null)?.pid ?? null;

beforeAll(async () => {
  server = await startLiveServer({ mediamtxPath: ENGINE_BINS.mediamtx, heartbeatTtlMs: 60_000, outputStallMs: STALL_MS }, { writers: { sticky_window_ms: 0, stale_after_ms: 1500 } });
  // What the publisher sends into the engine, read back (test/engine-reader.ts: from the real engine, or a receiver standing in for the double's RTSP).
  receiver = await readEnginePath({ port: server.streaming.engine.rtspPort(), path: PATH });
  const put = await server.request('PUT', '/api/streams/pipelines/corrupt', {
    nodes: [{ id: 'out', type: 'stream.publish_video', config: { publication_enabled: true, publication_quality_profile_id: 'sd' } }],
  });
  expect(put.status).toBe(201);
}, 60_000);

afterEach(async () => {
  timers.splice(0).forEach(clearInterval);
  sockets.splice(0).forEach((s) => s.terminate());
  await waitFor('every JSMpeg encoder gone', () => server.streaming.supervisor.count('jsmpeg:') === 0);
});

afterAll(async () => {
  for (const pid of stopped) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // already gone
    }
  }
  await server?.close();
  await receiver?.stop();
  await stopAllMediaProcesses();
});

describe('a corrupt frame never freezes viewers silently', () => {
  it('garbage after a valid frame: the viewer keeps receiving video, the writer is told, health shows no fresh frame', async () => {
    const token = server.streaming.store.get().streaming.api_token!;
    const writer = new WebSocket(`${server.base.replace('http', 'ws')}/api/streams/writers/ws?transmission_id=${TX}&writer_id=bad&priority=1`, {
      headers: { authorization: `Bearer ${token}` },
    });
    sockets.push(writer);
    const messages: any[] = [];
    writer.on('message', (data, isBinary) => !isBinary && messages.push(JSON.parse((data as Buffer).toString())));
    await new Promise((resolve, reject) => writer.once('open', resolve).once('error', reject));
    writer.send(await solidJpeg('red', 640, 360));

    const v = await viewer();
    await waitFor('first MPEG-TS bytes', () => v.bytes() > 0);

    let n = 0;
    timers.push(setInterval(() => writer.readyState === WebSocket.OPEN && writer.send(garbage(n++)), 100));
    const before = v.bytes();
    // The viewer keeps getting video: the valid frame, then the placeholder once it is stale.
    await waitFor('MPEG-TS bytes after the garbage started', () => v.bytes() - before > 20_000);

    // The writer is told why each frame was refused.
    await waitFor('a refusal on the writer socket', () => messages.some((m) => m.type === 'error'));
    const refusal = messages.find((m) => m.type === 'error');
    expect(refusal).toMatchObject({ type: 'error', error: { code: 'invalid_jpeg', field: 'frame', message: expect.stringMatching(/refused/) } });

    // Health: the garbage never counts as a fresh frame; the refusals and their reason show.
    const h = await health();
    const w = h.writers.find((x: { id: string }) => x.id === 'bad');
    expect(w).toMatchObject({ frames_received: 1, fresh: false, last_refusal: { reason: expect.any(String) } });
    expect(w.frames_refused).toBeGreaterThan(5);
    expect(h.fallback_reason).toBe('writers_stale');

    const seen = await colours(Buffer.concat(v.chunks));
    expect(seen.length).toBeGreaterThan(20);
    expect(seen[0]).toBe('red');
    expect(seen.at(-1)).not.toBe('red'); // the stale placeholder took over
  }, 60_000);

  it('a SIGSTOPped JSMpeg encoder is reported as stalled and restarted; the viewer gets video again', async () => {
    const v = await viewer();
    await waitFor('first MPEG-TS bytes', () => v.bytes() > 0);
    const session = server.streaming.supervisor.list().find((c) => c.name.startsWith(`jsmpeg:${PATH}:`) && c.pid !== null)!;
    const pid = session.pid!;
    process.kill(pid, 'SIGSTOP');
    stopped.push(pid);
    const frozenAt = v.bytes();

    // Health reports the stall (as long as it lasts) and keeps a record of it.
    let saw: any = null;
    await waitFor(
      'health reporting the stalled session',
      async () => {
        const h = await health();
        const s = h.stalled_outputs.find((o: { name: string }) => o.name === session.name);
        if (s) saw = { h, s };
        return saw !== null || h.output_activity.some((o: { name: string; stalls: number }) => o.name === session.name && o.stalls > 0);
      },
      20_000,
      { intervalMs: 20 },
    );
    console.log(`jsmpeg stall: ${saw ? `seen live in health (no output for ${saw.s.no_output_for_ms} ms)` : 'only its record was seen (the restart came first)'}`);
    if (saw) {
      expect(saw.h.output_stalled).toBe(true);
      expect(saw.s.kind).toBe('jsmpeg');
      expect(saw.s.no_output_for_ms).toBeGreaterThanOrEqual(STALL_MS);
      expect(saw.h.problems.some((p: string) => p.startsWith('output_stalled'))).toBe(true);
    }

    // The session restarted its encoder: a new process, and video flows again on the same socket.
    await waitFor('video after the encoder restart', () => ![null, pid].includes(runningPid(`jsmpeg:${PATH}:`)) && v.bytes() - frozenAt > 5_000);
    expect(v.ws.readyState).toBe(WebSocket.OPEN);
    const after = await health();
    const activity = after.output_activity.find((o: { name: string }) => o.name === session.name);
    expect(activity).toMatchObject({ kind: 'jsmpeg', stalled: false, stalls: 1 });
    v.ws.close();
  }, 60_000);

  it('a SIGSTOPped writer publisher is reported as producing no output until it runs again', async () => {
    const v = await viewer(); // demand: the runtime runs the writers' publisher into the engine path
    await waitFor('the publisher running', () => server.streaming.supervisor.list().some((c) => c.name === `publisher:${PATH}` && c.state === 'running'));
    await waitFor('publisher progress', async () =>
      (await health()).output_activity.some((o: { name: string; last_output_ms: number | null }) => o.name === `publisher:${PATH}` && o.last_output_ms !== null),
    );
    expect((await health()).output_stalled).toBe(false);
    const pid = runningPid(`publisher:${PATH}`)!;
    process.kill(pid, 'SIGSTOP');
    stopped.push(pid);
    await waitFor('health reporting the stalled publisher', async () =>
      (await health()).stalled_outputs.some((o: { name: string; kind: string }) => o.name === `publisher:${PATH}` && o.kind === 'publisher'),
    );
    process.kill(pid, 'SIGCONT');
    await waitFor('the stall cleared', async () => !(await health()).output_stalled);
    v.ws.close();
  }, 60_000);
});
