import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { streamingSettingsSchema } from '../domain/settings.js';
import { createSupervisor } from '../process/supervisor.js';
import type { Supervisor } from '../process/types.js';
import { createGo2rtcManager, type Go2rtcManager } from '../sidecar/manager.js';
import { fragmentStartsWithKeyframe, listBoxes, trexDefaultFlags } from '../../test/doubles/go2rtc/fmp4.js';
import { DOUBLE_BIN } from '../../test/doubles/go2rtc/release.js';
import type { LoggedRequest, SessionInfo, Violation } from '../../test/doubles/go2rtc/server.js';
import { mseUpgradeRoute } from '../api/ws/media.js';
import { createUpgradeRouter } from '../api/ws/router.js';
import { createMseRelay } from './mse-relay.js';
import { CLOSE_NO_REQUEST, CLOSE_SIDECAR_UNAVAILABLE, CLOSE_UNKNOWN_PATH, CLOSE_UPSTREAM_CLOSED, CLOSE_VIEWER_TOO_SLOW, type MseRelay, type MseRelayOptions } from './mse-relay-types.js';
import { createMediaTokens, type MediaScope } from './tokens.js';
import { captureLogger } from '../../test/fixtures/proc-helpers.js';
import { freePort } from '../../test/support/ports.js';
import { waitFor } from '../../test/support/wait.js';
import { makeDataDir, removeDataDir } from '../../test/support/data-dir.js';

const run = promisify(execFile);

const KEY = randomBytes(32);
const tokens = createMediaTokens({ key: KEY });
const FRONT: MediaScope = { transmission_id: 'tx-front', output_id: 'main', path: 'cam/front/main', transport: 'mse' };
const SUB: MediaScope = { transmission_id: 'tx-front', output_id: 'sub', path: 'cam/front/sub', transport: 'mse' };
/** In the plan but not (yet) in go2rtc's config. */
const BACK: MediaScope = { transmission_id: 'tx-back', output_id: 'main', path: 'cam/back/main', transport: 'mse' };
const OUTPUTS = [FRONT, SUB, BACK];

interface Env {
  dataDir: string;
  supervisor: Supervisor;
  sidecar: Go2rtcManager;
  relay: MseRelay;
  server: Server;
  base: string;
  demand: Map<string, number>;
  logs: string[];
  /** MediaMTX's RTSP port as the sidecar sees it (a change restarts go2rtc). */
  rtsp: { port: number };
}

