import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDirs } from '../../../test/support/data-dir.js';
import { ENGINE_PATH, linksTo, OUTPUT_ID, PEER_SECRET, startStandInHost, TX_ID, type StandInHost } from '../../../test/support/peer-host.js';
import { onApiError } from '../../api/errors.js';
import { hlsRoutes } from '../../api/routes/hls.js';
import type { HlsProxy } from '../hls-proxy.js';
import { createMediaTokens } from '../tokens.js';
import { createRemoteHls } from './hls-remote.js';
import type { PeerLinks } from './peer-links.js';

const tokens = createMediaTokens({ key: randomBytes(32) });
const A_TOKEN = tokens.issue({ transmission_id: TX_ID, output_id: OUTPUT_ID, path: ENGINE_PATH, transport: 'hls' });
const SEGMENT = randomBytes(256 * 1024);

/** Held back by the host until the test releases it: the browser must get the start first. */
let releaseSlow = () => {};

/** The host's HLS of the output: playlists with relative URIs carrying its own token, segments, errors. */
function media(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://b.invalid');
  const t = `?media_token=${url.searchParams.get('media_token') ?? ''}`;
  const file = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
  const playlist = (text: string) => void res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'no-store' }).end(text);
  if (file === 'index.m3u8') return playlist(`#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000000,CODECS="avc1.64001f"\nmain_stream.m3u8${t}\n`);
  if (file === 'main_stream.m3u8')
    return playlist(`#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI="init.mp4${t}"\n#EXTINF:2.0,\nseg1.mp4${t}\n#EXT-X-PART:DURATION=0.2,URI="part1.mp4${t}"\n`);
  if (file === 'seg1.mp4' && req.headers.range === 'bytes=0-9')
    return void res.writeHead(206, { 'content-type': 'video/mp4', 'content-range': `bytes 0-9/${SEGMENT.length}`, 'content-length': '10' }).end(SEGMENT.subarray(0, 10));
  if (file === 'seg1.mp4') return void res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(SEGMENT.length), 'cache-control': 'private, no-cache' }).end(SEGMENT);
  if (file === 'slow.mp4') {
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(SEGMENT.length) }).write(SEGMENT.subarray(0, 1000));
    releaseSlow = () => res.end(SEGMENT.subarray(1000));
    return;
  }
  res
    .writeHead(404, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(JSON.stringify({ error: { code: 'hls_file_gone', message: `MediaMTX no longer has ${file}`, field: null } }));
}

/** A's edge as the app mounts it: a transmission hosted here would go to the local proxy. */
const localProxy: HlsProxy = {
  serve: () => Promise.resolve(new Response('local')),
  probe: () => Promise.reject(new Error('not used')),
  sessionCount: () => 0,
  segmentCacheStats: () => ({ entries: 0, bytes: 0, inFlight: 0 }),
};
const appOf = (links: PeerLinks) => new Hono().route('/', hlsRoutes({ tokens, proxy: localProxy, remote: { isRemote: links.isRemote, ...createRemoteHls({ links }) } })).onError(onApiError(null));

let host: StandInHost;
let links: PeerLinks;
let app: Hono;
const get = (file: string, query = '', headers: Record<string, string> = {}) =>
  app.request(`/api/streams/media/hls/${ENGINE_PATH}/${file}?media_token=${encodeURIComponent(A_TOKEN)}${query}`, { headers });

beforeAll(async () => {
  host = await startStandInHost({ media });
  links = await linksTo(host.base);
  app = appOf(links);
});
afterAll(async () => {
  links.close();
  await host.close();
  await removeDataDirs();
});

