/**
 * Time to first frame through the server vs straight to the engine, against the real MediaMTX and
 * go2rtc (issue 11, point 6), in the same run, from a warm camera (a GStreamer RTSP camera that the
 * engine already reads: an FFmpeg reader holds the restream for the whole run):
 * - HLS: hls.js in Chromium on the plan's URL through the ingress stand-in vs MediaMTX's own HLS, and again
 *   on our own port without the stand-in (what our server adds, without Home Assistant's proxy hop);
 * - MSE: go2rtc's MSE protocol in Chromium through the relay vs go2rtc's own `/api/ws?src=`;
 * - WebRTC: Chromium's RTCPeerConnection through the offer relay vs MediaMTX's own WHEP;
 * - JSMpeg: from opening the fallback's WebSocket vs from starting bare FFmpeg with the same encoder
 *   arguments on the engine's RTSP path, to the first frame out of the same decoder (as bench/ttff.ts).
 * Both sides use the same player code (bench/lib/page-players.ts)
 * and alternate run by run, after one warm-up run each. Goals: ours within 1.1x of the engine's own
 * (median over BENCH_RUNS runs, default 7), HLS first frame under 1.5 s.
 * Then bench/proxy.ts runs against the same real engines (throughput and added p99 at 50 viewers).
 * Without TOPOSYNC_STREAMING_MEDIAMTX_PATH and TOPOSYNC_STREAMING_GO2RTC_PATH naming binaries it
 * prints one JSON line saying it was skipped and why. BENCH_TRANSPORTS=hls,mse picks transports. Run `npm run build` first (bench/proxy.ts).
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import WebSocket from 'ws';
import { jsmpegArgs } from '../src/playback/jsmpeg/args.js';
import { go2rtcStreamName } from '../src/sidecar/config.js';
import { rigAround } from '../test/browser/rig.js';
import { spawnMedia } from '../test/media/proc.js';
import { startRtspCamera } from '../test/media/rtsp-camera.js';
import { ffmpegChildren, startLiveServer } from '../test/runtime/server-harness.js';
import { firstFrameDecoder, median } from './lib/first-frame.js';
import { blankPageAt, hlsFirstFrameMs, mseFirstFrameMs, webrtcFirstFrameMs } from './lib/page-players.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const TIMEOUT_MS = 30_000;
const GOAL_RATIO = 1.1;
const GOAL_HLS_MS = 1500;
/** README ("Demand"): no FFmpeg and no camera connection within demand.debounce_s + 30 s of the last viewer. */
const IDLE_BOUND_MS = 30_000;
const mediamtx = process.env.TOPOSYNC_STREAMING_MEDIAMTX_PATH;
const go2rtc = process.env.TOPOSYNC_STREAMING_GO2RTC_PATH;
const missing = [
  !mediamtx && 'TOPOSYNC_STREAMING_MEDIAMTX_PATH is not set',
  !go2rtc && 'TOPOSYNC_STREAMING_GO2RTC_PATH is not set',
  mediamtx && !existsSync(mediamtx) && `no file at ${mediamtx}`,
  go2rtc && !existsSync(go2rtc) && `no file at ${go2rtc}`,
].filter(Boolean);
if (missing.length > 0) {
  console.log(JSON.stringify({ bench: 'real-engines', skipped: true, reason: `needs the real engine binaries: ${missing.join('; ')}` }));
  process.exit(0);
}

const version = async (bin: string, args: string[]) => (await execa(bin, args, { reject: false })).stdout.trim().split('\n')[0];
const versions = { mediamtx: await version(mediamtx!, ['--version']), go2rtc: await version(go2rtc!, ['-version']) };

