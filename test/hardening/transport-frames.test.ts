/**
 * The transport frame check (scripts/check_stream_transport_frames.mjs) run as users run it, with
 * plain `node`, against the real server on 127.0.0.1 with the demo stream, the MediaMTX double
 * (HLS made by real FFmpeg) and the go2rtc double (MSE fMP4 made by real FFmpeg). It must see frames
 * on every transport the plan offers, report blocked ones as blocked, and fail, naming the transport,
 * when one the plan offers delivers nothing. Under `npm run soak` the matrix runs for many rounds.
 */
import { execa } from 'execa';
import { copyFile, mkdir, readFile, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_TRANSMISSION_ID } from '../../src/demo/pipeline.js';
import { call, startAddonServer, type AddonServer } from '../addon/harness.js';
import { DOUBLE_BIN as GO2RTC_DOUBLE } from '../doubles/go2rtc/release.js';
import { MEDIAMTX_DOUBLE, startLiveServer, type LiveServer } from '../runtime/server-harness.js';
import { waitFor } from '../support/wait.js';
import { scale, suiteTimeout } from './scale.js';
import { makeDataDir, removeDataDir } from '../support/data-dir.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(ROOT, 'scripts/check_stream_transport_frames.mjs');
const DEMO_PATH = 'pipe/demo/video';

interface Check {
  transmission_id: string;
  transport: string;
  status: 'played' | 'blocked' | 'skipped' | 'failed';
  available: boolean;
  frames: number;
  decoded: number | null;
  first_frame_ms: number | null;
  reason: string | null;
}

