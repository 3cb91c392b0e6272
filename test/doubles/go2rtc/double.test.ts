import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { stringify } from 'yaml';
import { renderGo2rtcConfig } from '../../../src/sidecar/config.js';
import { fragmentStartsWithKeyframe, listBoxes, trexDefaultFlags } from './fmp4.js';
import { DOUBLE_BIN } from './release.js';
import { startGo2rtcDouble, WRITE_DEADLINE_MS, type InProcessDouble, type SessionInfo, type Violation } from './server.js';
import { freePort } from '../../support/ports.js';
import { waitFor } from '../../support/wait.js';
import { makeDataDir, removeDataDir } from '../../support/data-dir.js';

const run = promisify(execFile);

/** The server's own rendering (port 0: the in-process double picks one). */
const ourConfig = () => renderGo2rtcConfig({ apiPort: 1, rtspPort: 8554, paths: ['cam/front/main'], logLevel: 'info' }).replace('127.0.0.1:1"', '127.0.0.1:0"');

interface Client {
  ws: WebSocket;
  texts: unknown[];
  binaries: Buffer[];
  closed: Promise<number>;
  opened: Promise<void>;
  status: Promise<number>;
}

function client(url: string, headers: Record<string, string> = {}): Client {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  let setStatus!: (s: number) => void;
  const c: Client = {
    ws,
    texts: [],
    binaries: [],
    closed: new Promise((r) => ws.on('close', (code) => r(code))),
    opened: new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    }),
    status: new Promise((r) => (setStatus = r)),
  };
  c.opened.catch(() => {});
  ws.on('upgrade', () => setStatus(101));
  ws.on('unexpected-response', (_req, res) => {
    setStatus(res.statusCode ?? 0);
    res.resume();
    ws.terminate();
  });
  ws.on('error', () => {});
  ws.on('message', (d, bin) => (bin ? c.binaries.push(d as Buffer) : c.texts.push(JSON.parse((d as Buffer).toString()))));
  return c;
}

