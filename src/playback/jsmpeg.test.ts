import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import * as v from 'valibot';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { captureLogger, waitFor } from '../../test/fixtures/proc-helpers.js';
import { averageRgb, classifyColor, dominantColor, probe, solidJpeg } from '../../test/media/frames.js';
import { Hono } from 'hono';
import { onApiError } from '../api/errors.js';
import { jsmpegRoutes } from '../api/routes/jsmpeg.js';
import { jsmpegUpgradeRoute } from '../api/ws/media.js';
import { createUpgradeRouter } from '../api/ws/router.js';
import { streamingSettingsSchema, type SettingsDoc } from '../domain/settings.js';
import type { Output, Transmission } from '../domain/transmission.js';
import { createSupervisor } from '../process/supervisor.js';
import { createDemandTracker } from '../runtime/demand.js';
import { createPlaceholders } from '../runtime/placeholder.js';
import { startFramePump } from '../runtime/frame-pump.js';
import { createRuntimeRegistry } from '../runtime/transmission-state.js';
import { jsmpegArgs, jsmpegOutputSize } from './jsmpeg/args.js';
import { createOutputGate } from './jsmpeg/gate.js';
import { createJsmpegSessions, type JsmpegSessions } from './jsmpeg/sessions.js';
import { JSMPEG_CLOSE } from './jsmpeg/socket.js';
import { createMediaTokens, type MediaScope } from './tokens.js';
import { fixtureOutput, fixtureTransmission } from '../reconcile/fixtures.js';

const TX_A = 'tx-a';
const TX_B = 'tx-b';
const TX_CAM = 'tx-cam';
const TX_OFF = 'tx-off';
const PATH_A = 'pipe/test/a'; // a path with "/": the URL pattern must keep it whole
const PATH_B = 'b';
const PATH_CAM = 'cam/front/main';
const PATH_OFF = 'off';

const output = (id: string, path: string, extra: Partial<Output> = {}): Output => fixtureOutput(id, path, { ...{}, ...extra });
const transmission = (id: string, outputs: Output[], extra: Partial<Transmission> = {}): Transmission => fixtureTransmission(id, outputs, { ...{}, ...extra });

type Doc = Pick<SettingsDoc, 'transmissions' | 'streaming'>;
const makeDoc = (jsmpeg: Record<string, unknown> = {}): Doc => ({
  transmissions: [
    transmission(TX_A, [output('main', PATH_A)]),
    transmission(TX_B, [output('main', PATH_B)]),
    transmission(TX_CAM, [output('main', PATH_CAM, { codec: 'copy' })], { input: 'camera_source', camera_id: 'front', camera_source_id: 'main' }),
    transmission(TX_OFF, [output('main', PATH_OFF)], { enabled: false }),
  ],
  streaming: v.parse(streamingSettingsSchema, { jsmpeg: { width: 320, fps: 10, max_sessions: 3, max_sessions_per_transmission: 2, ...jsmpeg } }),
});

const log = captureLogger('info');
const supervisor = createSupervisor({ logger: log.logger });
const registry = createRuntimeRegistry({ stickyWindowMs: 0, staleAfterMs: 2000 });
const demand = createDemandTracker({ heartbeatTtlMs: 30_000, now: Date.now });
const placeholders = createPlaceholders({ supervisor });
const tokens = createMediaTokens({ key: randomBytes(32) });
let doc: Doc = makeDoc();
let server: Server;
let base: string;
let jsmpeg: JsmpegSessions;
const extra: { sessions: JsmpegSessions; server: Server }[] = [];
const clients: WebSocket[] = [];
const timers: NodeJS.Timeout[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'jsmpeg-test-'));

const issued: string[] = [];
const issue = (sc: MediaScope, ttlMs?: number) => {
  const t = tokens.issue(sc, ttlMs);
  issued.push(t);
  return t;
};
const scope = (tx: string, path: string, transport: MediaScope['transport'] = 'jsmpeg'): MediaScope => ({ transmission_id: tx, output_id: 'main', path, transport });
const wsUrl = (path: string, token: string | null, at = base) => `${at}/api/streams/media/jsmpeg/${path}/ws${token === null ? '' : `?media_token=${encodeURIComponent(token)}`}`;

