/**
 * The HLS proxy end to end: the real engine manager runs the MediaMTX double (a process, like the
 * real binary), FFmpeg makes the HLS media, and a browser-like client follows the proxied URIs
 * under an ingress prefix, over real sockets on 127.0.0.1.
 */
import { serve } from '@hono/node-server';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { execa } from 'execa';
import { Hono } from 'hono';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HlsLoggedRequest } from '../../test/doubles/mediamtx/hls.js';
import { DOUBLE_BIN } from '../../test/doubles/mediamtx/release.js';
import { onApiError } from '../api/errors.js';
import { hlsRoutes } from '../api/routes/hls.js';
import { streamingSettingsSchema } from '../domain/settings.js';
import type { Output } from '../domain/transmission.js';
import { createEngineManager, type EngineManager } from '../engine/engine.js';
import { ApiError } from '../shared/errors.js';
import { createLogger } from '../shared/logger.js';
import { createSupervisor } from '../process/supervisor.js';
import type { Supervisor } from '../process/types.js';
import type { PlannedOutput } from '../runtime/path-plan.js';
import { createHlsProxy, type HlsProxy, type HlsProbeReport } from './hls-proxy.js';
import { createMediaTokens, type MediaScope } from './tokens.js';
import { freePort } from '../../test/support/ports.js';
import { makeDataDir, removeDataDir } from '../../test/support/data-dir.js';
import { waitFor } from '../../test/support/wait.js';

const output = (id: string, path: string, enable_hls = true): Output => ({
  id,
  name: id,
  enabled: true,
  engine_path: path,
  codec: 'h264',
  width: 320,
  height: 240,
  fps: 25,
  bitrate_kbps: null,
  enable_rtsp: true,
  enable_hls,
  enable_webrtc: false,
});
const planned = (transmission_id: string, path: string, enable_hls = true): PlannedOutput => ({
  transmission_id,
  output_id: 'main',
  path,
  feed: { kind: 'writers' },
  onRequest: false,
  output: output('main', path, enable_hls),
});

const FRONT = 'cam/front/main';
const BACK = 'cam/back/main';
const NOHLS = 'cam/nohls/main';
const PREFIX = '/api/hassio_ingress/abc123';

