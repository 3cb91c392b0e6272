import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect as tcpConnect, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLogger } from '../shared/logger.js';
import { createRuntimeRegistry, type RuntimeRegistry } from './transmission-state.js';
import { createUpgradeRouter, type UpgradeRouter } from '../api/ws/router.js';
import { writerUpgradeRoute, type WriterRouteOptions } from '../api/ws/writers.js';
import { CLOSE_REPLACED, createWriterSocketServer, type WriterSocketOptions, type WriterSocketServer } from './writer-socket.js';
import { waitFor } from '../../test/support/wait.js';

const TOKEN = 'writer-s3cret-t0ken-XYZ';
const TX = '0b6b9a55-2b1e-4c9a-8f1e-1c2d3e4f5a6b';
const CAMERA_TX = '1b6b9a55-2b1e-4c9a-8f1e-1c2d3e4f5a6b';
const TX2 = '2b6b9a55-2b1e-4c9a-8f1e-1c2d3e4f5a6b';
const DISABLED_TX = '3b6b9a55-2b1e-4c9a-8f1e-1c2d3e4f5a6b';
/** Real JPEGs from FFmpeg (frames must pass the JPEG check), distinct per `n`; a larger one with `big`. */
const jpegs = new Map<string, Buffer>();
const jpeg = (n: number, big = false) => {
  const key = `${n}:${big}`;
  let b = jpegs.get(key);
  if (!b) {
    const size = big ? '320x240' : '32x24';
    b = execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=s=${size}`, '-vf', `hue=h=${n * 40}`, '-frames:v', '1', '-q:v', '2', '-f', 'mjpeg', '-']);
    jpegs.set(key, b);
  }
  return b;
};

let server: Server;
let writers: WriterSocketServer;
let router: UpgradeRouter;

/** The writer service behind the API's upgrade edge (token, query), as the server wires them. */
function build(opts: WriterSocketOptions & Omit<WriterRouteOptions, 'writers'>): WriterSocketServer {
  const built = createWriterSocketServer(opts);
  router = createUpgradeRouter({ routes: [writerUpgradeRoute({ ...opts, writers: built })], logger: opts.logger });
  return built;
}
let registry: RuntimeRegistry;
let logText: string;
let base: string;
let trusted: (req: IncomingMessage) => boolean;
const clients: WebSocket[] = [];

beforeEach(async () => {
  logText = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logText += String(chunk);
      cb();
    },
  });
  trusted = () => false;
  registry = createRuntimeRegistry({ stickyWindowMs: 0, staleAfterMs: 5_000 });
  writers = build({
    registry,
    logger: createLogger('debug', sink),
    apiToken: () => TOKEN,
    isTrustedIngress: (req) => trusted(req),
    transmissionExists: (id) =>
      id === TX || id === TX2
        ? { exists: true, input: 'writers', enabled: true }
        : id === CAMERA_TX
          ? { exists: true, input: 'camera_source', enabled: true }
          : id === DISABLED_TX
            ? { exists: true, input: 'writers', enabled: false }
            : { exists: false },
    maxFrameBytes: 64 * 1024,
  });
  server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket, head) => {
    if (!router.handle(req, socket, head)) socket.destroy();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  for (const c of clients.splice(0)) {
    c.on('error', () => {}); // terminating a socket still connecting emits an error
    c.terminate();
  }
  await writers.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  // Whatever happened in the test, the token never reached the log.
  expect(logText).not.toContain(TOKEN);
});

function url(q: Record<string, string>, path = '/api/streams/writers/ws') {
  return `${base}${path}?${new URLSearchParams(q).toString()}`;
}
const q = (over: Record<string, string> = {}) => ({ transmission_id: TX, writer_id: 'w1', priority: '5', token: TOKEN, ...over });
const withoutToken = (query: Record<string, string>) => Object.fromEntries(Object.entries(query).filter(([k]) => k !== 'token'));

/** Connects and waits for the server's hello; returns the socket and a queue of later messages. */
async function connect(u: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(u, { headers });
  clients.push(ws);
  const messages: unknown[] = [];
  const waiters: ((m: unknown) => void)[] = [];
  ws.on('message', (data, isBinary) => {
    const m = isBinary ? data : JSON.parse((data as Buffer).toString());
    const w = waiters.shift();
    if (w) w(m);
    else messages.push(m);
  });
  const hello = await new Promise<unknown>((resolve, reject) => {
    waiters.push(resolve);
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return {
    ws,
    hello,
    next: () => new Promise<unknown>((resolve) => (messages.length ? resolve(messages.shift()) : waiters.push(resolve))),
    closed: () => new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) }))),
  };
}

/** Tries to connect and returns the refused HTTP response (status, content type, parsed body). */
async function refused(u: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(u, { headers });
  clients.push(ws);
  return new Promise<{ status: number; type: string | undefined; body: { error: { code: string; field: string | null; message: string } } }>((resolve, reject) => {
    ws.once('open', () => reject(new Error('unexpectedly upgraded')));
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += String(d)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: JSON.parse(text) }));
    });
  });
}

const until = (cond: () => boolean) => waitFor('the condition', cond, 30_000, { intervalMs: 5 });

describe('writer socket: upgrade refusals (plain HTTP JSON before any handshake)', () => {
  it('no token -> 401 with a JSON body', async () => {
    const noToken = withoutToken(q());
    const r = await refused(url(noToken));
    expect(r.status).toBe(401);
    expect(r.type).toMatch(/^application\/json/);
    expect(r.body.error.code).toBe('unauthorized');
    expect(writers.connections()).toBe(0);
  });

  it('wrong token (query or header) -> 401', async () => {
    expect((await refused(url(q({ token: 'nope' })))).status).toBe(401);
    const noToken = withoutToken(q());
    const r = await refused(url(noToken), { authorization: 'Bearer wrong-token-of-other-length' });
    expect(r.status).toBe(401);
    expect(r.body.error.message).toBe('invalid token');
  });

  it('no api_token configured: nobody but trusted ingress gets in', async () => {
    await writers.close();
    writers = build({
      registry,
      logger: createLogger('silent'),
      apiToken: () => null,
      isTrustedIngress: (req) => req.headers['x-test-ingress'] === '1',
      transmissionExists: () => ({ exists: true, input: 'writers', enabled: true }),
    });
    const noToken = withoutToken(q());
    expect((await refused(url(q()))).status).toBe(401);
    const c = await connect(url(noToken), { 'x-test-ingress': '1' });
    expect(c.hello).toMatchObject({ type: 'hello', writer_id: 'w1' });
  });

  it('unknown transmission -> 404 naming transmission_id', async () => {
    const r = await refused(url(q({ transmission_id: '9b6b9a55-2b1e-4c9a-8f1e-1c2d3e4f5a6b' })));
    expect(r.status).toBe(404);
    expect(r.body.error).toMatchObject({ code: 'not_found', field: 'transmission_id' });
  });

  it('a camera-source or disabled transmission takes no writers -> 409', async () => {
    const r = await refused(url(q({ transmission_id: CAMERA_TX })));
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'not_writable', field: 'transmission_id' });
    expect((await refused(url(q({ transmission_id: DISABLED_TX })))).body.error.code).toBe('transmission_disabled');
  });

  it.each([
    [{ priority: 'high' }, 'priority'],
    [{ priority: '1001' }, 'priority'],
    [{ priority: '-1001' }, 'priority'],
    [{ priority: '1.5' }, 'priority'],
    [{ priority: '' }, 'priority'],
    [{ writer_id: '' }, 'writer_id'],
    [{ writer_id: 'has space' }, 'writer_id'],
    [{ writer_id: 'x'.repeat(65) }, 'writer_id'],
    [{ transmission_id: '' }, 'transmission_id'],
  ])('bad query %o -> 400 naming %s', async (over, field) => {
    const r = await refused(url(q(over)));
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe(field);
    expect(r.body.error.message).toMatch(new RegExp(`^${field}:`));
  });

  it('auth comes before validation: an anonymous client cannot probe which transmissions exist', async () => {
    const noToken = withoutToken(q({ transmission_id: 'does-not-exist' }));
    expect((await refused(url(noToken))).status).toBe(401);
  });

  it('other paths are left to the caller', async () => {
    const ws = new WebSocket(url(q(), '/api/other/ws'));
    clients.push(ws);
    const [err] = (await once(ws, 'error')) as [Error];
    expect(err.message).toMatch(/socket hang up|ECONNRESET/);
  });
});

describe('writer socket: connected writers', () => {
  it('accepts the token in the query and in the Authorization header; connecting opens the writer with the query priority', async () => {
    const a = await connect(url(q({ writer_id: 'by-query', priority: '-7' })));
    expect(a.hello).toEqual({ type: 'hello', transmission_id: TX, writer_id: 'by-query', priority: -7, max_frame_bytes: 64 * 1024 });
    const noToken = withoutToken(q({ writer_id: 'by-header' }));
    const b = await connect(url(noToken), { Authorization: `Bearer ${TOKEN}` });
    expect(b.hello).toMatchObject({ writer_id: 'by-header', priority: 5 });
    expect(writers.connections()).toBe(2);
    const h = registry.get(TX)!.health();
    expect(h.writers.map((w) => [w.id, w.state, w.priority])).toEqual([
      ['by-header', 'open', 5],
      ['by-query', 'open', -7],
    ]);
    expect(h.fallback_reason).toBe('warming_up');
  });

  it("binary JPEG frames land in the registry as that writer's latest frame", async () => {
    const c = await connect(url(q()));
    c.ws.send(jpeg(1));
    c.ws.send(jpeg(2));
    c.ws.send(jpeg(3, true));
    const state = registry.get(TX)!;
    await until(() => state.health().writers[0]?.frames_received === 3);
    const f = state.frame();
    expect(f.writerId).toBe('w1');
    expect(f.jpeg?.equals(jpeg(3, true))).toBe(true);
  });

  it("a frame that fails the JPEG check is refused with the reason, is never selected, and shows in the writer's counters", async () => {
    const c = await connect(url(q()));
    const good = jpeg(1);
    c.ws.send(good);
    const state = registry.get(TX)!;
    await until(() => state.frame().jpeg !== null);
    c.ws.send(Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(2000, 0x5a)]));
    expect(await c.next()).toEqual({
      type: 'error',
      error: { code: 'invalid_jpeg', message: 'frame refused: expected a marker at byte 2; frame dropped', field: 'frame' },
    });
    c.ws.send(good.subarray(0, good.length - 10));
    expect(await c.next()).toMatchObject({ type: 'error', error: { code: 'invalid_jpeg', message: expect.stringMatching(/^frame refused: .*truncated/), field: 'frame' } });
    expect(state.frame().jpeg?.equals(good)).toBe(true);
    const w = state.health().writers[0]!;
    expect(w).toMatchObject({ frames_received: 1, frames_refused: 2, last_refusal: { reason: expect.stringMatching(/truncated/) } });
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
  });

  it("logs a writer's refusals when their reason changes, not once per frame", async () => {
    const c = await connect(url(q({ writer_id: 'noisy' })));
    const garbage = Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(100, 1)]);
    for (let i = 0; i < 20; i++) c.ws.send(garbage);
    for (let i = 0; i < 20; i++) await c.next();
    c.ws.send(Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
    await c.next();
    const refusals = logText.split('\n').filter((l) => l.includes('writer frame refused'));
    expect(refusals).toHaveLength(2);
    expect(refusals[0]).toContain('expected a marker at byte 2');
    expect(refusals[1]).toContain('no image data');
    c.ws.close();
    await until(() => logText.includes('"frames_refused":21'));
  });

  it('a binary message that is not a JPEG gets an error back and is dropped; the socket stays open', async () => {
    const c = await connect(url(q()));
    c.ws.send(Buffer.from('GIF89a......'));
    expect(await c.next()).toMatchObject({ type: 'error', error: { code: 'not_jpeg' } });
    c.ws.send(jpeg(9));
    await until(() => registry.get(TX)!.frame().jpeg !== null);
    expect(registry.get(TX)!.health().writers[0]!.frames_received).toBe(1);
  });

  it('invalid JSON text -> an error message and the socket stays open; valid control messages work', async () => {
    const c = await connect(url(q()));
    c.ws.send('{not json');
    expect(await c.next()).toEqual({ type: 'error', error: { code: 'malformed_json', message: expect.any(String), field: 'message' } });
    c.ws.send(JSON.stringify({ type: 'dance' }));
    expect(await c.next()).toMatchObject({ type: 'error', error: { code: 'invalid_message', field: 'type' } });
    c.ws.send(JSON.stringify({ type: 'open', priority: 'max' }));
    expect(await c.next()).toMatchObject({ type: 'error', error: { code: 'invalid_message', field: 'priority' } });
    c.ws.send(JSON.stringify({ type: 'open', priority: 2000 }));
    expect(await c.next()).toMatchObject({ type: 'error', error: { field: 'priority' } });
    expect(c.ws.readyState).toBe(WebSocket.OPEN);

    const state = registry.get(TX)!;
    c.ws.send(JSON.stringify({ type: 'open', priority: 42 }));
    c.ws.send(JSON.stringify({ type: 'update' }));
    await until(() => state.health().writers[0]!.heartbeats === 1);
    expect(state.health().writers[0]).toMatchObject({ priority: 42, state: 'open' });
    c.ws.send(JSON.stringify({ type: 'close' }));
    await until(() => state.health().writers[0]!.state === 'closed');
    // the socket stays: a frame reopens the writer
    c.ws.send(jpeg(4));
    await until(() => state.health().writers[0]!.state === 'open');
    expect(state.frame().writerId).toBe('w1');
  });

  it('an oversize frame closes the socket with 1009', async () => {
    const c = await connect(url(q()));
    const closed = c.closed();
    c.ws.send(Buffer.concat([jpeg(1), Buffer.alloc(64 * 1024)]));
    expect((await closed).code).toBe(1009);
    await until(() => registry.get(TX)!.health().writers[0]!.state === 'closed');
    expect(registry.get(TX)!.health().writers[0]!.frames_received).toBe(0);
  });

  it('a disconnect is a close of that writer', async () => {
    const c = await connect(url(q()));
    c.ws.send(jpeg(1));
    const state = registry.get(TX)!;
    await until(() => state.frame().writerId === 'w1');
    c.ws.close();
    await until(() => writers.connections() === 0);
    expect(state.health().writers[0]!.state).toBe('closed');
    expect(state.frame().reason).toBe('all_writers_closed'); // sticky window 0 in this suite
  });

  it('an abrupt disconnect (no close frame) is a close too', async () => {
    const c = await connect(url(q()));
    c.ws.terminate();
    await until(() => writers.connections() === 0);
    expect(registry.get(TX)!.health().writers[0]!.state).toBe('closed');
  });

  it('a second connection with the same writer_id replaces the first (4000) and the writer stays open', async () => {
    const first = await connect(url(q()));
    const firstClosed = first.closed();
    const second = await connect(url(q({ priority: '9' })));
    expect(await firstClosed).toEqual({ code: CLOSE_REPLACED, reason: 'replaced' });
    await until(() => writers.connections() === 1);
    const state = registry.get(TX)!;
    expect(state.health().writers).toHaveLength(1);
    expect(state.health().writers[0]).toMatchObject({ id: 'w1', state: 'open', priority: 9 });
    second.ws.send(jpeg(7));
    await until(() => state.frame().jpeg?.equals(jpeg(7)) === true);
    expect(second.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('the same writer_id on another transmission is another writer (no replacement)', async () => {
    const a = await connect(url(q()));
    const b = await connect(url(q({ transmission_id: TX2 })));
    a.ws.send(jpeg(1));
    b.ws.send(jpeg(2));
    await until(() => registry.get(TX)?.frame().jpeg !== null && registry.get(TX2)?.frame().jpeg !== null);
    expect(registry.get(TX)!.frame().jpeg?.equals(jpeg(1))).toBe(true);
    expect(registry.get(TX2)!.frame().jpeg?.equals(jpeg(2))).toBe(true);
    expect(writers.connections()).toBe(2);
    expect(a.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('trusted ingress needs no token', async () => {
    trusted = () => true;
    const noToken = withoutToken(q());
    const c = await connect(url(noToken));
    expect(c.hello).toMatchObject({ type: 'hello' });
  });

  it("disconnectTransmission closes that transmission's writers; close() closes the rest", async () => {
    const a = await connect(url(q({ writer_id: 'a' })));
    const b = await connect(url(q({ writer_id: 'b' })));
    const aClosed = a.closed();
    expect(writers.disconnectTransmission(TX)).toBe(2);
    expect((await aClosed).code).toBe(4004);
    await until(() => writers.connections() === 0);
    expect(b.ws.readyState).not.toBe(WebSocket.OPEN);
  });

  it('a lookup that throws answers 500 instead of hanging the socket', async () => {
    await writers.close();
    writers = build({
      registry,
      logger: createLogger('silent'),
      apiToken: () => TOKEN,
      transmissionExists: () => {
        throw new Error('store unavailable');
      },
    });
    const r = await refused(url(q()));
    expect(r.status).toBe(500);
    expect(r.body.error.code).toBe('internal_error');
  });

  it('keepalive: a healthy client survives the pings, a peer that never answers is terminated (a close)', async () => {
    await writers.close();
    writers = build({
      registry,
      logger: createLogger('silent'),
      apiToken: () => TOKEN,
      transmissionExists: () => ({ exists: true, input: 'writers', enabled: true }),
      pingIntervalMs: 30,
    });
    const healthy = await connect(url(q({ writer_id: 'healthy' })));
    // A raw TCP peer that completes the handshake and then never reads or answers a ping.
    const port = (server.address() as AddressInfo).port;
    const raw = tcpConnect(port, '127.0.0.1');
    raw.on('error', () => {});
    raw.write(
      `GET /api/streams/writers/ws?${new URLSearchParams(q({ writer_id: 'silent' })).toString()} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await until(() => writers.connections() === 2);
    const state = registry.get(TX)!;
    expect(state.health().writers.find((w) => w.id === 'silent')?.state).toBe('open');
    await until(() => writers.connections() === 1);
    expect(state.health().writers.find((w) => w.id === 'silent')?.state).toBe('closed');
    await new Promise((r) => setTimeout(r, 100));
    expect(healthy.ws.readyState).toBe(WebSocket.OPEN);
    expect(state.health().writers.find((w) => w.id === 'healthy')?.state).toBe('open');
    raw.destroy();
  });

  it('logs connections with the query but without the token', async () => {
    await connect(url(q({ writer_id: 'logged' })));
    await refused(url(q({ token: `${TOKEN}-wrong` })));
    const noToken = withoutToken(q({ writer_id: 'hdr' }));
    await connect(url(noToken), { Authorization: `Bearer ${TOKEN}` });
    await until(() => logText.includes('"writer_id":"hdr"'));
    expect(logText).toContain('writer connected');
    expect(logText).toContain('token=%5Bredacted%5D');
    expect(logText).toContain('writer upgrade refused');
    expect(logText).not.toContain(TOKEN);
  });
});