/** The API's upgrade edge (token, path) in front of `sessions`. */
const upgrades = (sessions: JsmpegSessions) => createUpgradeRouter({ routes: [jsmpegUpgradeRoute({ sessions, tokens })], logger: log.logger });

/** An HTTP server on 127.0.0.1 whose upgrades go to `sessions`; returns its ws:// base. */
async function serve(sessions: JsmpegSessions): Promise<{ server: Server; base: string }> {
  const srv = createServer((_req, res) => res.writeHead(404).end());
  const router = upgrades(sessions);
  srv.on('upgrade', (req, socket, head) => {
    if (!router.handle(req, socket, head)) socket.destroy();
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return { server: srv, base: `ws://127.0.0.1:${(srv.address() as AddressInfo).port}` };
}

/** Another sessions instance on its own server (other options); closed after all tests. */
async function another(over: Partial<Parameters<typeof createJsmpegSessions>[0]>): Promise<{ sessions: JsmpegSessions; base: string }> {
  const sessions = createJsmpegSessions({ supervisor, logger: log.logger, registry, demand, placeholders, doc: () => doc, pingIntervalMs: 0, ...over });
  const s = await serve(sessions);
  extra.push({ sessions, server: s.server });
  return { sessions, base: s.base };
}

beforeAll(async () => {
  jsmpeg = createJsmpegSessions({ supervisor, logger: log.logger, registry, demand, placeholders, doc: () => doc, pingIntervalMs: 0 });
  ({ server, base } = await serve(jsmpeg));
});

afterEach(async () => {
  timers.splice(0).forEach(clearInterval);
  for (const c of clients.splice(0)) {
    c.on('error', () => {});
    c.terminate();
  }
  await waitFor(() => supervisor.count('jsmpeg:') === 0, 30_000, 'every jsmpeg FFmpeg gone');
  doc = makeDoc();
});

afterAll(async () => {
  if (process.env.JSMPEG_TEST_LOG) console.log(log.lines.filter((l) => /"level":(40|50)/.test(l)).join('\n'));
  await Promise.all([jsmpeg.close(), ...extra.map((e) => e.sessions.close())]);
  for (const srv of [server, ...extra.map((e) => e.server)]) {
    srv.closeAllConnections();
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  }
  await supervisor.stopAll();
  rmSync(tmp, { recursive: true, force: true });
  // Whatever happened, no media token reached the log.
  const text = log.lines.join('\n');
  for (const t of issued) expect(text).not.toContain(t.split('.')[1]!);
});

interface Opened {
  ws: WebSocket;
  openedAt: number;
  chunks: Buffer[];
  firstMessageAt: number | null;
  closed: Promise<{ code: number; reason: string }>;
}

/** Connects; resolves with the open socket (collecting binary messages) or with the refused handshake's status and JSON body. */
function connect(url: string): Promise<{ opened: Opened } | { status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    clients.push(ws);
    const chunks: Buffer[] = [];
    const o: Opened = {
      ws,
      openedAt: 0,
      chunks,
      firstMessageAt: null,
      closed: new Promise((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() }))),
    };
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) return;
      o.firstMessageAt ??= performance.now();
      chunks.push(data);
    });
    ws.once('open', () => {
      o.openedAt = performance.now();
      resolve({ opened: o });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body ? JSON.parse(body) : null }));
    });
    ws.once('error', (err) => {
      if (!ws.listenerCount('unexpected-response')) return;
      reject(err);
    });
  });
}

async function open(url: string): Promise<Opened> {
  const r = await connect(url);
  if (!('opened' in r)) throw new Error(`refused: ${r.status} ${JSON.stringify(r.body)}`);
  return r.opened;
}

/** Pushes a JPEG into the registry as writer `w1` every 100 ms (a writer at 10 fps). */
function feed(tx: string, jpeg: () => Buffer): void {
  const state = registry.ensure(tx);
  state.update('w1', jpeg());
  timers.push(setInterval(() => state.update('w1', jpeg()), 100));
}