async function setup(relayOptions: Partial<MseRelayOptions> = {}): Promise<Env> {
  const dataDir = await makeDataDir('mse-relay');
  const { logger, lines: logs } = captureLogger('debug');
  const supervisor = createSupervisor({ logger });
  const settings = v.parse(streamingSettingsSchema, {});
  const rtsp = { port: 18554 };
  const sidecar = createGo2rtcManager({
    supervisor,
    logger,
    dataDir,
    settings: () => settings,
    rtspPort: () => rtsp.port,
    logLevel: 'info',
    go2rtcPath: DOUBLE_BIN,
    bundledPaths: [],
    apiPort: await freePort(),
  });
  await sidecar.syncStreams([FRONT.path, SUB.path]);
  expect((await sidecar.start()).state).toBe('running');
  const demand = new Map<string, number>();
  const relay = createMseRelay({
    sidecar,
    logger,
    lookup: (path) => OUTPUTS.find((o) => o.path === path) ?? null,
    // Keyed by the output read: demand names it, so an output made on request starts only for its viewers.
    acquire: ({ transmission, output }) => {
      const key = `${transmission}/${output}`;
      demand.set(key, (demand.get(key) ?? 0) + 1);
      return () => demand.set(key, (demand.get(key) ?? 0) - 1);
    },
    ...relayOptions,
  });
  const server = createServer((_req, res) => {
    res.writeHead(404);
    res.end();
  });
  const router = createUpgradeRouter({ routes: [mseUpgradeRoute({ relay, tokens })], logger });
  server.on('upgrade', (req, socket, head) => {
    if (!router.handle(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { dataDir, supervisor, sidecar, relay, server, base: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, demand, logs, rtsp };
}

async function teardown(env: Env | undefined): Promise<void> {
  if (!env) return;
  await env.relay.close();
  env.server.closeAllConnections();
  await new Promise<void>((r) => env.server.close(() => r()));
  await env.sidecar.stop();
  await env.supervisor.stopAll();
  await rm(env.dataDir, { recursive: true, force: true });
}

const double = async <T>(env: Env, path: string, init?: RequestInit): Promise<T> => {
  const base = env.sidecar.status().api_url;
  if (!base) throw new Error('go2rtc not running');
  return (await (await fetch(`${base}${path}`, init)).json()) as T;
};

const mseUrl = (env: Env, path: string, token: string | null) => `${env.base}/api/streams/media/mse/${path}/ws${token === null ? '' : `?media_token=${encodeURIComponent(token)}`}`;

/** Browser-like headers: none of them may reach go2rtc. */
const BROWSER_HEADERS = {
  Origin: 'https://homeassistant.example:8123',
  Cookie: 'ingress_session=abc123',
  'X-Ingress-Path': '/api/hassio_ingress/Zx9',
  'X-Forwarded-For': '192.168.1.50',
  'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130',
};

interface Received {
  ws: WebSocket;
  texts: unknown[];
  binaries: Buffer[];
  closed: Promise<{ code: number; reason: string }>;
  opened: Promise<void>;
}

function connect(url: string, headers: Record<string, string> = BROWSER_HEADERS): Received {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  const r: Received = {
    ws,
    texts: [],
    binaries: [],
    closed: new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
    opened: new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    }),
  };
  ws.on('message', (data, isBinary) => {
    if (isBinary) r.binaries.push(data as Buffer);
    else r.texts.push(JSON.parse((data as Buffer).toString()));
  });
  ws.on('error', () => {});
  return r;
}

/** A raw HTTP upgrade request: the status and JSON body of a refusal before any handshake. */
function rawUpgrade(url: string): Promise<{ status: number; body: any; upgraded: boolean }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url.replace(/^ws/, 'http'));
    const req = request({
      host: u.hostname,
      port: u.port,
      path: `${u.pathname}${u.search}`,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), Origin: 'https://evil.example' },
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve({ status: 101, body: null, upgraded: true });
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null, upgraded: false }));
    });
    req.on('error', reject);
    req.end();
  });
}

