/**
 * HLS through the proxy with cameras the way Home Assistant users have them: GStreamer RTSP
 * cameras (H.265 without audio, H.264 with Opus, plain H.264) pulled by the engine the server
 * renders its config for, read through the HLS proxy under an ingress prefix, checked with ffprobe
 * and played by hls.js in Debian's Chromium. Runs against the real MediaMTX when
 * TOPOSYNC_STREAMING_MEDIAMTX_PATH names it (`npm run test:engines`), else against the double (which
 * remuxes the same camera with FFmpeg, see test/doubles/mediamtx/README.md).
 *
 * Found against real MediaMTX v1.20.1: with `hlsVariant: mpegts` every playlist of an H.265 or an
 * Opus camera answered 500 (gohlslib's MPEG-TS muxer takes H.264 and MPEG-4 audio only).
 */
import { serve } from '@hono/node-server';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { Hono } from 'hono';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onApiError } from '../../src/api/errors.js';
import { hlsRoutes } from '../../src/api/routes/hls.js';
import type { Output } from '../../src/domain/transmission.js';
import { streamingSettingsSchema } from '../../src/domain/settings.js';
import { createEngineManager, type EngineManager } from '../../src/engine/engine.js';
import { createLogger } from '../../src/shared/logger.js';
import { createHlsProxy, type HlsProxy } from '../../src/playback/hls-proxy.js';
import { createMediaTokens } from '../../src/playback/tokens.js';
import { createSupervisor } from '../../src/process/supervisor.js';
import type { Supervisor } from '../../src/process/types.js';
import type { PlannedOutput } from '../../src/runtime/path-plan.js';
import { launchChromium } from '../browser/browser.js';
import { ENGINE_BINS, REAL_ENGINES, engineTarget } from '../engines.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';
import { startRtspCamera, type RtspCamera } from '../media/rtsp-camera.js';
import { makeDataDir, removeDataDir } from '../support/data-dir.js';

const PREFIX = '/api/hassio_ingress/hlsengine';
const HEVC = 'cam/hevc/main';
const OPUS = 'cam/opus/main';
const AVC = 'cam/avc/main';
const HLS_JS = fileURLToPath(new URL('../../node_modules/hls.js/dist/hls.min.js', import.meta.url));

const output = (path: string): Output =>
  ({
    id: 'main',
    name: 'main',
    enabled: true,
    engine_path: path,
    codec: 'copy',
    width: null,
    height: null,
    fps: null,
    bitrate_kbps: null,
    enable_rtsp: true,
    enable_hls: true,
    enable_webrtc: false,
  }) as unknown as Output;
const planned = (path: string): PlannedOutput => ({ transmission_id: path, output_id: 'main', path, feed: { kind: 'writers' }, output: output(path), onRequest: false });

/** The URI lines and `URI="..."` attributes of a playlist, in order. */
const uris = (text: string) => ({
  lines: text.split('\n').filter((l) => l !== '' && !l.startsWith('#')),
  attr: (tag: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`#${tag}:`))
      .map((l) => /URI="([^"]+)"/.exec(l)![1]!),
});

/** Codec names and decoded video frames of an fMP4 init + media file, by ffprobe. */
async function probeMp4(dir: string, name: string, bytes: Buffer): Promise<{ codecs: string[]; frames: number }> {
  const file = join(dir, name);
  await writeFile(file, bytes);
  const { stdout } = await execa('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_name,codec_type,nb_read_frames', '-of', 'json', file]);
  const streams = (JSON.parse(stdout) as { streams: { codec_name: string; codec_type: string; nb_read_frames?: string }[] }).streams;
  return { codecs: streams.map((s) => s.codec_name), frames: Number(streams.find((s) => s.codec_type === 'video')?.nb_read_frames ?? 0) };
}