describe('node scripts/check_stream_transport_frames.mjs', () => {
  let server: LiveServer;
  let doubleApi: string;

  const check = (args: string[], env: Record<string, string> = {}) => execa('node', [SCRIPT, '--base-url', server.base, ...args], { reject: false, env, timeout: 180_000 });
  const parse = (stdout: string) =>
    stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Check & { summary?: true; exit_code?: number });
  const byTransport = (lines: Check[]) => Object.fromEntries(lines.filter((l) => l.transport).map((l) => [l.transport, l]));
  const hlsSource = (method: 'POST' | 'DELETE') =>
    fetch(`${doubleApi}/_double/paths/${DEMO_PATH}/hls`, {
      method,
      ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ source: 'testsrc', size: '640x360', fps: 10 }) } : {}),
    });

  beforeAll(async () => {
    server = await startLiveServer({ mediamtxPath: MEDIAMTX_DOUBLE, go2rtcPath: GO2RTC_DOUBLE, demo: true }, { mse: { enabled: true } });
    expect((await server.streaming.sidecar.start()).state).toBe('running');
    doubleApi = `http://127.0.0.1:${server.streaming.store.get().streaming.engine.api_port}`;
    expect((await hlsSource('POST')).status).toBeLessThan(300);
    // go2rtc follows the plan's streams (and the engine's RTSP port) within a tick; the check plays MSE at once.
    const { sidecar } = server.streaming;
    await waitFor("go2rtc has the plan's streams", () => sidecar.status().streams.configured > 0 && !sidecar.status().streams.restart_pending);
  });
  afterAll(() => server?.close());

  it(
    'plays the demo over jsmpeg, hls and mse, reports webrtc as the plan says, and exits 0',
    async () => {
      const ptzPlan = (await server.request('GET', `/api/streams/transmissions/${DEMO_TRANSMISSION_ID}/playback-plan?client=web&context=ptz`)).json;
      const webrtcInPlan = ptzPlan.transports.find((t: { transport: string }) => t.transport === 'webrtc');
      // One round in CI; under `npm run soak` the whole matrix a hundred times (sessions opened and closed on every transport).
      for (let round = 0, rounds = scale(1, 100); round < rounds; round++) {
        const res = await check(['--matrix', '--transports', 'hls,webrtc,mse,jsmpeg', '--json']);
        expect(res.exitCode, `round ${round}: ${res.stdout}\n${res.stderr}`).toBe(0);
        const lines = parse(res.stdout);
        const got = byTransport(lines);
        for (const t of ['jsmpeg', 'hls', 'mse']) {
          expect(got[t], t).toMatchObject({ transmission_id: DEMO_TRANSMISSION_ID, status: 'played', available: true, reason: null });
          expect(got[t]!.frames, t).toBeGreaterThan(0);
          // ffprobe is installed here: what arrived must also decode.
          expect(got[t]!.decoded, t).toBeGreaterThan(0);
          expect(got[t]!.first_frame_ms, t).toBeGreaterThanOrEqual(0);
        }
        if (webrtcInPlan.available) expect(got.webrtc).toMatchObject({ status: 'played' });
        else expect(got.webrtc).toMatchObject({ status: 'blocked', available: false, reason: webrtcInPlan.blocked_reason });
        expect(lines.at(-1)).toMatchObject({ summary: true, streams: 1, checks: 4, failed: 0, exit_code: 0 });
      }
    },
    suiteTimeout(120_000, 7_200_000),
  );

  it('prints one readable line per check and a summary', async () => {
    const res = await check(['--transports', 'jsmpeg']);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^demo \\[${DEMO_TRANSMISSION_ID}\\] jsmpeg played +\\d+ frames \\(\\d+ decoded\\), first frame \\d+ ms$`, 'm'));
    expect(res.stdout).toMatch(/^1 stream\(s\), 1 checks: 1 played, 0 blocked by the plan, 0 skipped, 0 failed$/m);
  });

  it('fails, naming the transports, when the plan offers HLS and MSE but they deliver nothing', async () => {
    // The engine still runs (the plan offers HLS) but its path has no media; go2rtc still "runs" (the plan offers MSE) but hangs.
    const go2rtcPid = (await server.streaming.sidecar.inspect()).pid;
    expect(go2rtcPid).toBeTypeOf('number');
    expect((await hlsSource('DELETE')).status).toBeLessThan(300);
    process.kill(go2rtcPid!, 'SIGSTOP');
    try {
      const json = await check(['--transports', 'hls,mse,jsmpeg', '--timeout-ms', '4000', '--json']);
      expect(json.exitCode, json.stdout).toBe(1);
      const got = byTransport(parse(json.stdout));
      expect(got.hls).toMatchObject({ status: 'failed', available: true, frames: 0 });
      // As MediaMTX does, the engine holds the playlist request while the path's runOnDemand hook asks for a publisher (none publishes here).
      expect(got.hls!.reason).toBe('no answer within 4000 ms');
      expect(got.mse).toMatchObject({ status: 'failed', available: true, frames: 0 });
      expect(got.mse!.reason).toEqual(expect.any(String));
      expect(got.jsmpeg).toMatchObject({ status: 'played' });

      const text = await check(['--transports', 'hls,mse', '--timeout-ms', '3000']);
      expect(text.exitCode).toBe(1);
      expect(text.stdout).toMatch(/^FAILED demo hls: .+/m);
      expect(text.stdout).toMatch(/^FAILED demo mse: .+/m);
    } finally {
      process.kill(go2rtcPid!, 'SIGCONT');
      await hlsSource('POST');
    }
  }, 120_000);

  it('runs WebRTC in Chromium when the plan offers it, fails when the engine answers no WHEP offer, and says when no browser exists', async () => {
    // A manual transmission with a WebRTC output: the plan offers WebRTC in the PTZ context. The
    // MediaMTX double has no WebRTC plane, so the offer the page makes cannot be answered.
    const created = await server.request('POST', '/api/streams/transmissions', { name: 'rtc', outputs: [{ engine_path: 'manual/rtc', enable_webrtc: true }] });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    try {
      const res = await check(['--transmission', id, '--transports', 'webrtc', '--timeout-ms', '5000', '--json']);
      expect(res.exitCode, res.stdout).toBe(1);
      expect(byTransport(parse(res.stdout)).webrtc).toMatchObject({ transmission_id: id, status: 'failed', available: true, frames: 0, reason: expect.stringMatching(/^offer answered 5\d\d /) });

      // Without a browser the same check cannot be made: reported as skipped, not as a failure.
      const noBrowser = await check(['--transmission', id, '--transports', 'webrtc', '--json'], { CHROMIUM_PATH: '/nonexistent/chromium' });
      expect(noBrowser.exitCode, noBrowser.stdout).toBe(0);
      expect(byTransport(parse(noBrowser.stdout)).webrtc).toMatchObject({ status: 'skipped', available: true, reason: expect.stringMatching(/^browser not available/) });

      // Laid out as in the add-on image: /app/scripts/ beside a node_modules of production dependencies only (no playwright-core).
      const app = await makeDataDir('toposync-image');
      try {
        await mkdir(join(app, 'scripts'));
        await mkdir(join(app, 'node_modules'));
        await copyFile(SCRIPT, join(app, 'scripts/check_stream_transport_frames.mjs'));
        const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
        for (const dep of Object.keys(pkg.dependencies)) {
          await mkdir(dirname(join(app, 'node_modules', dep)), { recursive: true });
          await symlink(join(ROOT, 'node_modules', dep), join(app, 'node_modules', dep));
        }
        const image = await execa('node', [join(app, 'scripts/check_stream_transport_frames.mjs'), '--base-url', server.base, '--transmission', id, '--transports', 'webrtc', '--json'], {
          reject: false,
        });
        expect(image.exitCode, image.stdout + image.stderr).toBe(0);
        expect(byTransport(parse(image.stdout)).webrtc).toMatchObject({ status: 'skipped', reason: 'browser not available: playwright-core is not installed' });
      } finally {
        await removeDataDir(app);
      }
    } finally {
      await server.request('DELETE', `/api/streams/transmissions/${id}`);
    }
  }, 120_000);

  it('refuses bad arguments with exit code 2 and says why', async () => {
    const res = await check(['--transports', 'hls,smoke-signals']);
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toMatch(/^--transports: unknown transport smoke-signals/);
  });
});

describe('the check inside the add-on: the direct port with the API token', () => {
  let addon: AddonServer;
  beforeAll(async () => {
    addon = await startAddonServer({ mode: 'addon', fallbackHostname: '127.0.0.1' });
  });
  afterAll(() => addon?.close());

  it('plays JSMpeg with the token from the environment, names what the plan blocks, and stops at a 401 without it', async () => {
    // No engine in this harness: a writer-fed transmission plays its placeholder through JSMpeg, the rest is blocked.
    const created = await call(addon.direct, 'POST', '/api/streams/transmissions', { token: addon.apiToken(), body: { name: 'yard', outputs: [{ engine_path: 'manual/yard' }] } });
    expect(created.status).toBe(201);
    const args = [SCRIPT, '--base-url', addon.direct, '--transmission', created.json.id, '--transports', 'jsmpeg,hls,mse', '--json'];
    const res = await execa('node', args, { reject: false, env: { TOPOSYNC_STREAMING_API_TOKEN: addon.apiToken() }, timeout: 60_000 });
    expect(res.exitCode, res.stdout + res.stderr).toBe(0);
    const got = Object.fromEntries(
      res.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Check)
        .map((l) => [l.transport, l]),
    );
    expect(got.jsmpeg).toMatchObject({ status: 'played', available: true });
    expect(got.jsmpeg!.decoded).toBeGreaterThan(0);
    expect(got.hls).toMatchObject({ status: 'blocked', reason: expect.stringMatching(/^engine_/) });
    expect(got.mse).toMatchObject({ status: 'blocked', reason: expect.stringMatching(/^(engine|sidecar)_/) });

    const refused = await execa('node', args, { reject: false, timeout: 60_000 });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/^cannot list the streams at .*: GET api\/streams\/live-views: 401 /);
  });
});

describe('frame counting, against FFmpeg-made media and ffprobe', () => {
  interface Counter {
    push(b: Buffer): void;
    end(): void;
    frames: number;
    completeBytes: number;
    fragments?: number;
  }
  let lib: {
    createTsFrameCounter(onFrames?: (n: number) => void): Counter;
    createMp4FrameCounter(onFrames?: (n: number) => void): Counter;
    decodeCount(bytes: Buffer): Promise<{ decoded: number; error: string | null } | null>;
  };
  let dir: string;
  beforeAll(async () => {
    lib = await import(pathToFileURL(SCRIPT).href);
    dir = await makeDataDir('toposync-frames');
  });
  afterAll(() => removeDataDir(dir));

  /** 25 frames of H.264 with a silent audio track beside it (audio must not be counted). */
  const encode = async (name: string, format: string[]) => {
    const file = join(dir, name);
    await execa('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240:rate=25',
      '-f',
      'lavfi',
      '-i',
      'anullsrc',
      '-frames:v',
      '25',
      '-shortest',
      '-c:v',
      'libx264',
      '-g',
      '10',
      '-c:a',
      'aac',
      ...format,
      file,
    ]);
    return readFile(file);
  };
  const feed = (counter: Counter, bytes: Buffer, chunk: number) => {
    for (let i = 0; i < bytes.length; i += chunk) counter.push(bytes.subarray(i, i + chunk));
  };

  it('MPEG-TS: one frame per video PES, the last counted at the end, fed in any chunking', async () => {
    const ts = await encode('a.ts', ['-f', 'mpegts']);
    for (const chunk of [1, 187, 1000, ts.length]) {
      const seen: number[] = [];
      const c = lib.createTsFrameCounter((n) => seen.push(n));
      feed(c, ts, chunk);
      expect(c.frames, `chunk ${chunk}`).toBe(24);
      c.end();
      expect(c.frames).toBe(25);
      expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    }
    expect(await lib.decodeCount(ts)).toMatchObject({ decoded: 25 });
  });

  it('fragmented MP4: video samples once their mdat arrived, fragments counted, audio left out', async () => {
    const mp4 = await encode('a.mp4', ['-f', 'mp4', '-movflags', 'empty_moov+default_base_moof+frag_keyframe']);
    for (const chunk of [7, 4096, mp4.length]) {
      const c = lib.createMp4FrameCounter();
      feed(c, mp4, chunk);
      expect(c.frames, `chunk ${chunk}`).toBe(25);
      expect(c.fragments).toBeGreaterThanOrEqual(3);
    }
    expect(await lib.decodeCount(mp4)).toMatchObject({ decoded: 25 });
  });

  it('garbage counts no frame, and what does not decode is told apart from what arrived', async () => {
    const junk = Buffer.alloc(188 * 50, 0x47);
    const c = lib.createTsFrameCounter();
    c.push(junk);
    c.end();
    expect(c.frames).toBe(0);
    expect(await lib.decodeCount(Buffer.from('not a video at all'))).toMatchObject({ decoded: 0, error: expect.stringMatching(/^ffprobe: /) });
  });
});

describe('WebRTC frames in Chromium', () => {
  interface Lib {
    launchBrowser(): Promise<{ browser: Browser | null; reason: string | null }>;
    webrtcFrames(
      browser: Browser,
      sendOffer: (sdp: string) => Promise<{ ok: boolean; status: number; text: string }>,
      opts: { frames: number; timeoutMs: number },
    ): Promise<{ frames: number; firstFrameMs: number | null; error: string | null }>;
  }
  let lib: Lib;
  let browser: Browser;
  beforeAll(async () => {
    lib = await import(pathToFileURL(SCRIPT).href);
    const launched = await lib.launchBrowser();
    expect(launched.reason).toBeNull();
    browser = launched.browser!;
  });
  afterAll(() => browser?.close());

  it('counts the frames a sending peer delivers, and reports a refused offer', async () => {
    // The answering side is a second page sending an animated canvas: what a WHEP server does with a camera.
    const sender = await (await browser.newContext()).newPage();
    const sendOffer = async (offer: string) => {
      const text = await sender.evaluate(async (sdp) => {
        // Runs in the page; the root tsconfig has no DOM types.
        const w = globalThis as any;
        const canvas = w.document.createElement('canvas');
        canvas.width = 320;
        canvas.height = 240;
        const g = canvas.getContext('2d');
        let n = 0;
        setInterval(() => {
          g.fillStyle = `hsl(${(n++ * 20) % 360} 80% 50%)`;
          g.fillRect(0, 0, 320, 240);
        }, 40);
        const pc = new w.RTCPeerConnection({ iceServers: [] });
        await pc.setRemoteDescription({ type: 'offer', sdp });
        const video = pc.getTransceivers().find((t: any) => t.receiver.track.kind === 'video');
        await video.sender.replaceTrack(canvas.captureStream(25).getVideoTracks()[0]);
        video.direction = 'sendonly';
        await pc.setLocalDescription(await pc.createAnswer());
        await new Promise<void>((resolve) => {
          if (pc.iceGatheringState === 'complete') return resolve();
          pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
        });
        return pc.localDescription.sdp as string;
      }, offer);
      return { ok: true, status: 201, text };
    };
    const played = await lib.webrtcFrames(browser, sendOffer, { frames: 10, timeoutMs: 20_000 });
    expect(played.error).toBeNull();
    expect(played.frames).toBeGreaterThanOrEqual(10);
    expect(played.firstFrameMs).toBeGreaterThan(0);

    const refused = await lib.webrtcFrames(browser, async () => ({ ok: false, status: 502, text: '{"error":{"message":"the media engine could not be reached for WebRTC"}}' }), {
      frames: 10,
      timeoutMs: 5_000,
    });
    expect(refused).toMatchObject({ frames: 0, error: 'offer answered 502 the media engine could not be reached for WebRTC' });
  }, 60_000);
});