describe('HLS of a transmission another server hosts', () => {
  it("serves the host's playlists with only the browser's token in them, LL-HLS parameters passed on", async () => {
    const index = await get('index.m3u8');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(await index.text()).toContain(`main_stream.m3u8?media_token=${encodeURIComponent(A_TOKEN)}`);

    const res = await get('main_stream.m3u8', '&_HLS_msn=5&_HLS_part=1');
    const text = await res.text();
    expect(res.status).toBe(200);
    const uris = [...text.matchAll(/(?:URI="|^)([^#"\n][^"\n]*)/gm)].map((m) => m[1]);
    expect(uris).toEqual(['init.mp4', 'seg1.mp4', 'part1.mp4'].map((f) => `${f}?media_token=${encodeURIComponent(A_TOKEN)}`));
    expect(text).not.toContain('b-token');

    const asked = host.requests.at(-1)!;
    expect(asked.url).toBe(`/api/streams/media/hls/${ENGINE_PATH}/main_stream.m3u8?media_token=b-token-1&_HLS_msn=5&_HLS_part=1`);
    expect(asked.headers).toMatchObject({ 'x-toposync-peer': 'local', authorization: `Bearer ${PEER_SECRET}` });
  });

  it('passes a segment through byte for byte with its headers, and a range request as a range', async () => {
    const res = await get('seg1.mp4');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(res.headers.get('content-length')).toBe(String(SEGMENT.length));
    expect(res.headers.get('cache-control')).toBe('private, no-cache');
    expect(Buffer.from(await res.arrayBuffer()).equals(SEGMENT)).toBe(true);

    const part = await get('seg1.mp4', '', { range: 'bytes=0-9' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 0-9/${SEGMENT.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(SEGMENT.subarray(0, 10))).toBe(true);
  });

  it('streams a segment as it arrives: the start reaches the browser while the host still holds the rest', async () => {
    const res = await get('slow.mp4');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let first = 0;
    while (first < 1000) first += (await reader.read()).value?.byteLength ?? Infinity;
    expect(first).toBe(1000);
    releaseSlow();
    const chunks: Uint8Array[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
    expect(Buffer.concat(chunks).equals(SEGMENT.subarray(1000))).toBe(true);
  });

  it("passes the host's JSON error on as it is", async () => {
    const res = await get('seg9.mp4');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'hls_file_gone', message: 'MediaMTX no longer has seg9.mp4', field: null } });
  });

  it('asks the host for fresh URLs once when it refuses its own token (restarted with a new key), and retries', async () => {
    host.token = 'b-token-2';
    const resolutions = host.resolutions;
    const asked = host.requests.length;
    const res = await get('seg1.mp4');
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(SEGMENT)).toBe(true);
    expect(host.resolutions).toBe(resolutions + 1);
    expect(host.requests.slice(asked).map((r) => new URL(r.url, 'http://b.invalid').searchParams.get('media_token'))).toEqual(['b-token-1', 'b-token-2']);
  });

  it('refuses a token of another path without asking the host; a transmission hosted here stays with the local proxy', async () => {
    const asked = host.requests.length;
    const other = await app.request(`/api/streams/media/hls/cam/back/main/index.m3u8?media_token=${encodeURIComponent(A_TOKEN)}`);
    expect(other.status).toBe(403);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('token_scope');
    const local = tokens.issue({ transmission_id: 'here', output_id: 'o', path: 'cam/here', transport: 'hls' });
    expect(await (await app.request(`/api/streams/media/hls/cam/here/index.m3u8?media_token=${encodeURIComponent(local)}`)).text()).toBe('local');
    expect(host.requests.length).toBe(asked);
  });

  it('answers 503 host_unreachable when the host is down, naming no secret', async () => {
    const gone = await startStandInHost({ media });
    const goneLinks = await linksTo(gone.base);
    await gone.close();
    const res = await appOf(goneLinks).request(`/api/streams/media/hls/${ENGINE_PATH}/index.m3u8?media_token=${encodeURIComponent(A_TOKEN)}`);
    goneLinks.close();
    const text = await res.text();
    expect(res.status).toBe(503);
    expect((JSON.parse(text) as { error: { code: string } }).error.code).toBe('host_unreachable');
    expect(text).not.toContain(PEER_SECRET);
  });
});