describe(`HLS of H.265, Opus and H.264 cameras through the proxy (${engineTarget('mediamtx')})`, () => {
  let dataDir: string;
  let supervisor: Supervisor;
  let engine: EngineManager;
  let http: Server;
  let base: string;
  let proxy: HlsProxy;
  const cameras: RtspCamera[] = [];
  const tokens = createMediaTokens({ key: randomBytes(32) });
  const outputs = [HEVC, OPUS, AVC].map(planned);
  const url = (path: string, file: string) =>
    `${base}${PREFIX}/api/streams/media/hls/${path}/${file}?media_token=${encodeURIComponent(tokens.issue({ transmission_id: path, output_id: 'main', path, transport: 'hls' }))}`;
  const get = async (u: string) => {
    const res = await fetch(u);
    return { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
  };

  /** The multivariant playlist, then its first (video) variant. */
  async function mediaPlaylist(path: string) {
    const mv = await get(url(path, 'index.m3u8'));
    expect(mv.status, mv.body.toString()).toBe(200);
    const mvText = mv.body.toString();
    const variant = new URL(uris(mvText).lines[0]!, url(path, 'index.m3u8')).href;
    const media = await get(variant);
    expect(media.status, media.body.toString()).toBe(200);
    return { mvText, variant, text: media.body.toString() };
  }

  beforeAll(async () => {
    dataDir = await makeDataDir('hls-engine');
    const logger = createLogger('warn', new Writable({ write: (_c, _e, done) => done() }));
    supervisor = createSupervisor({ logger });
    cameras.push(
      await startRtspCamera({ codec: 'h265', fps: 15, width: 640, height: 360 }),
      await startRtspCamera({ codec: 'h264', audio: 'opus', fps: 15, width: 640, height: 360 }),
      await startRtspCamera({ codec: 'h264', fps: 15, width: 640, height: 360 }),
    );
    const settings = v.parse(streamingSettingsSchema, {
      engine: { rtsp_port: await freePort(), hls_port: await freePort(), webrtc_port: await freePort(), webrtc_udp_port: await freePort(), api_port: await freePort() },
    });
    engine = createEngineManager({ supervisor, logger, dataDir, settings: () => settings, logLevel: 'info', mediamtxPath: ENGINE_BINS.mediamtx, bundledPaths: [], startTimeoutMs: 20_000 });
    expect((await engine.start()).state).toBe('running');
    const api = engine.status().api_url!;
    const paths = [HEVC, OPUS, AVC];
    const sync = await engine.syncPaths(new Map(paths.map((p, i) => [p, { source: cameras[i]!.bareUrl }])));
    expect(sync.errors).toEqual([]);
    if (!REAL_ENGINES.mediamtx) {
      // The double pulls no RTSP source by itself: it is told to remux the same camera with FFmpeg.
      for (const [i, p] of paths.entries()) {
        const res = await fetch(`${api}/_double/paths/${p}/hls`, { method: 'POST', body: JSON.stringify({ source: 'rtsp', url: cameras[i]!.bareUrl }) });
        expect(res.status, await res.text()).toBe(200);
      }
    }
    // Each path online (the engine pulls its camera) before the first playlist is asked for.
    for (const p of paths) {
      await waitFor(`${p} ready`, async () => ((await (await fetch(`${api}/v3/paths/get/${p}`)).json()) as { ready?: boolean }).ready === true);
    }
    proxy = createHlsProxy({ engine, outputs: () => outputs, logger });
    const app = new Hono().onError(onApiError(null));
    app.get('/player', (c) => c.html('<!doctype html><html><body><video id="v" muted autoplay playsinline></video><script src="/hls.js"></script></body></html>'));
    app.get('/hls.js', async (c) => c.body(await readFile(HLS_JS, 'utf8'), 200, { 'content-type': 'text/javascript' }));
    app.route(PREFIX, hlsRoutes({ proxy, tokens }));
    http = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    await new Promise<void>((r) => (http.listening ? r() : http.once('listening', () => r())));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  }, 90_000);

  afterAll(async () => {
    http?.closeAllConnections();
    await new Promise((r) => http?.close(r));
    await engine?.stop();
    await supervisor?.stopAll();
    await Promise.all(cameras.map((c) => c.stop()));
    await removeDataDir(dataDir);
  });

  it('an H.265 camera: playlists answer 200, the init segment (EXT-X-MAP) and a part decode as HEVC', async () => {
    const { mvText, variant, text } = await mediaPlaylist(HEVC);
    expect(mvText).toMatch(/CODECS="(hvc1|hev1)\./);
    const map = uris(text).attr('EXT-X-MAP')[0]!;
    const parts = uris(text).attr('EXT-X-PART');
    expect(parts.length).toBeGreaterThan(0);
    // The first independent part: decodable on its own after the init segment.
    const independent = text.split('\n').find((l) => l.startsWith('#EXT-X-PART:') && l.includes('INDEPENDENT=YES'))!;
    const part = /URI="([^"]+)"/.exec(independent)![1]!;
    for (const u of [map, part]) expect(u).toMatch(/^[A-Za-z0-9_.-]+\.mp4\?media_token=[^&]+$/);
    const init = await get(new URL(map, variant).href);
    const media = await get(new URL(part, variant).href);
    expect([init.status, media.status]).toEqual([200, 200]);
    expect(media.type).toBe('video/mp4');
    const probed = await probeMp4(dataDir, 'hevc.mp4', Buffer.concat([init.body, media.body]));
    expect(probed.codecs).toEqual(['hevc']);
    expect(probed.frames).toBeGreaterThan(0);
  });

  it('an H.264 camera with Opus audio: playlists answer 200, video decodes as H.264, the Opus rendition (EXT-X-MEDIA) as Opus', async () => {
    const { mvText, variant, text } = await mediaPlaylist(OPUS);
    const map = uris(text).attr('EXT-X-MAP')[0]!;
    const segment = uris(text).lines.find((l) => !l.startsWith('gap.mp4'))!;
    const init = await get(new URL(map, variant).href);
    const media = await get(new URL(segment, variant).href);
    expect([init.status, media.status]).toEqual([200, 200]);
    const video = await probeMp4(dataDir, 'avc-opus.mp4', Buffer.concat([init.body, media.body]));
    expect(video.codecs).toEqual(['h264']);
    expect(video.frames).toBeGreaterThan(0);
    expect(mvText).toMatch(/CODECS="avc1\.[0-9a-f]{6},opus"/);
    const rendition = new URL(uris(mvText).attr('EXT-X-MEDIA')[0]!, url(OPUS, 'index.m3u8')).href;
    const audio = await get(rendition);
    expect(audio.status).toBe(200);
    const aText = audio.body.toString();
    const aInit = await get(new URL(uris(aText).attr('EXT-X-MAP')[0]!, rendition).href);
    const aSeg = await get(
      new URL(
        uris(aText).lines.find((l) => !l.startsWith('gap.mp4'))!,
        rendition,
      ).href,
    );
    expect((await probeMp4(dataDir, 'opus.mp4', Buffer.concat([aInit.body, aSeg.body]))).codecs).toEqual(['opus']);
  });

  it('a blocking _HLS_msn/_HLS_part request goes through the proxy and returns when the engine has that part', async () => {
    const { variant, text } = await mediaPlaylist(AVC);
    expect(text).toMatch(/#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES/);
    expect(text).toMatch(/#EXT-X-PRELOAD-HINT:TYPE=PART,URI="[^"]+\?media_token=/);
    // The next segment's first part: not there yet when asked for.
    const msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1]) + uris(text).lines.length;
    for (let i = 0; i < 2; i++) {
      const started = performance.now();
      const blocked = await get(`${variant}&_HLS_msn=${msn + i}&_HLS_part=0`);
      const waited = performance.now() - started;
      expect(blocked.status, blocked.body.toString()).toBe(200);
      const after = blocked.body.toString();
      // Never cached: each answer lists the part asked for, which the one before did not have.
      const segs = uris(after).lines.length + Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(after)?.[1]);
      expect(segs).toBeGreaterThanOrEqual(msn + i);
      expect(after.split('\n').filter((l) => l.startsWith('#EXT-X-PART:')).length).toBeGreaterThan(0);
      expect(waited).toBeGreaterThan(0);
    }
    // A request far beyond the live edge is refused by the engine at once, and so by the proxy; so is a part without its msn.
    expect((await get(`${variant}&_HLS_msn=${msn + 10}&_HLS_part=0`)).status).toBe(400);
    expect((await get(`${variant}&_HLS_part=0`)).status).toBe(400);
    // A delta update (EXT-X-SKIP) passes through with its URIs rewritten like any playlist.
    const delta = await get(`${variant}&_HLS_skip=YES`);
    expect(delta.status).toBe(200);
    expect(delta.body.toString()).toMatch(/#EXT-X-SKIP:SKIPPED-SEGMENTS=\d+\n/);
    expect(delta.body.toString()).not.toMatch(/session=|_HLS_/);
  });

  it('the HLS probe reads the playlist and the first real segment (not a gap placeholder)', async () => {
    const report = await proxy.probe(AVC);
    expect(report.playlist).toMatchObject({ ok: true, status: 200, error: null });
    expect(report.segment).toMatchObject({ ok: true, status: 200, error: null });
    expect(report.segment.bytes).toBeGreaterThan(0);
  });

  it('the preload hint blocks until its part exists; the segment cache then serves that part to every viewer', async () => {
    const { variant, text } = await mediaPlaylist(AVC);
    const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(text)![1]!;
    const before = proxy.segmentCacheStats().entries;
    const first = await get(new URL(hint, variant).href);
    expect(first.status).toBe(200);
    expect(first.body.subarray(4, 8).toString('latin1')).toBe('moof');
    expect(proxy.segmentCacheStats().entries).toBeGreaterThan(before);
    // Another viewer (another token, another engine session) gets the same bytes from the cache.
    const other = await mediaPlaylist(AVC);
    const name = new URL(hint, variant).pathname.split('/').pop()!;
    const entries = proxy.segmentCacheStats().entries;
    const second = await get(new URL(`${name}?media_token=${new URL(other.variant).searchParams.get('media_token')}`, other.variant).href);
    expect(second.status).toBe(200);
    expect(second.body.equals(first.body)).toBe(true);
    expect(proxy.segmentCacheStats().entries).toBe(entries);
  });

  it('hls.js in Chromium plays the H.264 camera through the proxy (currentTime advances)', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${base}/player`);
      const playlist = url(AVC, 'index.m3u8');
      const firstFrameMs = await page.evaluate(
        (src) =>
          new Promise<number>((resolve, reject) => {
            const g = globalThis as unknown as {
              Hls: new (c: object) => { loadSource(s: string): void; attachMedia(m: unknown): void; on(e: string, f: (e: string, d: { fatal: boolean; details: string }) => void): void };
              document: { getElementById(id: string): { requestVideoFrameCallback(f: () => void): void } };
            };
            const video = g.document.getElementById('v');
            const t0 = performance.now();
            const hls = new g.Hls({ lowLatencyMode: true });
            hls.on('hlsError', (_e, d) => d.fatal && reject(new Error(d.details)));
            video.requestVideoFrameCallback(() => resolve(performance.now() - t0));
            hls.loadSource(src);
            hls.attachMedia(video);
          }),
        playlist,
      );
      const read = () => page.$eval('#v', (v) => (v as unknown as { currentTime: number }).currentTime);
      const a = await read();
      await waitFor('currentTime advances by 1 s', async () => (await read()) > a + 1);
      console.log(JSON.stringify({ hls_first_frame_ms: Math.round(firstFrameMs), engine: engineTarget('mediamtx') }));
    } finally {
      await browser.close();
    }
  });
});