// These run against the go2rtc double whatever the engine suite's target: the double makes the fMP4
// itself (no MediaMTX behind it), and the tests read its request log, sessions and producer counters
// and set its media rate. The real go2rtc through this relay: test/playback/mse-cold.test.ts and
// src/playback/mse-slow-viewer.test.ts.
describe('MSE relay end to end, browser ↔ relay ↔ go2rtc (double only: asserts the request log, sessions and violations the double records)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await setup();
  });
  afterAll(async () => {
    await teardown(env);
  });

  it('relays the handshake, the init segment and keyframe-first fragments, without any browser header', async () => {
    const c = connect(mseUrl(env, FRONT.path, tokens.issue(FRONT)));
    await c.opened;
    expect(env.relay.connections()).toBe(1);
    c.ws.send(JSON.stringify({ type: 'mse', value: 'avc1.640029,avc1.64002A,hvc1.1.6.L153.B0,mp4a.40.2,opus' }));
    await Promise.race([
      waitFor('8 binary frames', () => c.binaries.length >= 8),
      c.closed.then((x) => {
        throw new Error(`closed before the media: ${JSON.stringify(x)}`);
      }),
    ]);

    // Text: go2rtc's answer, unchanged.
    expect(c.texts).toHaveLength(1);
    const answer = c.texts[0] as { type: string; value: string };
    expect(answer.type).toBe('mse');
    const codec = /^video\/mp4; codecs="(avc1\.[0-9a-f]{6})"$/.exec(answer.value)?.[1];
    expect(codec).toBeDefined();

    // Binary: init segment (ftyp first, moov), then moof+mdat per message, the first one a keyframe.
    const [init, ...fragments] = c.binaries as [Buffer, ...Buffer[]];
    const initBoxes = listBoxes(init).map((b) => b.type);
    expect(initBoxes[0]).toBe('ftyp');
    expect(initBoxes).toContain('moov');
    expect(fragments.length).toBeGreaterThanOrEqual(7);
    for (const f of fragments) expect(listBoxes(f).map((b) => b.type)).toEqual(['moof', 'mdat']);
    expect(fragmentStartsWithKeyframe(fragments[0]!, trexDefaultFlags(init))).toBe(true);

    // Real media: FFmpeg decodes what the browser got; the first frame is a keyframe and the
    // announced codec string is the stream's profile and level.
    const dir = await makeDataDir('mse-media');
    try {
      const file = join(dir, 'got.mp4');
      await writeFile(file, Buffer.concat([init, ...fragments]));
      const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,profile,level:frame=key_frame', '-of', 'json', file]);
      const probe = JSON.parse(stdout) as { streams: { codec_name: string; level: number }[]; frames: { key_frame: number }[] };
      expect(probe.streams[0]?.codec_name).toBe('h264');
      expect(codec?.slice(-2)).toBe((probe.streams[0]?.level ?? 0).toString(16).padStart(2, '0'));
      expect(probe.frames.length).toBe(fragments.length);
      expect(probe.frames[0]?.key_frame).toBe(1);
    } finally {
      await removeDataDir(dir);
    }

    // What go2rtc saw: no Origin (its origin check would refuse a foreign one), no browser header,
    // no token, `src` = the stream name of the token's path, and the message as the browser sent it.
    const sessions = await double<SessionInfo[]>(env, '/_double/sessions');
    const session = sessions.at(-1)!;
    expect(session).toMatchObject({ src: 'cam~front~main', origin: null, init_sent: true, first_fragment_keyframe: true });
    expect(session.received).toEqual([{ type: 'mse', value: 'avc1.640029,avc1.64002A,hvc1.1.6.L153.B0,mp4a.40.2,opus' }]);
    const upgrade = (await double<LoggedRequest[]>(env, '/_double/requests')).filter((r) => r.websocket).at(-1)!;
    expect(upgrade.query).toEqual({ src: ['cam~front~main'] });
    for (const h of ['origin', 'cookie', 'x-ingress-path', 'x-forwarded-for', 'user-agent', 'authorization']) expect(upgrade.headers[h]).toBeUndefined();
    expect(JSON.stringify(upgrade)).not.toContain('media_token');
    expect(await double<Violation[]>(env, '/_double/violations')).toEqual([]);
    expect(env.demand.get('tx-front/main')).toBe(1);

    // The browser closes: go2rtc's side is closed too, demand released.
    c.ws.close(1000);
    expect((await c.closed).code).toBe(1000);
    const gone = await waitFor('go2rtc saw the disconnect', async () => (await double<SessionInfo[]>(env, '/_double/sessions')).find((s) => s.id === session.id && s.closed_at !== null));
    expect(gone).toMatchObject({ closed_by: 'client', close_code: 1000 });
    await waitFor('relay forgot the viewer', () => env.relay.connections() === 0);
    expect(env.demand.get('tx-front/main')).toBe(0);
    const closed = env.relay.stats().recently_closed.at(-1)!;
    expect(closed).toMatchObject({ path: FRONT.path, close_code: 1000, messages_from_viewer: 1 });
    expect(closed.bytes_to_viewer).toBeGreaterThan(0);
  });

  it('closes the browser socket (4502) when go2rtc closes its side', async () => {
    const c = connect(mseUrl(env, SUB.path, tokens.issue(SUB)));
    await c.opened;
    c.ws.send(JSON.stringify({ type: 'mse', value: 'avc1.640029' }));
    await waitFor('media flowing', () => c.binaries.length >= 2);
    const session = (await double<SessionInfo[]>(env, '/_double/sessions')).find((s) => s.src === 'cam~front~sub' && s.closed_at === null)!;
    await double(env, `/_double/sessions/${session.id}/close`, { method: 'POST', body: JSON.stringify({ code: 1000 }) });
    const closed = await c.closed;
    expect(closed.code).toBe(CLOSE_UPSTREAM_CLOSED);
    expect(closed.reason).toMatch(/go2rtc closed the stream/);
    await waitFor('relay forgot the viewer', () => env.relay.connections() === 0);
  });

  it('passes go2rtc errors through and keeps the socket; the player may ask again on it', async () => {
    const c = connect(mseUrl(env, FRONT.path, tokens.issue(FRONT)));
    await c.opened;
    c.ws.send(JSON.stringify({ type: 'mse', value: 'hvc1.1.6.L153.B0' }));
    await waitFor('error', () => c.texts.length >= 1);
    expect(c.texts[0]).toEqual({ type: 'error', value: 'mse: streams: codecs not matched: video:H264 => video:H265' });
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    expect(c.binaries).toHaveLength(0);
    c.ws.send(JSON.stringify({ type: 'mse', value: 'avc1.640029' }));
    await waitFor('media after the retry', () => c.binaries.length >= 2);
    expect((c.texts[1] as { type: string }).type).toBe('mse');
    expect(await double<Violation[]>(env, '/_double/violations')).toEqual([]);
    c.ws.close();
    await c.closed;
  });

  it('a cold path go2rtc cannot read yet: its errors are held back and the request asked again until media comes (double only: the real engines are in test/playback/mse-cold.test.ts)', async () => {
    await double(env, '/_double/unready', { method: 'POST', body: JSON.stringify({ dials: 3 }) });
    const c = connect(mseUrl(env, SUB.path, tokens.issue(SUB)));
    await c.opened;
    c.ws.send(JSON.stringify({ type: 'mse', value: 'avc1.640029' }));
    await waitFor('media after the retries', () => c.binaries.length >= 2);
    expect(c.texts.map((t) => (t as { type: string }).type)).toEqual(['mse']);
    const session = (await double<SessionInfo[]>(env, '/_double/sessions')).at(-1)!;
    expect(session.received).toHaveLength(4); // the first ask and three more
    expect(env.relay.stats().open.find((s) => s.path === SUB.path)?.upstream_retries).toBe(3);
    expect(await double<Violation[]>(env, '/_double/violations')).toEqual([]);
    c.ws.close();
    await c.closed;
  });

  it('answers malformed or foreign browser messages itself and forwards nothing; a binary message closes with 1003', async () => {
    const c = connect(mseUrl(env, FRONT.path, tokens.issue(FRONT)));
    await c.opened;
    await waitFor('relaying', () => env.relay.stats().open.at(-1)?.state === 'relaying');
    const before = (await double<SessionInfo[]>(env, '/_double/sessions')).at(-1)!;
    c.ws.send('not json');
    c.ws.send(JSON.stringify({ type: 'webrtc/offer', value: 'v=0...' }));
    c.ws.send(JSON.stringify({ type: 'mse', value: 'avc1.640029"; rm -rf' }));
    await waitFor('3 replies', () => c.texts.length >= 3);
    expect(c.texts).toEqual([
      { type: 'error', value: 'relay: messages must be JSON' },
      { type: 'error', value: 'relay: only {"type":"mse","value":"<codecs>"} is relayed' },
      { type: 'error', value: 'relay: mse value must be a comma-separated list of codec names' },
    ]);
    c.ws.send(Buffer.from([1, 2, 3]));
    expect((await c.closed).code).toBe(1003);
    const after = (await double<SessionInfo[]>(env, '/_double/sessions')).find((s) => s.id === before.id)!;
    expect(after.received).toEqual([]);
    expect(await double<Violation[]>(env, '/_double/violations')).toEqual([]);
  });

  it('refuses bad tokens with 401/403 JSON before the handshake; go2rtc is never contacted', async () => {
    const sessionsBefore = (await double<SessionInfo[]>(env, '/_double/sessions')).length;
    const forged = createMediaTokens({ key: randomBytes(32) }).issue(FRONT);
    const expired = createMediaTokens({ key: KEY, now: () => Date.now() - 3_600_000 }).issue(FRONT, 60_000);
    const cases: [string, string, string | null, number, string][] = [
      ['valid', FRONT.path, tokens.issue(FRONT), 101, ''],
      ['missing', FRONT.path, null, 401, 'missing_token'],
      ['malformed', FRONT.path, 'abc', 401, 'invalid_token'],
      ['forged', FRONT.path, forged, 401, 'invalid_token'],
      ['expired', FRONT.path, expired, 401, 'expired_token'],
      ['other path', FRONT.path, tokens.issue(SUB), 403, 'token_scope'],
      ['other transport', FRONT.path, tokens.issue({ ...FRONT, transport: 'hls' }), 403, 'token_scope'],
    ];
    for (const [name, path, token, status, code] of cases) {
      const r = await rawUpgrade(mseUrl(env, path, token));
      expect({ name, status: r.status }).toEqual({ name, status });
      if (status !== 101) expect({ name, error: r.body.error }).toEqual({ name, error: { code, message: expect.any(String), field: 'media_token' } });
    }
    const bad = await rawUpgrade(`${env.base}/api/streams/media/mse/cam/..%2F..%2Fetc/ws?media_token=x`);
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'invalid_path', field: 'path' } } });
    await waitFor('the valid one is gone', () => env.relay.connections() === 0);
    // At most the valid upgrade reached go2rtc (its browser side was gone at once).
    expect((await double<SessionInfo[]>(env, '/_double/sessions')).length).toBeLessThanOrEqual(sessionsBefore + 1);
    // Not an MSE URL: left to the caller.
    const other = await rawUpgrade(`${env.base}/api/streams/media/mse/cam/front/main?media_token=x`).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(Error);
  });

  it('accepts then closes with 4404 for a path no output plays, 4503 when go2rtc does not serve it or is not running', async () => {
    const unknown = connect(mseUrl(env, 'cam/gone/main', tokens.issue({ ...FRONT, path: 'cam/gone/main' })));
    expect(await unknown.closed).toEqual({ code: CLOSE_UNKNOWN_PATH, reason: 'no MSE stream for cam/gone/main' });
    const moved = connect(mseUrl(env, FRONT.path, tokens.issue({ ...FRONT, output_id: 'old' })));
    expect((await moved.closed).code).toBe(CLOSE_UNKNOWN_PATH);
    const pending = connect(mseUrl(env, BACK.path, tokens.issue(BACK)));
    expect(await pending.closed).toEqual({ code: CLOSE_SIDECAR_UNAVAILABLE, reason: 'go2rtc does not serve this path yet; retry shortly' });
    await env.sidecar.stop();
    const stopped = connect(mseUrl(env, FRONT.path, tokens.issue(FRONT)));
    expect(await stopped.closed).toEqual({ code: CLOSE_SIDECAR_UNAVAILABLE, reason: 'go2rtc is stopped' });
    expect(env.demand.get('tx-back/main') ?? 0).toBe(0);
    expect((await env.sidecar.start()).state).toBe('running');
  });

  it('keeps viewers while a stream is added to the running go2rtc; closes them with 4502 when go2rtc restarts (MediaMTX moved port)', async () => {
    const c = connect(mseUrl(env, FRONT.path, tokens.issue(FRONT)));
    await c.opened;
    c.ws.send(JSON.stringify({ type: 'mse', value: 'avc1.640029' }));
    await waitFor('media flowing', () => c.binaries.length >= 2);
    expect(await env.sidecar.syncStreams([FRONT.path, SUB.path, BACK.path])).toMatchObject({ restarted: false, streams: 3 });
    const added = connect(mseUrl(env, BACK.path, tokens.issue(BACK)));
    await added.opened;
    added.ws.send(JSON.stringify({ type: 'mse' }));
    await waitFor('media on the added stream', () => added.binaries.length >= 2);
    const flowing = c.binaries.length;
    await waitFor('the first viewer still fed', () => c.binaries.length > flowing);

    env.rtsp.port = 28554;
    expect(await env.sidecar.syncStreams([FRONT.path, SUB.path, BACK.path])).toMatchObject({ restarted: true });
    expect((await c.closed).code).toBe(CLOSE_UPSTREAM_CLOSED);
    expect((await added.closed).code).toBe(CLOSE_UPSTREAM_CLOSED);
    const again = connect(mseUrl(env, BACK.path, tokens.issue(BACK)));
    await again.opened;
    again.ws.send(JSON.stringify({ type: 'mse' }));
    await waitFor('media after the restart', () => again.binaries.length >= 2);
    again.ws.close();
    await again.closed;
  });
});

