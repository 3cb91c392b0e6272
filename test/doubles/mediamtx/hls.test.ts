import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goRfc3339Millis, goValuesEncode, h264CodecFromTs } from './hls.js';
import { DOUBLE_BIN } from './release.js';
import { startMediamtxDouble, type MediamtxDouble } from './server.js';
import { freePort, freePorts } from '../../support/ports.js';
import { waitFor } from '../../support/wait.js';
import { makeDataDir, removeDataDir } from '../../support/data-dir.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A GET over a real socket, optionally from another loopback address, without following redirects. */
function get(url: string, headers: Record<string, string> = {}, localAddress?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, ...(localAddress ? { localAddress } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('MediaMTX double: HLS like MediaMTX v1.20.1 (mpegts variant), media from FFmpeg', () => {
  let d: MediamtxDouble;
  let hls: string;
  const call = (method: string, path: string, body?: unknown) => fetch(`${d.url}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  beforeAll(async () => {
    d = await startMediamtxDouble();
    hls = d.hlsUrl!;
    for (const p of ['cam/a', 'cam/b', 'cam/idle']) expect((await call('POST', `/v3/config/paths/add/${p}`, { source: 'publisher' })).status).toBe(200);
    await d.startHls('cam/a');
    await d.startHls('cam/b', { size: '160x120', fps: 10 });
  });
  afterAll(async () => {
    await d?.close();
  });

  it('answers the first playlist request with the cookie check 302, then a multivariant playlist with a session', async () => {
    const first = await get(`${hls}/cam/a/index.m3u8`);
    expect(first.status).toBe(302);
    expect(first.headers.location).toBe('/cam/a/index.m3u8?cookieCheck=1');
    expect(first.headers['set-cookie']).toEqual(['cookieCheck=1; HttpOnly; Secure; SameSite=None; Partitioned']);
    expect(first.body.length).toBe(0);

    const mv = await get(`${hls}/cam/a/index.m3u8?cookieCheck=1`);
    expect(mv.status).toBe(200);
    expect(mv.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(mv.headers['cache-control']).toBe('private, no-cache');
    const text = mv.body.toString();
    expect(text).toMatch(
      /^#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n\n#EXT-X-STREAM-INF:BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,CODECS="avc1\.[0-9a-f]{6}",RESOLUTION=320x240,FRAME-RATE=25\.000\nmain_stream\.m3u8\?session=[0-9a-f-]{36}\n$/,
    );
    const session = /session=([0-9a-f-]{36})/.exec(text)![1]!;

    const media = await get(`${hls}/cam/a/main_stream.m3u8?session=${session}`);
    expect(media.status).toBe(200);
    const m = media.body.toString();
    expect(m).toMatch(
      /^#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-ALLOW-CACHE:NO\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:\d+\n(#EXT-X-PROGRAM-DATE-TIME:\S+\n#EXTINF:\d\.\d{5},\n[0-9a-f]{12}_main_seg\d+\.ts\?session=[0-9a-f-]{36}\n)+$/,
    );
    const seg = /\n([0-9a-f]{12}_main_seg\d+\.ts\?session=[0-9a-f-]{36})\n/.exec(m)![1]!;

    const body = await get(`${hls}/cam/a/${seg}`);
    expect(body.status).toBe(200);
    expect(body.headers['content-type']).toBe('video/mp2t');
    expect(body.body[0]).toBe(0x47);
    expect(body.body[188]).toBe(0x47);
    expect(h264CodecFromTs(body.body)).toMatch(/^avc1\./);

    // A single range (MediaMTX itself would send the whole segment).
    const part = await get(`${hls}/cam/a/${seg}`, { range: 'bytes=188-375' });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 188-375/${body.body.length}`);
    expect(part.body.equals(body.body.subarray(188, 376))).toBe(true);
    expect((await get(`${hls}/cam/a/${seg}`, { range: `bytes=${body.body.length}-` })).status).toBe(416);

    // The session is an hlsSession reader of the path, and the path is online.
    const path = (await (await call('GET', '/v3/paths/get/cam/a')).json()) as { online: boolean; readers: { type: string }[] };
    expect(path.online).toBe(true);
    expect(path.readers.map((r) => r.type)).toContain('hlsSession');
    expect(d.violations()).toEqual([]);
  });

  it('uses the hlsSession cookie instead when the client kept the cookieCheck cookie', async () => {
    const mv = await get(`${hls}/cam/b/index.m3u8?cookieCheck=1`, { cookie: 'cookieCheck=1' });
    expect(mv.status).toBe(200);
    expect(mv.body.toString()).toMatch(/\nmain_stream\.m3u8\n$/);
    expect(mv.body.toString()).toMatch(/RESOLUTION=160x120,FRAME-RATE=10\.000/);
    const cookie = /hlsSession=([0-9a-f-]{36})/.exec(String(mv.headers['set-cookie']))?.[1];
    expect(cookie).toBeTruthy();
    expect((await get(`${hls}/cam/b/main_stream.m3u8`)).status).toBe(401);
    const media = await get(`${hls}/cam/b/main_stream.m3u8`, { cookie: `hlsSession=${cookie}` });
    expect(media.status).toBe(200);
    expect(media.body.toString()).toMatch(/_main_seg\d+\.ts\n/);
  });

  it('refuses what MediaMTX refuses: unknown path, no stream, no or foreign session, another client IP, unknown files', async () => {
    expect(await get(`${hls}/nope/index.m3u8?cookieCheck=1`)).toMatchObject({ status: 500 });
    expect(JSON.parse((await get(`${hls}/nope/index.m3u8?cookieCheck=1`)).body.toString())).toEqual({ status: 'error', error: "path 'nope' is not configured" });
    const idle = await get(`${hls}/cam/idle/index.m3u8?cookieCheck=1`);
    expect(idle.status).toBe(404);
    expect(JSON.parse(idle.body.toString())).toEqual({ status: 'error', error: "no stream is available on path 'cam/idle'" });
    // The cookie check comes first, whatever the path.
    expect((await get(`${hls}/cam/idle/index.m3u8`)).status).toBe(302);

    const mv = (await get(`${hls}/cam/a/index.m3u8?cookieCheck=1`)).body.toString();
    const session = /session=([0-9a-f-]{36})/.exec(mv)![1]!;
    expect((await get(`${hls}/cam/a/main_stream.m3u8`)).status).toBe(401);
    expect(JSON.parse((await get(`${hls}/cam/a/main_stream.m3u8?session=00000000-0000-4000-8000-000000000000`)).body.toString())).toEqual({ status: 'error', error: 'authentication error' });
    // Sessions are tied to the client IP.
    expect((await get(`${hls}/cam/a/main_stream.m3u8?session=${session}`, {}, '127.0.0.2')).status).toBe(401);
    // A session of one path does not open another.
    expect((await get(`${hls}/cam/b/main_stream.m3u8?session=${session}`)).status).toBe(401);
    const unknown = await get(`${hls}/cam/a/ffffffffffff_main_seg1.ts?session=${session}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.toString()).toBe('404 page not found');
    expect((await get(`${hls}/cam/a/seg0.ts?session=${session}`)).status).toBe(404); // FFmpeg's own names are not served
    expect((await get(`${hls}/cam/a/ffmpeg.m3u8?session=${session}`)).status).toBe(404);
    // A client outside authInternalUsers' IPs cannot read.
    expect((await get(`${hls}/cam/a/index.m3u8?cookieCheck=1`, {}, '127.0.0.2')).status).toBe(401);
  });

  it('logs every HLS request; closing sessions or the source is what MediaMTX does after 30 s idle or a publisher leaving', async () => {
    await d.startHls('cam/idle');
    const mv = (await get(`${hls}/cam/idle/index.m3u8?cookieCheck=1`)).body.toString();
    const session = /session=([0-9a-f-]{36})/.exec(mv)![1]!;
    expect((await get(`${hls}/cam/idle/main_stream.m3u8?session=${session}`)).status).toBe(200);
    expect(d.hlsRequests().some((r) => r.path === '/cam/idle/main_stream.m3u8' && r.query.session === session && r.status === 200)).toBe(true);

    expect(await (await call('DELETE', '/_double/hls/sessions')).json()).toMatchObject({ status: 'ok' });
    expect((await get(`${hls}/cam/idle/main_stream.m3u8?session=${session}`)).status).toBe(401);

    const mv2 = (await get(`${hls}/cam/idle/index.m3u8?cookieCheck=1`)).body.toString();
    const s2 = /session=([0-9a-f-]{36})/.exec(mv2)![1]!;
    const status = (await (await call('GET', '/_double/paths/cam/idle/hls')).json()) as { publishing: boolean; ffmpeg_pid: number; muxer: { sessions: number } };
    expect(status).toMatchObject({ publishing: true, muxer: { sessions: 1 } });
    await d.stopHls('cam/idle');
    expect(alive(status.ffmpeg_pid)).toBe(false);
    expect((await get(`${hls}/cam/idle/main_stream.m3u8?session=${s2}`)).status).toBe(401);
    expect((await get(`${hls}/cam/idle/index.m3u8?cookieCheck=1`)).status).toBe(404);
    const path = (await (await call('GET', '/v3/paths/get/cam/idle')).json()) as { online: boolean; readers: unknown[] };
    expect(path).toMatchObject({ online: false, readers: [] });
    expect((await call('DELETE', '/_double/paths/cam/idle/hls')).status).toBe(404);
    expect((await call('POST', '/_double/paths/cam/a/hls', { source: 'testsrc' })).status).toBe(409);
    expect((await call('POST', '/_double/paths/cam/c/hls', { source: 'rtsp://x' })).status).toBe(400);
  });

  it('reproduces Go formatting details', () => {
    expect(goValuesEncode(new URLSearchParams('z=1&session=a b&cookieCheck=1&a=(x)'))).toBe('a=%28x%29&cookieCheck=1&session=a+b&z=1');
    expect(goRfc3339Millis(Date.UTC(2026, 10, 24, 16, 2, 48, 530))).toBe('2026-11-24T16:02:48.53Z');
    expect(goRfc3339Millis(Date.UTC(2026, 10, 24, 16, 2, 48, 0))).toBe('2026-11-24T16:02:48Z');
  });

  it('does not bind HLS when the config file does not name hlsAddress', async () => {
    const other = await startMediamtxDouble({ configYaml: "api: true\napiAddress: 127.0.0.1:0\nauthInternalUsers:\n  - user: any\n    ips: ['127.0.0.1']\n    permissions: [{action: api}]\n" });
    try {
      expect(other.hlsUrl).toBeNull();
    } finally {
      await other.close();
    }
  });
});

describe('MediaMTX double as a process: HLS listener and FFmpeg children', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeDataDir('mtx-double-hls');
  });
  afterAll(async () => {
    await removeDataDir(dir);
  });

  async function start(apiPort: number, hlsPort: number): Promise<{ child: ChildProcess; exited: Promise<number | null>; stderr: () => string }> {
    const file = join(dir, `c-${apiPort}.yml`);
    await writeFile(
      file,
      `api: true\napiAddress: 127.0.0.1:${apiPort}\nhlsAddress: 127.0.0.1:${hlsPort}\nhlsVariant: mpegts\nhlsSegmentCount: 4\nauthInternalUsers:\n  - user: any\n    ips: ['127.0.0.1']\n    permissions: [{action: api}, {action: read}]\npaths:\n  live: {}\n`,
    );
    const child = spawn(DOUBLE_BIN, [file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    return { child, exited, stderr: () => stderr };
  }

  it('FFmpeg sources die with the double, even when it is SIGKILLed', async () => {
    const [apiPort, hlsPort] = (await freePorts(2)) as [number, number];
    const { child, exited, stderr } = await start(apiPort, hlsPort);
    let gone = false;
    void exited.then(() => (gone = true));
    await waitFor(
      'the API',
      async () => {
        if (gone) throw new Error(`the double exited: ${stderr()}`);
        return fetch(`http://127.0.0.1:${apiPort}/v3/info`).then(
          (r) => r.ok,
          () => false,
        );
      },
      30_000,
    );
    expect((await fetch(`http://127.0.0.1:${apiPort}/_double/paths/live/hls`, { method: 'POST', body: '{"source":"testsrc"}' })).status).toBe(200);
    const status = await waitFor('the FFmpeg pid', async () => {
      const s = (await (await fetch(`http://127.0.0.1:${apiPort}/_double/paths/live/hls`)).json()) as { ffmpeg_pid: number | null };
      return s.ffmpeg_pid !== null ? s : null;
    });
    expect(alive(status.ffmpeg_pid!)).toBe(true);
    // HLS answers on its own port.
    await waitFor('a segment', async () => ((await (await fetch(`http://127.0.0.1:${apiPort}/_double/paths/live/hls`)).json()) as { segments: number }).segments > 0);
    const r = await fetch(`http://127.0.0.1:${hlsPort}/live/index.m3u8`);
    expect(r.status).toBe(200);
    expect(r.url).toContain('cookieCheck=1');
    child.kill('SIGKILL');
    await exited;
    await waitFor('FFmpeg to stop once the double is gone', () => !alive(status.ffmpeg_pid!));
  });

  it('exits 1 like MediaMTX when the HLS port is taken', async () => {
    const blocker = createServer();
    const hlsPort = await new Promise<number>((r) => blocker.listen(0, '127.0.0.1', () => r((blocker.address() as { port: number }).port)));
    try {
      const { exited, stderr } = await start(await freePort(), hlsPort);
      expect(await exited).toBe(1);
      expect(stderr()).toMatch(new RegExp(`ERR: listen tcp 127\\.0\\.0\\.1:${hlsPort}: bind: address already in use`));
    } finally {
      blocker.close();
    }
  });
});