const camera = await startRtspCamera({ codec: 'h264', width: 1280, height: 720, fps: 15 });
const server = await startLiveServer({ mediamtxPath: mediamtx, go2rtcPath: go2rtc }, { mse: { enabled: true } });
const rig = await rigAround(server, server.base);
try {
  await server.streaming.sidecar.start();
  const cam = (await server.request('POST', '/api/cameras', { name: 'Bench', sources: [{ url: camera.url, publish: true }] })).json;
  await server.request('PUT', `/api/streams/publications/camera-sources/${cam.id}/${cam.sources[0].id}`, { transport_policy: { enable_webrtc: true } });
  const view = (await server.request('GET', '/api/streams/live-views')).json.find((v: { camera_id?: string }) => v.camera_id === cam.id);
  const tx = view.variants[0].transmission_id as string;
  const path = (await server.request('GET', `/api/streams/transmissions/${tx}`)).json.outputs[0].engine_path as string;
  const engine = server.streaming.engine.status();
  const rtsp = `rtsp://127.0.0.1:${server.streaming.engine.rtspPort()}/${path}`;
  // The warm camera: the engine keeps reading it while this reader holds the path.
  const warm = spawnMedia('warm-reader', 'ffmpeg', ['-v', 'error', '-rtsp_transport', 'tcp', '-i', rtsp, '-c', 'copy', '-f', 'null', '-']);
  await new Promise((r) => setTimeout(r, 3000));
  if (warm.hasExited()) throw new Error(`the engine does not serve the camera: ${warm.stderrTail()}`);

  const ingress = new URL(rig.ingress.url);
  /** The plan's URL for a transport, through the ingress stand-in unless another base is given (fresh each run: tokens expire). */
  const planUrl = async (transport: string, client: string, context: string, base: URL = ingress) => {
    const res = await fetch(new URL(`api/streams/transmissions/${tx}/playback-plan?client=${client}&context=${context}`, base));
    const plan = (await res.json()) as { transports: { transport: string; url?: string; available: boolean; blocked_reason: string | null }[] };
    const t = plan.transports.find((x) => x.transport === transport);
    if (!t?.available || !t.url) throw new Error(`${transport} not offered by the plan: ${t?.blocked_reason}`);
    return new URL(t.url, base);
  };
  const direct = new URL(server.base.endsWith('/') ? server.base : `${server.base}/`);
  const inPage = async (origin: string, run: (page: import('playwright-core').Page) => Promise<number>, document?: string) => {
    const { context, page } = await blankPageAt(rig.browser, origin, document);
    try {
      return await run(page);
    } finally {
      await context.close();
    }
  };
  const whep = (url: string) => async (sdp: string) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: sdp });
    return { ok: res.ok, status: res.status, text: await res.text() };
  };
  const webrtc = (url: string) => inPage(ingress.origin, (p) => webrtcFirstFrameMs(p, whep(url), TIMEOUT_MS));
  const jsmpegOut = jsmpegArgs({ width: 640, height: 360, fps: 10 });
  const decodeFrom = async (start: (dec: ReturnType<typeof firstFrameDecoder>) => () => void) => {
    const dec = firstFrameDecoder();
    const t0 = performance.now();
    const stop = start(dec);
    const t = (await Promise.race([dec.firstFrame, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('no frame')), TIMEOUT_MS))])) - t0;
    stop();
    await dec.stop();
    return t;
  };

  const hlsPort = engine.ports.hls.actual;
  const webrtcPort = engine.ports.webrtc.actual;
  const go2rtcApi = server.streaming.sidecar.status().api_url!;
  const sides: Record<string, { ours: () => Promise<number>; engine: () => Promise<number>; engineSide: string }> = {
    hls: {
      engineSide: "MediaMTX's own HLS",
      ours: async () => inPage(ingress.origin, async (p) => hlsFirstFrameMs(p, (await planUrl('hls', 'app', 'large')).toString(), TIMEOUT_MS)),
      engine: () => inPage(`http://127.0.0.1:${hlsPort}`, (p) => hlsFirstFrameMs(p, `http://127.0.0.1:${hlsPort}/${path}/index.m3u8`, TIMEOUT_MS)),
    },
    // The same, without Home Assistant's ingress hop (the stand-in is a second proxy in front of ours):
    // what our server itself adds to MediaMTX's HLS.
    hls_without_ingress: {
      engineSide: "MediaMTX's own HLS",
      ours: async () => inPage(direct.origin, async (p) => hlsFirstFrameMs(p, (await planUrl('hls', 'app', 'large', direct)).toString(), TIMEOUT_MS)),
      engine: () => inPage(`http://127.0.0.1:${hlsPort}`, (p) => hlsFirstFrameMs(p, `http://127.0.0.1:${hlsPort}/${path}/index.m3u8`, TIMEOUT_MS)),
    },
    mse: {
      engineSide: "go2rtc's own /api/ws",
      // Documents from the origins themselves (JSON answers), so that Chromium lets the page open a WebSocket to loopback.
      ours: async () =>
        inPage(
          ingress.origin,
          async (p) => mseFirstFrameMs(p, (await planUrl('mse', 'web', 'grid')).toString().replace(/^http/, 'ws'), TIMEOUT_MS),
          new URL('api/streams/settings', ingress).toString(),
        ),
      engine: () => inPage(go2rtcApi, (p) => mseFirstFrameMs(p, `${go2rtcApi.replace(/^http/, 'ws')}/api/ws?src=${go2rtcStreamName(path)}`, TIMEOUT_MS), `${go2rtcApi}/api`),
    },
    webrtc: {
      engineSide: "MediaMTX's own WHEP",
      ours: async () => webrtc((await planUrl('webrtc', 'web', 'ptz')).toString()),
      engine: () => webrtc(`http://127.0.0.1:${webrtcPort}/${path}/whep`),
    },
    jsmpeg: {
      engineSide: "bare FFmpeg with the same encoder arguments on the engine's RTSP path",
      ours: async () => {
        const url = (await planUrl('jsmpeg', 'web', 'grid')).toString().replace(/^http/, 'ws');
        return decodeFrom((dec) => {
          const ws = new WebSocket(url);
          ws.on('message', (b: Buffer) => dec.write(b));
          return () => ws.close();
        });
      },
      engine: () =>
        decodeFrom((dec) => {
          const input = jsmpegOut.indexOf('-an');
          const enc = execa('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-probesize', '32', '-analyzeduration', '0', '-rtsp_transport', 'tcp', '-i', rtsp, ...jsmpegOut.slice(input)], {
            stdout: 'pipe',
            reject: false,
            buffer: false,
          });
          enc.stdout.on('data', (b: Buffer) => dec.write(b));
          return () => enc.kill('SIGKILL');
        }),
    },
  };

  const only = process.env.BENCH_TRANSPORTS?.split(',');
  for (const [transport, side] of Object.entries(sides).filter(([t]) => !only || only.includes(t))) {
    const ours: number[] = [];
    const theirs: number[] = [];
    const errors: string[] = [];
    const attempt = async (f: () => Promise<number>, into: number[] | null) => {
      try {
        const t = await f();
        into?.push(Math.round(t));
      } catch (e) {
        errors.push((e as Error).message.split('\n')[0]!);
      }
    };
    await attempt(side.ours, null); // warm-up: muxers, sessions, JIT
    await attempt(side.engine, null);
    for (let i = 0; i < RUNS; i++) {
      // Alternate which side goes first, so a drift in background load favours neither.
      if (i % 2 === 0) await attempt(side.ours, ours).then(() => attempt(side.engine, theirs));
      else await attempt(side.engine, theirs).then(() => attempt(side.ours, ours));
      await new Promise((r) => setTimeout(r, 300));
    }
    const o = ours.length ? median(ours) : null;
    const t = theirs.length ? median(theirs) : null;
    console.log(
      JSON.stringify({
        bench: 'real-engines-ttff',
        transport,
        engine_side: side.engineSide,
        versions,
        runs: RUNS,
        ours_ms_median: o,
        engine_ms_median: t,
        ratio: o !== null && t !== null && t > 0 ? +(o / t).toFixed(2) : null,
        ours_ms: ours,
        engine_ms: theirs,
        errors,
        goal_ratio: GOAL_RATIO,
        ...(transport.startsWith('hls') ? { goal_first_frame_ms: GOAL_HLS_MS } : {}),
      }),
    );
  }
  // The idle timeline: from the last viewer leaving (the warm reader; every page is closed) to the
  // camera connection closing and the last FFmpeg exiting, with the default demand settings.
  await warm.stop();
  const left = performance.now();
  let cameraMs: number | null = null;
  let ffmpegMs: number | null = null;
  while ((cameraMs === null || ffmpegMs === null) && performance.now() - left < 300_000) {
    const t = Math.round(performance.now() - left);
    if (cameraMs === null && camera.activeConnections() === 0) cameraMs = t;
    if (ffmpegMs === null && ffmpegChildren() === 0) ffmpegMs = t;
    await new Promise((r) => setTimeout(r, 50));
  }
  const debounceS = server.streaming.store.get().streaming.demand.debounce_s;
  console.log(
    JSON.stringify({ bench: 'real-engines-idle', versions, debounce_s: debounceS, camera_disconnected_ms: cameraMs, last_ffmpeg_exit_ms: ffmpegMs, goal_within_ms: debounceS * 1000 + IDLE_BOUND_MS }),
  );
} finally {
  await rig.close();
  await camera.stop();
}

// Throughput and added p99 at 50 viewers against the same real engines: bench/proxy.ts targets them through the env vars.
const proxy = await execa('tsx', [new URL('./proxy.ts', import.meta.url).pathname], { preferLocal: true, stdout: 'inherit', stderr: 'inherit', reject: false });
process.exitCode = proxy.exitCode ?? 1;