/** A raw GET: the path goes on the wire exactly as given (no URL normalisation by the client). */
function rawGet(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

// Runs against the double whatever the engine suite's target: it reads the double's upstream request
// log, drops its sessions and feeds paths from its FFmpeg HLS source. The real engine's HLS through
// this proxy: test/playback/hls-engine.test.ts.
describe('HLS proxy under an ingress prefix (double only: asserts the upstream request log and session drops the real engine does not expose)', () => {
  let dataDir: string;
  let supervisor: Supervisor;
  let engine: EngineManager;
  let http: Server;
  let base: string;
  let port: number;
  let api: string;
  let proxy: HlsProxy;
  let skew = 0;
  const key = randomBytes(32);
  const tokens = createMediaTokens({ key, now: () => Date.now() + skew });
  const outputs: PlannedOutput[] = [planned('t-front', FRONT), planned('t-back', BACK), planned('t-nohls', NOHLS, false)];
  const scope = (over: Partial<MediaScope> = {}): MediaScope => ({ transmission_id: 't-front', output_id: 'main', path: FRONT, transport: 'hls', ...over });
  const mediaUrl = (path: string, file: string, token: string) => `${base}${PREFIX}/api/streams/media/hls/${path}/${file}?media_token=${encodeURIComponent(token)}`;
  const hlsLog = async () => (await (await fetch(`${api}/_double/hls/requests`)).json()) as HlsLoggedRequest[];
  const clearLog = () => fetch(`${api}/_double/hls/requests`, { method: 'DELETE' });

  beforeAll(async () => {
    dataDir = await makeDataDir('hls-proxy');
    const logger = createLogger('warn', new Writable({ write: (_c, _e, done) => done() }));
    supervisor = createSupervisor({ logger });
    const settings = v.parse(streamingSettingsSchema, {
      engine: { rtsp_port: await freePort(), hls_port: await freePort(), webrtc_port: await freePort(), webrtc_udp_port: await freePort(), api_port: await freePort() },
    });
    engine = createEngineManager({ supervisor, logger, dataDir, settings: () => settings, logLevel: 'info', mediamtxPath: DOUBLE_BIN, bundledPaths: [] });
    expect((await engine.start()).state).toBe('running');
    const sync = await engine.syncPaths(new Map([FRONT, BACK, NOHLS].map((p) => [p, { source: 'publisher' }])));
    expect(sync.errors).toEqual([]);
    api = engine.status().api_url!;
    for (const p of [FRONT, BACK]) expect((await fetch(`${api}/_double/paths/${p}/hls`, { method: 'POST', body: '{"source":"testsrc"}' })).status).toBe(200);

    proxy = createHlsProxy({ engine, outputs: () => outputs, logger });
    const app = new Hono().onError(onApiError(null));
    app.route(PREFIX, hlsRoutes({ proxy, tokens }));
    app.route('/', hlsRoutes({ proxy, tokens }));
    http = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    await new Promise<void>((r) => (http.listening ? r() : http.once('listening', () => r())));
    port = (http.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    http?.closeAllConnections();
    await new Promise((r) => http?.close(r));
    await engine?.stop();
    await supervisor?.stopAll();
    await removeDataDir(dataDir);
  });

  it('plays end to end: playlist → variant playlist → init segment + segment (Low-Latency HLS), all relative under the prefix; they decode as H.264', async () => {
    const token = tokens.issue(scope());
    const playlistUrl = mediaUrl(FRONT, 'index.m3u8', token);
    // A browser's cookies and credentials must never reach MediaMTX.
    const browserHeaders = { cookie: 'ha_session=browser-secret', authorization: 'Bearer browser-token', origin: 'https://ha.example', referer: 'https://ha.example/x' };
    await clearLog();
    const mv = await fetch(playlistUrl, { redirect: 'manual', headers: browserHeaders });
    expect(mv.status).toBe(200);
    expect(mv.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(mv.headers.get('cache-control')).toBe('no-store');
    const mvText = await mv.text();
    expect(mvText).toMatch(/^#EXTM3U\n/);
    expect(mvText).not.toMatch(/session|cookieCheck|127\.0\.0\.1/);
    const variantUri = mvText.trim().split('\n').pop()!;
    expect(variantUri).toBe(`video1_stream.m3u8?media_token=${encodeURIComponent(token)}`);

    const variantUrl = new URL(variantUri, playlistUrl);
    expect(variantUrl.pathname).toBe(`${PREFIX}/api/streams/media/hls/${FRONT}/video1_stream.m3u8`);
    const media = await fetch(variantUrl, { redirect: 'manual', headers: browserHeaders });
    expect(media.status).toBe(200);
    expect(media.headers.get('cache-control')).toBe('no-store');
    const mediaText = await media.text();
    expect(mediaText).toMatch(/#EXT-X-TARGETDURATION:1\n/);
    expect(mediaText).not.toMatch(/session/);
    // Low-Latency HLS: seven gap entries come before a new muxer's first segment.
    const segmentUri = mediaText.split('\n').find((l) => l !== '' && !l.startsWith('#') && !l.startsWith('gap.mp4'))!;
    expect(segmentUri).toMatch(/^[0-9a-f]{12}_video1_seg\d+\.mp4\?media_token=/);
    const initUri = /#EXT-X-MAP:URI="([^"]+)"/.exec(mediaText)![1]!;
    expect(initUri).toMatch(/^[0-9a-f]{12}_video1_init\.mp4\?media_token=/);
    const init = await fetch(new URL(initUri, variantUrl), { redirect: 'manual', headers: browserHeaders });
    expect(init.status).toBe(200);
    const initBytes = Buffer.from(await init.arrayBuffer());
    expect(initBytes.subarray(4, 8).toString('latin1')).toBe('ftyp');

    const segmentUrl = new URL(segmentUri, variantUrl);
    expect(segmentUrl.pathname.startsWith(`${PREFIX}/api/streams/media/hls/${FRONT}/`)).toBe(true);
    const seg = await fetch(segmentUrl, { redirect: 'manual', headers: browserHeaders });
    expect(seg.status).toBe(200);
    expect(seg.headers.get('content-type')).toBe('video/mp4');
    const bytes = Buffer.from(await seg.arrayBuffer());
    expect(Number(seg.headers.get('content-length'))).toBe(bytes.length);
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('moof');
    const file = join(dataDir, 'segment.mp4');
    await writeFile(file, Buffer.concat([initBytes, bytes]));
    const probe = await execa('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', file]);
    const streams = (JSON.parse(probe.stdout) as { streams: { codec_name: string; width: number; height: number }[] }).streams;
    expect(streams[0]).toMatchObject({ codec_name: 'h264', width: 320, height: 240 });

    // A Range of a segment already fetched comes from the shared cache.
    const part = await fetch(segmentUrl, { headers: { range: 'bytes=188-375' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 188-375/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(188, 376))).toBe(true);

    const log = await hlsLog();
    expect(log.map((r) => r.path.split('/').pop())).toEqual(['index.m3u8', 'index.m3u8', 'video1_stream.m3u8', initUri.split('?')[0], segmentUrl.pathname.split('/').pop()]);
    for (const r of log) {
      expect(r.path.startsWith(`/${FRONT}/`)).toBe(true);
      expect(r.cookies).toEqual([]);
      for (const h of ['cookie', 'authorization', 'origin', 'referer', 'x-forwarded-for']) expect(r.headers).not.toContain(h);
      expect(r.query).not.toHaveProperty('media_token');
    }
  });

  it('handles the cookie check itself: MediaMTX answers 302, the browser only ever sees 200', async () => {
    await clearLog();
    const res = await fetch(mediaUrl(FRONT, 'index.m3u8', tokens.issue(scope())), { redirect: 'manual' });
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('set-cookie')).toBeNull();
    const log = await hlsLog();
    expect(log.map((r) => [r.path, r.query.cookieCheck ?? null, r.status])).toEqual([
      [`/${FRONT}/index.m3u8`, null, 302],
      [`/${FRONT}/index.m3u8`, '1', 200],
    ]);
  });

  it('re-opens a session MediaMTX dropped (30 s idle) without the browser noticing', async () => {
    const token = tokens.issue(scope());
    expect((await fetch(mediaUrl(FRONT, 'index.m3u8', token))).status).toBe(200);
    expect((await fetch(mediaUrl(FRONT, 'video1_stream.m3u8', token))).status).toBe(200);
    await fetch(`${api}/_double/hls/sessions`, { method: 'DELETE' });
    await clearLog();
    const again = await fetch(mediaUrl(FRONT, 'video1_stream.m3u8', token));
    expect(again.status).toBe(200);
    expect(await again.text()).toMatch(/_video1_seg\d+\.mp4\?media_token=/);
    expect((await hlsLog()).map((r) => `${r.path.split('/').pop()} ${r.status}`)).toEqual(['video1_stream.m3u8 401', 'index.m3u8 302', 'index.m3u8 200', 'video1_stream.m3u8 200']);
    // Requests without any session yet (a token's first requests) open one, shared by concurrent callers.
    const fresh = tokens.issue(scope(), 120_000);
    await clearLog();
    const both = await Promise.all([fetch(mediaUrl(FRONT, 'video1_stream.m3u8', fresh)), fetch(mediaUrl(FRONT, 'video1_stream.m3u8', fresh))]);
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    expect((await hlsLog()).filter((r) => r.path.endsWith('/index.m3u8') && r.status === 200)).toHaveLength(1);
  });

  it.each<[string, number, string, () => string | null]>([
    ['no token', 401, 'missing_token', () => null],
    ['a forged signature', 401, 'invalid_token', () => `${tokens.issue(scope()).split('.')[0]}.${Buffer.alloc(32, 7).toString('base64url')}`],
    ['a token signed with another key', 401, 'invalid_token', () => createMediaTokens({ key: randomBytes(32) }).issue(scope())],
    [
      'an expired token',
      401,
      'expired_token',
      () => {
        skew = -3_600_000;
        const t = tokens.issue(scope(), 60_000);
        skew = 0;
        return t;
      },
    ],
    ['a token of another path', 403, 'token_scope', () => tokens.issue(scope({ transmission_id: 't-back', path: BACK }))],
    ['a token of another transmission for this path', 403, 'token_scope', () => tokens.issue(scope({ transmission_id: 't-back' }))],
    ['a token of another output', 403, 'token_scope', () => tokens.issue(scope({ output_id: 'sub' }))],
    ['a token for another transport (jsmpeg)', 403, 'token_scope', () => tokens.issue(scope({ transport: 'jsmpeg' }))],
    ['a token for another transport (mse)', 403, 'token_scope', () => tokens.issue(scope({ transport: 'mse' }))],
  ])('refuses %s with %i %s JSON, asking MediaMTX nothing', async (_what, status, code, make) => {
    const token = make();
    await clearLog();
    for (const file of ['index.m3u8', 'video1_stream.m3u8', 'ffffffffffff_video1_seg1.mp4']) {
      const url = `${base}${PREFIX}/api/streams/media/hls/${FRONT}/${file}${token === null ? '' : `?media_token=${encodeURIComponent(token)}`}`;
      const res = await fetch(url);
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    expect(await hlsLog()).toEqual([]);
  });

  it('refuses an output with HLS turned off (404) and a path that is not planned (404)', async () => {
    const res = await fetch(mediaUrl(NOHLS, 'index.m3u8', tokens.issue(scope({ transmission_id: 't-nohls', path: NOHLS }))));
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('hls_disabled');
    const unknown = await fetch(mediaUrl('cam/other/main', 'index.m3u8', tokens.issue(scope({ path: 'cam/other/main' }))));
    expect(unknown.status).toBe(404);
  });

  it('keeps every traversal trick inside: 400/404, and MediaMTX never sees another path', async () => {
    const token = encodeURIComponent(tokens.issue(scope()));
    const H = `${PREFIX}/api/streams/media/hls`;
    const tricks = [
      `${H}/${FRONT}/../../back/main/index.m3u8`,
      `${H}/cam/front/../back/main/index.m3u8`,
      `${H}/${FRONT}/../../../../../v3/config/paths/list`,
      `${H}/cam/%2e%2e/back/main/index.m3u8`,
      `${H}/${FRONT}/%2E%2E/%2E%2E/back/main/index.m3u8`,
      `${H}/${FRONT}/.%2e/.%2e/back/main/index.m3u8`,
      `${H}/${FRONT}/%252e%252e/%252e%252e/back/main/index.m3u8`,
      `${H}/${FRONT}/%252e%252e%252f%252e%252e%252fback%252fmain/index.m3u8`,
      `${H}/cam%2fback%2fmain/index.m3u8`,
      `${H}/${FRONT}%2F..%2F..%2Fback%2Fmain/index.m3u8`,
      `${H}/${FRONT}/..%2f..%2fback%2fmain%2findex.m3u8`,
      `${H}/cam\\..\\back\\main/index.m3u8`,
      `${H}/${FRONT}%5c..%5c..%5cback%5cmain/index.m3u8`,
      `${H}/${FRONT}//index.m3u8`,
      `${H}//cam/back/main/index.m3u8`,
      `${H}/${FRONT}/index.m3u8%00.ts`,
      `${H}/${FRONT}/index.html`,
      `${H}/${FRONT}/sub/index.m3u8`,
      `${H}/cam/back/main/x/../index.m3u8`,
      `${H}/http://127.0.0.1:1/cam/back/main/index.m3u8`,
      `${H}/${FRONT}/../../../../../../etc/passwd`,
      `http://127.0.0.1:${port}${H}/cam/back/main/index.m3u8`,
      `http://evil.example${H}/${FRONT}/index.m3u8`,
    ];
    await clearLog();
    const seen: string[] = [];
    for (const t of tricks) {
      const path = `${t}${t.includes('?') ? '&' : '?'}media_token=${token}`;
      const res = await rawGet(port, path);
      seen.push(`${res.status} ${t}`);
    }
    for (const line of seen) expect(line).toMatch(/^(400|404) /);
    const log = await hlsLog();
    expect(log.filter((r) => !r.path.startsWith(`/${FRONT}/`))).toEqual([]);
    expect(log).toEqual([]);
  });

  it('keeps a bounded session cache', async () => {
    const small = createHlsProxy({ engine, outputs: () => outputs, maxSessions: 2 });
    for (let i = 0; i < 3; i++) {
      const token = tokens.issue(scope(), 60_000 + i * 1000);
      const res = await small.serve({ target: { path: FRONT, file: 'index.m3u8' }, token, scope: tokens.verify(token, { transport: 'hls' }), range: null });
      expect(res.status).toBe(200);
      await res.text();
    }
    expect(small.sessionCount()).toBe(2);
  });

  it('answers 502 when the engine runs but its HLS listener does not answer', async () => {
    const dead = createHlsProxy({ engine: { internalHttpBase: () => `http://127.0.0.1:1`, status: () => engine.status() }, outputs: () => outputs });
    const token = tokens.issue(scope());
    const err = await dead.serve({ target: { path: FRONT, file: 'index.m3u8' }, token, scope: tokens.verify(token, { transport: 'hls' }), range: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(502);
    expect((err as ApiError).code).toBe('hls_upstream_unreachable');
  });

  describe('shared segment cache', () => {
    const servers: Server[] = [];
    afterAll(async () => {
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    });
    /** A server of its own around `p`, so that each test starts with an empty cache. */
    async function serveProxy(p: HlsProxy) {
      const app = new Hono().onError(onApiError(null));
      app.route('/', hlsRoutes({ proxy: p, tokens }));
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
      servers.push(s);
      await new Promise<void>((r) => (s.listening ? r() : s.once('listening', () => r())));
      return `http://127.0.0.1:${(s.address() as AddressInfo).port}/api/streams/media/hls`;
    }
    /** A viewer's start: multivariant and media playlist through the proxy; the listed segments' URLs. */
    async function viewer(root: string, path: string, token: string) {
      const mv = await fetch(`${root}/${path}/index.m3u8?media_token=${encodeURIComponent(token)}`);
      expect(mv.status).toBe(200);
      const media = new URL((await mv.text()).trim().split('\n').pop()!, mv.url);
      const list = async () => {
        const res = await fetch(media);
        expect(res.status).toBe(200);
        // Segments only: not the gap placeholders of Low-Latency HLS (nothing to fetch there).
        return (await res.text())
          .split('\n')
          .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('gap.mp4'))
          .map((l) => new URL(l, media).href);
      };
      return { segments: await list(), list };
    }
    const get = async (url: string, headers: Record<string, string> = {}) => {
      const res = await fetch(url, { headers });
      return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
    };
    const upstreamOf = async (file: string) => (await hlsLog()).filter((r) => r.path.endsWith(`/${file}`));
    const fileOf = (url: string) => new URL(url).pathname.split('/').pop()!;
    // Each viewer its own token: expiries a second apart (a random one collided now and then, merging two viewers' sessions).
    let lifetime = 120_000;
    const frontToken = () => tokens.issue(scope(), (lifetime += 1000));

    it('serves every viewer of a path the first fetch: identical bytes, one upstream request; a Range from the cached body', async () => {
      const p = createHlsProxy({ engine, outputs: () => outputs });
      const root = await serveProxy(p);
      const a = await viewer(root, FRONT, frontToken());
      const b = await viewer(root, FRONT, frontToken());
      const segA = a.segments[0]!;
      const segB = b.segments.find((u) => fileOf(u) === fileOf(segA))!;
      expect(segB).toBeDefined();
      await clearLog();
      const first = await get(segA);
      const second = await get(segB);
      const again = await get(segA);
      expect([first.status, second.status, again.status]).toEqual([200, 200, 200]);
      expect(first.body.subarray(4, 8).toString('latin1')).toBe('moof');
      expect(second.body.equals(first.body)).toBe(true);
      expect(again.body.equals(first.body)).toBe(true);
      expect(second.headers.get('content-type')).toBe('video/mp4');
      expect(second.headers.get('cache-control')).toBe('private, no-cache');
      expect(Number(second.headers.get('content-length'))).toBe(first.body.length);
      const part = await get(segB, { range: 'bytes=188-375' });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe(`bytes 188-375/${first.body.length}`);
      expect(part.body.equals(first.body.subarray(188, 376))).toBe(true);
      const beyond = await get(segB, { range: `bytes=${first.body.length}-` });
      expect(beyond.status).toBe(416);
      expect(beyond.headers.get('content-range')).toBe(`bytes */${first.body.length}`);
      expect((await upstreamOf(fileOf(segA))).map((r) => r.status)).toEqual([200]);
      expect(p.segmentCacheStats()).toMatchObject({ entries: 1, bytes: first.body.length, inFlight: 0 });
    });

    it('passes a Range request for a segment not cached on to MediaMTX, and caches nothing from it', async () => {
      const p = createHlsProxy({ engine, outputs: () => outputs });
      const v = await viewer(await serveProxy(p), FRONT, frontToken());
      const seg = v.segments.at(-1)!;
      await clearLog();
      const part = await get(seg, { range: 'bytes=0-187' });
      expect(part.status).toBe(206);
      expect(part.body).toHaveLength(188);
      expect(part.headers.get('content-range')).toMatch(/^bytes 0-187\/\d+$/);
      expect((await upstreamOf(fileOf(seg))).map((r) => [r.range, r.status])).toEqual([['bytes=0-187', 206]]);
      expect(p.segmentCacheStats().entries).toBe(0);
    });

    it('makes one upstream request for concurrent misses of a segment', async () => {
      const root = await serveProxy(createHlsProxy({ engine, outputs: () => outputs }));
      const viewers = await Promise.all([1, 2, 3].map(() => viewer(root, FRONT, frontToken())));
      const file = fileOf(viewers[0]!.segments.at(-1)!);
      await clearLog();
      const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => get(viewers[i % 3]!.segments.find((u) => fileOf(u) === file)!)));
      for (const a of answers) {
        expect(a.status).toBe(200);
        expect(a.body.equals((answers[0] as { body: Buffer }).body)).toBe(true);
      }
      expect(await upstreamOf(file)).toHaveLength(1);
    });

    it("keeps every viewer's MediaMTX session: playlists go through per viewer while segments come from the cache", async () => {
      const root = await serveProxy(createHlsProxy({ engine, outputs: () => outputs }));
      await fetch(`${api}/_double/hls/sessions`, { method: 'DELETE' });
      await clearLog();
      const viewers = await Promise.all([1, 2, 3].map(() => viewer(root, FRONT, frontToken())));
      const file = fileOf(viewers[0]!.segments[0]!);
      const segmentOf = (v: { segments: string[] }) => v.segments.find((u) => fileOf(u) === file)!;
      for (const v of viewers) expect((await get(segmentOf(v))).status).toBe(200);
      // Later: every viewer refreshes its media playlist and fetches the segment again.
      for (const v of viewers) {
        v.segments = await v.list();
        expect((await get(segmentOf(v) ?? v.segments[0]!)).status).toBe(200);
      }
      const log = await hlsLog();
      const mediaSessions = log.filter((r) => r.path === `/${FRONT}/video1_stream.m3u8` && r.status === 200).map((r) => r.query.session);
      expect(mediaSessions).toHaveLength(6);
      expect(new Set(mediaSessions).size).toBe(3);
      expect(log.filter((r) => r.path === `/${FRONT}/${file}`)).toHaveLength(1);
      const readers = ((await (await fetch(`${api}/v3/paths/get/${FRONT}`)).json()) as { readers: { type: string }[] }).readers;
      expect(readers.filter((r) => r.type === 'hlsSession')).toHaveLength(3);
    });

    it('evicts the least recently used segment beyond its byte bound', async () => {
      const probe = await viewer(await serveProxy(createHlsProxy({ engine, outputs: () => outputs })), FRONT, frontToken());
      // The muxer lists only what it muxed since it started: wait for a second segment.
      await waitFor('a second segment', async () => (probe.segments = await probe.list()).length >= 2, 30_000, { intervalMs: 100 });
      const [urlA, urlB] = probe.segments as [string, string];
      const [sizeA, sizeB] = [(await get(urlA)).body.length, (await get(urlB)).body.length];
      // Room for either segment alone, not for both.
      const p = createHlsProxy({ engine, outputs: () => outputs, segmentCacheBytes: Math.max(sizeA, sizeB) });
      const v = await viewer(await serveProxy(p), FRONT, frontToken());
      const [a, b] = [v.segments.find((u) => fileOf(u) === fileOf(urlA))!, v.segments.find((u) => fileOf(u) === fileOf(urlB))!];
      await clearLog();
      for (const url of [a, b, a]) expect((await get(url)).status).toBe(200);
      expect(await upstreamOf(fileOf(a))).toHaveLength(2);
      expect(await upstreamOf(fileOf(b))).toHaveLength(1);
      expect(p.segmentCacheStats()).toMatchObject({ entries: 1, bytes: sizeA });
    });

    it('does not cache an upstream error', async () => {
      const p = createHlsProxy({ engine, outputs: () => outputs });
      const root = await serveProxy(p);
      const token = frontToken();
      await viewer(root, FRONT, token);
      const missing = `${root}/${FRONT}/ffffffffffff_video1_seg999999.mp4?media_token=${encodeURIComponent(token)}`;
      await clearLog();
      for (let i = 0; i < 2; i++) {
        const res = await fetch(missing);
        expect(res.status).toBe(404);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('hls_file_gone');
      }
      expect((await upstreamOf('ffffffffffff_video1_seg999999.mp4')).map((r) => r.status)).toEqual([404, 404]);
      expect(p.segmentCacheStats()).toMatchObject({ entries: 0, inFlight: 0 });
    });

    it("never answers a path with another path's cached segment", async () => {
      const root = await serveProxy(createHlsProxy({ engine, outputs: () => outputs }));
      const front = await viewer(root, FRONT, frontToken());
      const file = fileOf(front.segments[0]!);
      expect((await get(front.segments[0]!)).status).toBe(200);
      const backToken = tokens.issue(scope({ transmission_id: 't-back', path: BACK }));
      await viewer(root, BACK, backToken);
      await clearLog();
      const res = await fetch(`${root}/${BACK}/${file}?media_token=${encodeURIComponent(backToken)}`);
      // BACK's muxer has its own prefix: MediaMTX is asked on BACK's path and has no such file.
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('hls_file_gone');
      expect((await hlsLog()).map((r) => r.path)).toEqual([`/${BACK}/${file}`]);
    });

    it.each([0, -1, 1.5, Number.NaN])('refuses a segment cache size of %s at start-up', (bytes) => {
      expect(() => createHlsProxy({ engine, outputs: () => outputs, segmentCacheBytes: bytes })).toThrow(RangeError);
    });
  });

  it('probes: ok while the path is live, not ok once its HLS source is killed', async () => {
    const probe = async (q = '') => {
      const res = await fetch(`${base}/api/streams/transmissions/t-front/hls/probe${q}`);
      expect(res.status).toBe(200);
      return (await res.json()) as HlsProbeReport;
    };
    const live = await probe();
    expect(live).toMatchObject({
      transmission_id: 't-front',
      output_id: 'main',
      path: FRONT,
      engine_state: 'running',
      playlist: { ok: true, status: 200, error: null },
      segment: { ok: true, status: 200, error: null },
    });
    expect(live.segment.bytes).toBeGreaterThan(188);
    expect(live.playlist.ms).toBeGreaterThanOrEqual(0);
    // Under the prefix too, with an explicit output.
    const prefixed = await fetch(`${base}${PREFIX}/api/streams/transmissions/t-front/hls/probe?output_id=main`);
    expect(((await prefixed.json()) as HlsProbeReport).playlist.ok).toBe(true);

    expect((await fetch(`${base}/api/streams/transmissions/nope/hls/probe`)).status).toBe(404);
    expect((await fetch(`${base}/api/streams/transmissions/t-front/hls/probe?output_id=sub`)).status).toBe(404);
    expect((await fetch(`${base}/api/streams/transmissions/t-nohls/hls/probe`)).status).toBe(404);
    expect((await fetch(`${base}/api/streams/transmissions/t-front/hls/probe?output_id=`)).status).toBe(422);

    expect((await fetch(`${api}/_double/paths/${FRONT}/hls`, { method: 'DELETE' })).status).toBe(200);
    const dead = await probe();
    expect(dead).toMatchObject({ engine_state: 'running', playlist: { ok: false, status: 404 }, segment: { ok: false, bytes: 0 } });
    expect(dead.playlist.error).toMatch(/no HLS stream/);
    // The player's view of the same: 404 JSON, not a redirect.
    const res = await fetch(mediaUrl(FRONT, 'index.m3u8', tokens.issue(scope())), { redirect: 'manual' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('hls_unavailable');
  });

  it('answers 503 naming the engine state once the engine is stopped; the probe reports it', async () => {
    await engine.stop();
    const res = await fetch(mediaUrl(BACK, 'index.m3u8', tokens.issue(scope({ transmission_id: 't-back', path: BACK }))));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'engine_not_running', engine_state: 'stopped' } });
    const probe = (await (await fetch(`${base}/api/streams/transmissions/t-back/hls/probe`)).json()) as HlsProbeReport;
    expect(probe).toMatchObject({ engine_state: 'stopped', playlist: { ok: false, status: null }, segment: { ok: false, status: null } });
  });
});