describe("MSE relay with a viewer that stops reading (double only: a firehose set through the double's media knob, its producer counters)", () => {
  const HIGH = 256 * 1024;
  const CAP = 1024 * 1024;
  const STALL = 1500;
  /** The relay's clock: real time, or standing still where a test must not let a busy machine pass the stall limit. */
  let frozenAt: number | null = null;
  let env: Env;
  beforeAll(async () => {
    env = await setup({
      highWaterBytes: HIGH,
      lowWaterBytes: 64 * 1024,
      maxBufferedBytes: CAP,
      stallTimeoutMs: STALL,
      closeGraceMs: 5000,
      mseRequestTimeoutMs: 800,
      now: () => frozenAt ?? Date.now(),
    });
    // A firehose: lossless 640x480 as fast as FFmpeg encodes (tens of MB/s).
    await double(env, '/_double/media', { method: 'POST', body: JSON.stringify({ realtime: false, lossless: true, width: 640, height: 480, fps: 30, gop: 30 }) });
  });
  afterAll(async () => {
    await teardown(env);
  });

  /** Samples the relay's own counters while `until` is false; returns the largest queue seen. */
  async function sampleBuffered(until: () => boolean, timeoutMs: number): Promise<number> {
    let max = 0;
    const deadline = Date.now() + timeoutMs;
    while (!until() && Date.now() < deadline) {
      for (const s of env.relay.stats().open) max = Math.max(max, s.buffered_bytes, s.peak_buffered_bytes);
      await new Promise((r) => setTimeout(r, 5));
    }
    return max;
  }

  it('drops fragments for it, keeps the queue under the cap, and closes the stuck viewer with 4008', async () => {
    const rssBefore = process.memoryUsage().rss;
    const c = connect(mseUrl(env, SUB.path, tokens.issue(SUB)));
    await c.opened;
    c.ws.send(JSON.stringify({ type: 'mse', value: 'avc1.640029' }));
    c.ws.pause(); // never reads again: the kernel buffers fill, then the relay's queue

    const closing = () => env.relay.stats().open.some((s) => s.close_code === CLOSE_VIEWER_TOO_SLOW) || env.relay.stats().recently_closed.some((s) => s.close_code === CLOSE_VIEWER_TOO_SLOW);
    const maxSeen = await sampleBuffered(closing, 20_000);
    expect(closing()).toBe(true);
    const s = env.relay.stats().open.find((x) => x.path === SUB.path) ?? env.relay.stats().recently_closed.find((x) => x.path === SUB.path);
    expect(s).toBeDefined();
    const stats = s!;
    expect(stats.skips).toBeGreaterThanOrEqual(1);
    expect(stats.dropped_fragments).toBeGreaterThanOrEqual(1);
    expect(stats.peak_buffered_bytes).toBeGreaterThan(HIGH);
    expect(stats.peak_buffered_bytes).toBeLessThanOrEqual(CAP);
    expect(maxSeen).toBeLessThanOrEqual(CAP);
    expect(stats.close_reason).toMatch(/^viewer too slow: /);
    if (process.env.MSE_RELAY_DEBUG) console.log(JSON.stringify({ maxSeen, stats }));
    // go2rtc kept producing and the relay kept reading it: the drops were the relay's.
    const producers = await double<{ name: string; fragments: number }[]>(env, '/_double/producers');
    expect(producers.find((p) => p.name === 'cam~front~sub')?.fragments ?? 0).toBeGreaterThan(stats.messages_to_viewer);

    // Once the viewer reads again it drains what was queued and sees the close code.
    c.ws.resume();
    const closed = await c.closed;
    expect(closed.code).toBe(CLOSE_VIEWER_TOO_SLOW);
    await waitFor('relay forgot the viewer', () => env.relay.connections() === 0);
    await waitFor('go2rtc side closed', async () => (await double<SessionInfo[]>(env, '/_double/sessions')).every((x) => x.closed_at !== null));
    expect(await double<Violation[]>(env, '/_double/violations')).toEqual([]);
    // Informational: the server did not grow by the stream's volume.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 * 1024);
  });

  it('resumes a viewer that only hesitates (shorter than the stall limit) at a keyframe', async () => {
    const c = connect(mseUrl(env, SUB.path, tokens.issue(SUB)));
    await c.opened;
    c.ws.send(JSON.stringify({ type: 'mse', value: 'avc1.640029' }));
    const viewer = () => env.relay.stats().open.find((x) => x.path === SUB.path);
    frozenAt = Date.now();
    try {
      c.ws.pause();
      await waitFor('the relay drops fragments', () => (viewer()?.dropped_fragments ?? 0) > 0);
      frozenAt += STALL / 3; // the hesitation: shorter than the stall limit
      c.ws.resume();
      const received = c.binaries.length;
      await waitFor('the viewer drained and relayed again', () => viewer()?.skipping === false && c.binaries.length > received);
      // More than the stall limit passes, in steps, for a viewer that reads: nothing closes it.
      for (let step = 0; step < 3; step++) {
        frozenAt += STALL / 2;
        const later = c.binaries.length;
        await waitFor('more fragments', () => c.binaries.length > later);
      }
      const s = viewer()!;
      expect(s).toMatchObject({ state: 'relaying', close_code: null });
      expect(s.skips).toBeGreaterThanOrEqual(1);
      expect(s.peak_buffered_bytes).toBeLessThanOrEqual(CAP);
      expect(c.binaries.length).toBeGreaterThan(received);
    } finally {
      frozenAt = null;
    }
    c.ws.close();
    await c.closed;
  });

  it('closes a viewer that never asks for the stream (4408), releasing its go2rtc connection and demand', async () => {
    const started = Date.now(); // before the server's timer starts, however late the client sees the open
    const c = connect(mseUrl(env, SUB.path, tokens.issue(SUB)));
    await c.opened;
    expect(await c.closed).toEqual({ code: CLOSE_NO_REQUEST, reason: 'no mse request within 800 ms' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    await waitFor('relay forgot the viewer', () => env.relay.connections() === 0);
    expect(env.demand.get('tx-front/sub')).toBe(0);
    await waitFor('go2rtc side closed', async () => (await double<SessionInfo[]>(env, '/_double/sessions')).every((x) => x.closed_at !== null));
  });
});

describe("MSE relay with a path that never becomes readable (double only: the double's unready knob)", () => {
  let env: Env;
  beforeAll(async () => {
    env = await setup({ readyTimeoutMs: 600 });
  });
  afterAll(async () => {
    await teardown(env);
  });

  it("passes go2rtc's error on once readyTimeoutMs has passed, and keeps the socket (double only: it makes go2rtc's dial fail on cue)", async () => {
    await double(env, '/_double/unready', { method: 'POST', body: JSON.stringify({ dials: 1000 }) });
    const started = Date.now(); // before the relay's ready clock starts (at the connection)
    const c = connect(mseUrl(env, FRONT.path, tokens.issue(FRONT)));
    await c.opened;
    c.ws.send(JSON.stringify({ type: 'mse', value: 'avc1.640029' }));
    await waitFor('the error', () => c.texts.length >= 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(c.texts).toEqual([{ type: 'error', value: 'mse: streams: wrong response on DESCRIBE' }]);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    expect(env.relay.stats().open[0]?.upstream_retries).toBeGreaterThanOrEqual(1);
    await double(env, '/_double/unready', { method: 'POST', body: JSON.stringify({ dials: 0 }) });
    c.ws.close();
    await c.closed;
  });
});