/** Writes the collected TS to a file and decodes every frame, scaled to 32x18, to its average colour. */
function decodeAll(bytes: Buffer): { file: string; colors: [number, number, number][] } {
  const file = join(tmp, `s-${Date.now()}-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(file, bytes);
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', file, '-fps_mode', 'passthrough', '-vf', 'scale=32:18', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const frame = 32 * 18 * 3;
  const colors: [number, number, number][] = [];
  for (let i = 0; i + frame <= r.stdout.length; i += frame) colors.push(averageRgb(r.stdout.subarray(i, i + frame)));
  return { file, colors };
}

const collect = (o: Opened) => Buffer.concat(o.chunks);

describe('pure parts', () => {
  it('sizes the output from the configured width and the source aspect (even)', () => {
    expect(jsmpegOutputSize(320, { width: 640, height: 360 })).toEqual({ width: 320, height: 180 });
    expect(jsmpegOutputSize(320, { width: 640, height: 480 })).toEqual({ width: 320, height: 240 });
    expect(jsmpegOutputSize(321, { width: 1000, height: 333 })).toEqual({ width: 322, height: 108 });
    expect(jsmpegOutputSize(640, null)).toEqual({ width: 640, height: 360 });
  });

  it('encodes H.264 baseline yuv420p in MPEG-TS with flushed packets and a one-second GOP', () => {
    const a = jsmpegArgs({ width: 320, height: 180, fps: 10 });
    const after = (flag: string) => a[a.indexOf(flag) + 1];
    expect(after('-c:v')).toBe('libx264');
    expect(after('-profile:v')).toBe('baseline');
    expect(after('-pix_fmt')).toBe('yuv420p');
    expect(after('-tune')).toBe('zerolatency');
    expect(after('-g')).toBe('10');
    expect(after('-f')).toBe('mjpeg');
    expect(a.slice(-9)).toEqual(['-f', 'mpegts', '-flush_packets', '1', '-muxdelay', '0', '-muxpreload', '0', 'pipe:1']);
    expect(a).toContain('-an');
  });

  it('frame pump (shared with the publishers): paced writes about fps frames a second from a faster writer; arrival writes them all; eager starts at once', async () => {
    const jpeg = await solidJpeg('red', 64, 36);
    const run = async (pace: 'paced' | 'arrival', eager: boolean) => {
      const reg = createRuntimeRegistry({ stickyWindowMs: 0, staleAfterMs: 2000 });
      const state = reg.ensure('pump');
      state.update('w', jpeg);
      const stdin = new PassThrough({ highWaterMark: 1024 * 1024 });
      let writes = 0;
      stdin.on('data', () => {});
      const realWrite = stdin.write.bind(stdin);
      stdin.write = ((chunk: Buffer) => (writes++, realWrite(chunk))) as typeof stdin.write;
      const counters = { frames_written: 0, frames_skipped: 0 };
      // One second on fake timers and a fake Date: the pacing is counted, not raced against a busy machine.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
      try {
        const pump = startFramePump({ state, read: (t) => state.frame(t), fps: 10, width: 64, height: 36, placeholders, stdin: () => stdin, counters, pace, eager });
        const writesAtStart = writes;
        const writer = setInterval(() => state.update('w', jpeg), 20); // a 50 fps writer
        await vi.advanceTimersByTimeAsync(1000);
        clearInterval(writer);
        pump.stop();
        return { writesAtStart, frames: counters.frames_written };
      } finally {
        vi.useRealTimers();
      }
    };
    const paced = await run('paced', true);
    expect(paced.writesAtStart).toBe(2); // the first picture twice, at once
    expect(paced.frames).toBeGreaterThanOrEqual(8);
    expect(paced.frames).toBeLessThanOrEqual(14);
    const arrival = await run('arrival', false);
    expect(arrival.writesAtStart).toBe(0);
    expect(arrival.frames).toBeGreaterThanOrEqual(35);
  });

  it('output gate: pauses the source above the high water mark, resumes below the low one, reports a stuck client once', async () => {
    const socket = { bufferedAmount: 0 };
    let slow = 0;
    const gate = createOutputGate({ socket, highWaterBytes: 1000, lowWaterBytes: 100, pollMs: 5, tooSlowMs: 150, onTooSlow: () => slow++ });
    const src = new PassThrough();
    gate.setSource(src);
    socket.bufferedAmount = 900;
    gate.afterSend();
    expect(gate.paused()).toBe(false);
    socket.bufferedAmount = 1500;
    gate.afterSend();
    expect(gate.paused()).toBe(true);
    expect(src.isPaused()).toBe(true);
    // A restarted encoder's new stdout inherits the paused state.
    const src2 = new PassThrough();
    gate.setSource(src2);
    expect(src2.isPaused()).toBe(true);
    socket.bufferedAmount = 500; // below high, above low: still paused
    await new Promise((r) => setTimeout(r, 30));
    expect(gate.paused()).toBe(true);
    socket.bufferedAmount = 50;
    await waitFor(() => !gate.paused(), 30_000, 'gate resumed');
    expect(src2.isPaused()).toBe(false);
    expect(gate.stats().pauses).toBe(1);
    expect(slow).toBe(0);
    socket.bufferedAmount = 5000;
    gate.afterSend();
    await waitFor(() => slow === 1, 30_000, 'too slow reported');
    await new Promise((r) => setTimeout(r, 50));
    expect(slow).toBe(1);
    expect(gate.stats().paused_ms).toBeGreaterThanOrEqual(150);
    gate.stop();
  });
});

describe('token and request checks, before the handshake', () => {
  const cases: [string, () => string, number, string][] = [
    ['no token', () => wsUrl(PATH_A, null), 401, 'missing_token'],
    ['expired', () => wsUrl(PATH_A, issue(scope(TX_A, PATH_A), -5_000)), 401, 'expired_token'],
    ['forged (another key)', () => wsUrl(PATH_A, createMediaTokens({ key: randomBytes(32) }).issue(scope(TX_A, PATH_A))), 401, 'invalid_token'],
    ['garbage', () => wsUrl(PATH_A, 'not-a-token'), 401, 'invalid_token'],
    ['another path', () => wsUrl(PATH_A, issue(scope(TX_B, PATH_B))), 403, 'token_scope'],
    ['another transport', () => wsUrl(PATH_A, issue(scope(TX_A, PATH_A, 'hls'))), 403, 'token_scope'],
    ['unknown path (valid token for it)', () => wsUrl('nope/x', issue(scope(TX_A, 'nope/x'))), 404, 'not_found'],
    ['disabled transmission', () => wsUrl(PATH_OFF, issue(scope(TX_OFF, PATH_OFF))), 409, 'transmission_disabled'],
  ];
  it.each(cases)('%s → %i', async (_name, url, status, code) => {
    const r = await connect(url());
    expect('status' in r && r.status).toBe(status);
    if (!('status' in r)) return;
    expect(r.body.error.code).toBe(code);
    expect(r.body.error.field).toBeTruthy();
    expect(supervisor.count('jsmpeg:')).toBe(0);
    expect(jsmpeg.count()).toBe(0);
  });

  it('fallback disabled → 409 naming streaming.jsmpeg.enabled', async () => {
    doc = makeDoc({ enabled: false });
    const r = await connect(wsUrl(PATH_A, issue(scope(TX_A, PATH_A))));
    expect('status' in r && r.status).toBe(409);
    if ('status' in r) expect(r.body.error).toMatchObject({ code: 'jsmpeg_disabled', field: 'streaming.jsmpeg.enabled' });
  });

  it('a plain GET of the WebSocket URL is 426, not 404', async () => {
    const res = await new Hono().route('/', jsmpegRoutes(jsmpeg)).onError(onApiError(log.logger)).request(`/media/jsmpeg/${PATH_A}/ws`);
    expect(res.status).toBe(426);
    expect(res.headers.get('upgrade')).toBe('websocket');
  });

  it('another URL is left to the caller', () => {
    const fake = { url: '/api/streams/media/mse/x/ws' } as never;
    expect(upgrades(jsmpeg).handle(fake, new PassThrough(), Buffer.alloc(0))).toBe(false);
  });
});

describe('sessions end to end (real FFmpeg)', () => {
  it("streams a writer's frames as H.264 MPEG-TS at the configured size, follows the writer, and leaves nothing behind", async () => {
    const red = await solidJpeg('red', 640, 360);
    const blue = await solidJpeg('blue', 640, 360);
    let current = red;
    feed(TX_A, () => current);

    const o = await open(wsUrl(PATH_A, issue(scope(TX_A, PATH_A))));
    expect(demand.describe(TX_A).consumers).toBe(1);
    expect(jsmpeg.count(TX_A)).toBe(1);
    expect(supervisor.count('jsmpeg:')).toBe(1);
    await waitFor(() => o.firstMessageAt !== null, 30_000, 'first TS bytes');
    // Informational (a goal, not a bound here: bench/ measures time to first frame).
    console.log(`jsmpeg: socket open → first TS byte ${(o.firstMessageAt! - o.openedAt).toFixed(0)} ms (server side ${jsmpeg.sessions()[0]?.first_byte_ms} ms from handshake)`);
    expect(collect(o)[0]).toBe(0x47); // MPEG-TS sync byte

    // About 1.5 s of red, then 1.5 s of blue, counted in frames written (10 fps) rather than slept.
    const written = () => jsmpeg.sessions()[0]?.frames_written ?? 0;
    await waitFor(() => written() >= 15, 30_000, '15 red frames written');
    current = blue;
    const blueFrom = written();
    await waitFor(() => written() >= blueFrom + 15, 30_000, '15 blue frames written');
    const listed = await jsmpegRoutes(jsmpeg).request('/runtime/jsmpeg/sessions');
    expect(((await listed.json()) as { count: number }).count).toBe(1);
    // Bytes still in flight make an equality racy: what arrived before the snapshot was sent, and what was sent arrives.
    const receivedBefore = collect(o).length;
    const info = jsmpeg.sessions()[0]!;
    expect(info).toMatchObject({ transmission_id: TX_A, output_id: 'main', path: PATH_A, width: 320, height: 180, fps: 10, showing: 'frame' });
    expect(info.name).toMatch(/^jsmpeg:pipe\/test\/a:\d+$/);
    expect(info.frames_written).toBeGreaterThan(20);
    expect(info.bytes_sent).toBeGreaterThanOrEqual(receivedBefore);
    await waitFor(() => collect(o).length >= info.bytes_sent, 30_000, 'every byte counted as sent received');

    o.ws.close();
    expect((await o.closed).code).toBe(1005);
    await waitFor(() => supervisor.count('jsmpeg:') === 0, 30_000, 'FFmpeg gone after close');
    expect(jsmpeg.count()).toBe(0);
    expect(demand.describe(TX_A).consumers).toBe(0);

    const bytes = collect(o);
    const { file, colors } = decodeAll(bytes);
    const p = await probe(file);
    expect(p).toMatchObject({ codecName: 'h264', width: 320, height: 180, pixFmt: 'yuv420p' });
    expect(p.profile).toMatch(/Baseline/);
    expect(colors.length).toBeGreaterThan(20);
    expect(classifyColor(colors[0]!)).toBe('red');
    expect(classifyColor(colors.at(-1)!)).toBe('blue');
    // About 30 frames written: the stream carries those (pacing, not the writer's rate).
    expect(colors.length).toBeLessThan(45);
  });

  it('shows the placeholder with its reason when no writer feeds the transmission', async () => {
    const o = await open(wsUrl(PATH_B, issue(scope(TX_B, PATH_B))));
    await waitFor(() => o.firstMessageAt !== null, 30_000, 'first TS bytes');
    console.log(`jsmpeg placeholder: socket open → first TS byte ${(o.firstMessageAt! - o.openedAt).toFixed(0)} ms`);
    await waitFor(() => (jsmpeg.sessions()[0]?.frames_written ?? 0) >= 12, 30_000, 'a second of placeholder frames');
    expect(jsmpeg.sessions()[0]?.showing).toBe('no_writer');
    o.ws.close();
    await o.closed;
    const { colors } = decodeAll(collect(o));
    expect(colors.length).toBeGreaterThan(5);
    const expected = await dominantColor(await placeholders.get(320, 180, 'no_writer'));
    for (let i = 0; i < 3; i++) expect(Math.abs(colors.at(-1)![i]! - expected[i]!)).toBeLessThan(12);
    expect(classifyColor(colors.at(-1)!)).not.toBe('red');
  });

  it('a camera source without frames yet shows "warming up" (and holds demand so the runtime decodes it)', async () => {
    const o = await open(wsUrl(PATH_CAM, issue(scope(TX_CAM, PATH_CAM))));
    await waitFor(() => o.firstMessageAt !== null, 30_000, 'first TS bytes');
    expect(jsmpeg.sessions()[0]?.showing).toBe('warming_up');
    expect(demand.wantsFrames(TX_CAM)).toBe(true);
    o.ws.close();
    await o.closed;
    await waitFor(() => !demand.wantsFrames(TX_CAM), 30_000, 'demand released');
  });

  it('session limits: accepted then closed with 4429 and a reason naming the limit', async () => {
    const a1 = await open(wsUrl(PATH_A, issue(scope(TX_A, PATH_A))));
    const a2 = await open(wsUrl(PATH_A, issue(scope(TX_A, PATH_A))));
    const a3 = await open(wsUrl(PATH_A, issue(scope(TX_A, PATH_A))));
    expect(await a3.closed).toEqual({ code: JSMPEG_CLOSE.LIMIT, reason: 'jsmpeg session limit reached (2 per transmission)' });
    const b1 = await open(wsUrl(PATH_B, issue(scope(TX_B, PATH_B))));
    const b2 = await open(wsUrl(PATH_B, issue(scope(TX_B, PATH_B))));
    expect(await b2.closed).toEqual({ code: JSMPEG_CLOSE.LIMIT, reason: 'jsmpeg session limit reached (global 3)' });
    expect(jsmpeg.count()).toBe(3);
    expect(supervisor.count('jsmpeg:')).toBe(3);
    expect(jsmpeg.counters.limited).toBeGreaterThanOrEqual(2);
    for (const s of [a1, a2, b1]) s.ws.close();
    await Promise.all([a1.closed, a2.closed, b1.closed]);
    await waitFor(() => supervisor.count('jsmpeg:') === 0, 30_000, 'FFmpeg gone');
    // A slot is free again.
    const again = await open(wsUrl(PATH_B, issue(scope(TX_B, PATH_B))));
    await waitFor(() => again.firstMessageAt !== null, 30_000, 'first TS bytes');
    again.ws.close();
    await again.closed;
  });

  it('closes the socket (1011) when the encoder keeps dying, after its restarts', async () => {
    const broken = await another({ ffmpegPath: '/bin/false', maxRestarts: 2 });
    const o = await open(wsUrl(PATH_B, issue(scope(TX_B, PATH_B)), broken.base));
    const closed = await o.closed;
    expect(closed.code).toBe(JSMPEG_CLOSE.ENCODER_FAILED);
    expect(closed.reason).toMatch(/^jsmpeg encoder failed/);
    expect(broken.sessions.counters.encoder_failures).toBe(1);
    await waitFor(() => broken.sessions.count() === 0 && demand.describe(TX_B).consumers === 0, 30_000, 'session released');
  });

  it('a transmission disabled during a session closes it with 4404', async () => {
    const quick = await another({ checkIntervalMs: 100 });
    const o = await open(wsUrl(PATH_B, issue(scope(TX_B, PATH_B)), quick.base));
    doc = { ...doc, transmissions: doc.transmissions.map((t) => (t.id === TX_B ? { ...t, enabled: false } : t)) };
    expect(await o.closed).toEqual({ code: JSMPEG_CLOSE.GONE, reason: 'this stream was removed or disabled' });
  });

  it('close() ends every session with 1001 and waits for the processes', async () => {
    const own = await another({});
    const o = await open(wsUrl(PATH_B, issue(scope(TX_B, PATH_B)), own.base));
    await waitFor(() => o.firstMessageAt !== null, 30_000, 'first TS bytes');
    const t0 = performance.now();
    await own.sessions.close();
    console.log(`jsmpeg close(): ${(performance.now() - t0).toFixed(0)} ms until the FFmpeg was gone`);
    expect(supervisor.count('jsmpeg:')).toBe(0);
    expect((await o.closed).code).toBe(JSMPEG_CLOSE.SHUTDOWN);
  });
});