describe('go2rtc double as a process (`go2rtc -config <file>`)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeDataDir('go2rtc-double');
  });
  afterAll(async () => {
    await removeDataDir(dir);
  });

  const start = async (yaml: string | null, args?: string[]) => {
    const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
    if (yaml !== null) await writeFile(file, yaml);
    // A safety net for a double that would not exit: generous, a busy machine starts node slowly.
    return run(DOUBLE_BIN, args ?? ['-config', file], { timeout: 50_000 }).then(
      (r) => ({ code: 0, stderr: r.stderr }),
      (e: unknown) => {
        const { code, stderr } = e as { code: number; stderr: string }; // execFile's error carries both
        return { code, stderr };
      },
    );
  };

  it("refuses a config that fails go2rtc's schema", async () => {
    const r = await start(stringify({ api: { listen: '127.0.0.1:1984', origin: 'https://example.org' }, app: { modules: ['api', 'websockets'] } }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/FTL config does not match go2rtc's schema: \/api\/origin must be equal to one of the allowed values.*\/app\/modules\/1/);
  });

  it("refuses an API on every interface (go2rtc's default :1984) and a missing file; bad flags exit 2", async () => {
    expect((await start(stringify({ streams: {} }))).stderr).toMatch(/api\.listen ":1984" is not a loopback address/);
    expect((await start(stringify({ api: { listen: '0.0.0.0:1984' } }))).code).toBe(1);
    const missing = await start(null, ['-config', join(dir, 'nope.yaml')]);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringMatching(/no such file or directory/) });
    expect((await start(null, ['-listen', 'x'])).code).toBe(2);
  });

  it("accepts the server's own rendered config and exits 0 on SIGTERM", async () => {
    const port = await freePort();
    const file = join(dir, 'ok.yaml');
    await writeFile(file, renderGo2rtcConfig({ apiPort: port, rtspPort: 8554, paths: ['cam/a'], logLevel: 'info' }));
    const child = execFile(DOUBLE_BIN, ['-config', file]);
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const info = await waitFor('GET /api', async () =>
        fetch(`http://127.0.0.1:${port}/api`)
          .then((res) => res.json() as Promise<{ version: string }>)
          .catch(() => null),
      );
      expect(info.version).toBe('1.9.14');
      expect(await (await fetch(`http://127.0.0.1:${port}/_double/violations`)).json()).toEqual([]);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

describe('go2rtc double in process', () => {
  let d: InProcessDouble;
  beforeAll(async () => {
    d = await startGo2rtcDouble(ourConfig());
  });
  afterAll(async () => {
    await d.close();
  });
  const json = async <T>(path: string, init?: RequestInit) => (await (await fetch(`${d.url}${path}`, init)).json()) as T;
  const ws = (query: string) => `ws://127.0.0.1:${d.port}/api/ws${query}`;

  it('answers GET /api and GET /api/streams per the OpenAPI; other paths are not allowed (api.allow_paths)', async () => {
    expect(await json('/api')).toMatchObject({ version: '1.9.14', host: `127.0.0.1:${d.port}`, rtsp: { listen: '' } });
    expect(await json('/api/streams')).toEqual({ 'cam~front~main': { producers: [{ url: 'rtsp://127.0.0.1:8554/cam/front/main#backchannel=0' }], consumers: [] } });
    // Documented operations outside api.allow_paths do not exist.
    for (const [method, p] of [
      ['GET', '/api/config'],
      ['POST', '/api/exit'],
      ['POST', '/api/restart'],
      ['GET', '/api/stream.mp4'],
      ['PUT', '/api/streams'],
    ]) {
      expect({ p, status: (await fetch(`${d.url}${p}`, { method })).status }).toEqual({ p, status: p === '/api/streams' ? 500 : 404 });
    }
    expect((await fetch(`${d.url}/api/ws`)).status).toBe(400);
    expect((await json<Violation[]>('/_double/violations')).map((x) => x.detail)).toEqual(['PUT /api/streams is documented but not implemented by the double']);
    // Not an API operation at all (go2rtc's web UI would be at /): recorded.
    expect((await fetch(`${d.url}/`)).status).toBe(404);
    expect((await json<Violation[]>('/_double/violations')).at(-1)?.detail).toBe('GET / is not a go2rtc API operation');
  });

  it("streams MSE: the mse answer with the media's codec, the init segment, keyframe-first moof+mdat", async () => {
    const c = client(ws('?src=cam~front~main'));
    await c.opened;
    c.ws.send(JSON.stringify({ type: 'mse', value: 'avc1.640029,mp4a.40.2' }));
    await waitFor('fragments', () => c.binaries.length >= 6);
    expect((c.texts[0] as { value: string }).value).toMatch(/^video\/mp4; codecs="avc1\.[0-9a-f]{6}"$/);
    const [init, first] = c.binaries as [Buffer, Buffer];
    expect(listBoxes(init).map((b) => b.type)).toEqual(['ftyp', 'moov']);
    expect(listBoxes(first).map((b) => b.type)).toEqual(['moof', 'mdat']);
    expect(fragmentStartsWithKeyframe(first, trexDefaultFlags(init))).toBe(true);
    // Not every fragment is a keyframe: the check means something.
    expect(c.binaries.slice(1).filter((f) => !fragmentStartsWithKeyframe(f, trexDefaultFlags(init))).length).toBeGreaterThan(0);
    const streams = await json<Record<string, { consumers: unknown[] }>>('/api/streams');
    expect(streams['cam~front~main']?.consumers).toHaveLength(1);
    const before = (await json<Violation[]>('/_double/violations')).length;
    c.ws.send(JSON.stringify({ type: 'mse', value: '' }));
    await waitFor('violation', async () => (await json<Violation[]>('/_double/violations')).length > before);
    expect((await json<Violation[]>('/_double/violations')).at(-1)?.detail).toMatch(/second "mse" request/);
    c.ws.close();
    await c.closed;
    await waitFor('producer stopped with its last consumer', async () => !(await json<{ running: boolean }[]>('/_double/producers'))[0]?.running);
  });

  it('refuses a foreign Origin like go2rtc (403) and records browser headers and extra query parameters', async () => {
    const before = (await json<Violation[]>('/_double/violations')).length;
    const foreign = client(ws('?src=cam~front~main&media_token=abc'), { Origin: 'https://ha.example:8123', Cookie: 'a=b' });
    expect(await foreign.status).toBe(403);
    const same = client(ws('?src=cam~front~main'), { Origin: `http://127.0.0.1:${d.port}` });
    await same.opened;
    same.ws.close();
    const kinds = (await json<Violation[]>('/_double/violations')).slice(before).map((x) => x.detail);
    expect(kinds).toEqual([
      expect.stringMatching(/^browser header forwarded to go2rtc: origin/),
      expect.stringMatching(/^browser header forwarded to go2rtc: cookie/),
      'query parameter "media_token" sent to go2rtc (only src is expected)',
      expect.stringMatching(/^browser header forwarded to go2rtc: origin/),
    ]);
  });

  it("answers go2rtc's errors: unknown stream, codecs not matched; closes on non-JSON; records binary messages", async () => {
    const unknown = client(ws('?src=nope'));
    await unknown.opened;
    unknown.ws.send(JSON.stringify({ type: 'mse', value: 'avc1.640029' }));
    const codecs = client(ws('?src=cam~front~main'));
    await codecs.opened;
    codecs.ws.send(JSON.stringify({ type: 'mse', value: 'hvc1.1.6.L153.B0,mp4a.40.2' }));
    await waitFor('errors', () => unknown.texts.length > 0 && codecs.texts.length > 0);
    expect(unknown.texts).toEqual([{ type: 'error', value: 'mse: stream not found' }]);
    expect(codecs.texts).toEqual([{ type: 'error', value: 'mse: streams: codecs not matched: video:H264 => video:H265, audio:AAC' }]);
    unknown.ws.send(Buffer.from('{"type":"mse"}'));
    codecs.ws.send('garbage');
    expect(await codecs.closed).toBe(1000);
    const v = await json<Violation[]>('/_double/violations');
    expect(v.some((x) => x.detail.includes('binary message from the client'))).toBe(true);
    expect(v.some((x) => x.detail.includes('not JSON'))).toBe(true);
    unknown.ws.close();
  });

  it("stops writing to a client that stops reading after go2rtc's 5 s write deadline, and keeps its socket open (as the real go2rtc does)", async () => {
    await json('/_double/media', { method: 'POST', body: JSON.stringify({ realtime: false, lossless: true, width: 640, height: 480, fps: 30, gop: 30 }) });
    try {
      const c = client(ws('?src=cam~front~main'));
      await c.opened;
      c.ws.send(JSON.stringify({ type: 'mse' }));
      c.ws.pause();
      const started = Date.now();
      const s = await waitFor('write timeout', async () => (await json<SessionInfo[]>('/_double/sessions')).find((x) => x.write_timeout), WRITE_DEADLINE_MS + 10_000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(WRITE_DEADLINE_MS);
      expect(s.closed_by).toBeNull();
      await new Promise((r) => setTimeout(r, 1000));
      const later = (await json<SessionInfo[]>('/_double/sessions')).find((x) => x.id === s.id)!;
      expect(later).toMatchObject({ closed_at: null, fragments_sent: s.fragments_sent });
      c.ws.terminate();
    } finally {
      await json('/_double/media', { method: 'POST', body: JSON.stringify({ realtime: true, lossless: false, width: 320, height: 240, fps: 15, gop: 15 }) });
    }
  });
});

describe('go2rtc double module semantics', () => {
  it('records unknown keys and extra listeners; without `rtsp` an RTSP source is an unsupported scheme', async () => {
    const d = await startGo2rtcDouble(
      stringify({ app: { modules: ['api', 'ws', 'mp4'] }, api: { listen: '127.0.0.1:0', alow_paths: ['/api'] }, webrtc: { listen: ':8555' }, streams: { a: 'rtsp://127.0.0.1:8554/a' } }),
    );
    try {
      const v = (await (await fetch(`${d.url}/_double/violations`)).json()) as Violation[];
      expect(v.map((x) => x.detail)).toEqual(['unknown key api.alow_paths: go2rtc ignores it silently (a typo?)']);
      const c = client(`ws://127.0.0.1:${d.port}/api/ws?src=a`);
      await c.opened;
      c.ws.send(JSON.stringify({ type: 'mse' }));
      await waitFor('error', () => c.texts.length > 0);
      expect(c.texts).toEqual([{ type: 'error', value: 'mse: streams: unsupported scheme: rtsp://127.0.0.1:8554/a' }]);
      c.ws.close();
    } finally {
      await d.close();
    }
    const all = await startGo2rtcDouble(stringify({ api: { listen: '127.0.0.1:0', origin: '*' } }));
    try {
      const v = (await (await fetch(`${all.url}/_double/violations`)).json()) as Violation[];
      expect(v.map((x) => x.detail)).toEqual([
        'module rtsp would listen on :8554 (the double does not open it)',
        'module webrtc would listen on :8555 (the double does not open it)',
        'module srtp would listen on :8443 (the double does not open it)',
      ]);
      const anyOrigin = client(`ws://127.0.0.1:${all.port}/api/ws?src=x`, { Origin: 'https://elsewhere.example' });
      expect(await anyOrigin.status).toBe(101);
      anyOrigin.ws.close();
    } finally {
      await all.close();
    }
  });
});
