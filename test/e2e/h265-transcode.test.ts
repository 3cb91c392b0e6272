/**
 * Issue 13, "Show" points 2 and 3: an H.265 camera (GStreamer, with Opus sound) added through the API
 * is probed, gets an H.264 output made on request, and plays in Debian's Chromium (which decodes no
 * H.265) over HLS and over MSE through that transcode; the transcode runs only while somebody watches
 * and stops after the demand debounce once the page is closed. A browser that reports H.265 gets the
 * camera's copy instead. Figures (time to first frame through the transcode, how long the publisher
 * lingered after the page closed) are printed as one JSON line per transport (`h265-transcode`).
 *
 * Engines: test/engines.ts (the real binaries when TOPOSYNC_STREAMING_MEDIAMTX_PATH / _GO2RTC_PATH
 * name them, else the doubles). What the doubles do not do, and how this file stands in for it:
 * - the MediaMTX double serves no RTSP: the probe reads the camera itself (the engine is started after
 *   it), the transcode's FFmpeg has nothing to read, and the camera is never pulled, so its
 *   connection counts are asserted against the real engine only;
 * - the MediaMTX double has no RTSP ingest, so no H.264 HLS comes out of the transcode: once our
 *   publisher runs (started through the double's runOnDemand, as real MediaMTX starts it for an HLS
 *   reader), the test gives the double an FFmpeg-made H.264 source on the output's path, and takes it
 *   away when the publisher stops;
 * - the go2rtc double makes its own H.264 for any RTSP source: MSE plays its picture, not the camera's,
 *   and it never reads the engine, so there the transcode outlives the page by the debounce alone
 *   (real go2rtc's RTSP read holds it runOnDemandCloseAfter longer).
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rigAround, type Rig } from '../browser/rig.js';
import { ENGINE_BINS, engineTarget, REAL_ENGINES } from '../engines.js';
import { stopAllMediaProcesses } from '../media/proc.js';
import { startRtspCamera, type RtspCamera } from '../media/rtsp-camera.js';
import { ffmpegChildren, startLiveServer, type LiveServer } from '../runtime/server-harness.js';
import { waitFor } from '../support/wait.js';

/** Polls that wait for media: generous, a busy two-core machine runs this. */
const MEDIA_WAIT_MS = 90_000;
/** Small, so the test sees the transcode stop; set through the settings API as a user would. */
const DEBOUNCE_S = 2;
/** What Chromium would be asked for an H.265 track (Main profile, level 3.1). */
const HEVC_TYPE = 'video/mp4; codecs="hvc1.1.6.L93.B0"';

interface Candidate {
  transport: string;
  available: boolean;
  output_id: string | null;
  video_codec: string | null;
  audio_codec: string | null;
  blocked_reason: string | null;
}
interface Plan {
  transports: Candidate[];
  media_warnings: string[];
}
interface OutputRuntime {
  transmission_id: string;
  output_id: string;
  path: string;
  wanted: boolean;
  publisher: 'running' | 'stopped' | 'not_needed';
}

describe(`an H.265 camera plays in Chromium through its H.264 transcode, only while watched (${engineTarget('mediamtx')}, ${engineTarget('go2rtc')})`, () => {
  let camera: RtspCamera;
  let server: LiveServer;
  let rig: Rig;
  let cameraId: string;
  let tx: string;
  let copyPath: string;
  let h264Path: string;
  const contexts: BrowserContext[] = [];

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await server.request(method, path, body);
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json;
  };
  const output = async (id: string): Promise<OutputRuntime> => {
    const all = (await api('GET', '/api/streams/runtime/outputs')) as OutputRuntime[];
    const o = all.find((x) => x.transmission_id === tx && x.output_id === id);
    if (!o) throw new Error(`no runtime output ${tx}/${id} in ${JSON.stringify(all)}`);
    return o;
  };
  const plan = (decodes: string): Promise<Plan> => api('GET', `/api/streams/transmissions/${tx}/playback-plan?client=web&context=grid&decodes=${decodes}`);
  const pick = (p: Plan, transport: string) => p.transports.find((t) => t.transport === transport)!;
  const tile = () => `[data-player][data-transmission-id="${tx}"]`;

  /** The shown video of the camera's tile, or null before there is one. */
  const shown = (page: Page) =>
    page
      .$eval(`${tile()} video[data-visible="true"]`, (v) => {
        const video = v as unknown as { currentTime: number; videoWidth: number; getVideoPlaybackQuality(): { totalVideoFrames: number } };
        return { time: video.currentTime, width: video.videoWidth, frames: video.getVideoPlaybackQuality().totalVideoFrames };
      })
      .catch(() => null);

  beforeAll(async () => {
    camera = await startRtspCamera({ codec: 'h265', audio: 'opus', width: 640, height: 360, fps: 15 });
    // The MediaMTX double serves no RTSP, so a probe through it would find nothing: it starts after the probe.
    server = await startLiveServer({ mediamtxPath: ENGINE_BINS.mediamtx, go2rtcPath: ENGINE_BINS.go2rtc, probe: { auto: true }, autoStartEngine: REAL_ENGINES.mediamtx }, { mse: { enabled: true } });
    await api('PATCH', '/api/streams/settings', { demand: { debounce_s: DEBOUNCE_S } });
    expect((await server.streaming.sidecar.start()).state).toBe('running');
    rig = await rigAround(server, server.base);
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await rig?.close();
    await camera?.stop();
    await stopAllMediaProcesses();
  });

  it('added through the API, the source is probed as H.265 with Opus and its transmission gains an H.264 output; nothing runs and the camera is not connected before anyone watches', async () => {
    const cam = await api('POST', '/api/cameras', { name: 'Driveway', sources: [{ url: camera.url, publish: true }] });
    cameraId = cam.id as string;
    const probe = await waitFor('the background probe stored its facts', async () => (await api('GET', `/api/cameras/${cameraId}`)).sources[0].probe, MEDIA_WAIT_MS, { intervalMs: 200 });
    expect(probe).toMatchObject({ via: REAL_ENGINES.mediamtx ? 'engine' : 'camera', error: null, video: { codec: 'h265', width: 640, height: 360 }, audio: { codec: 'opus' } });
    if (!REAL_ENGINES.mediamtx) expect((await server.streaming.engine.start()).state).toBe('running');

    const view = ((await api('GET', '/api/streams/live-views')) as { camera_id?: string; variants: { transmission_id: string }[] }[]).find((v) => v.camera_id === cameraId)!;
    tx = view.variants[0]!.transmission_id;
    const outputs = await waitFor(
      'the H.264 output',
      async () => {
        const o = (await api('GET', `/api/streams/transmissions/${tx}`)).outputs as { id: string; codec: string; engine_path: string }[];
        return o.some((x) => x.id === 'h264') && o;
      },
      30_000,
      { intervalMs: 200 },
    );
    const copy = outputs.find((o) => o.id === 'default')!;
    expect(copy.codec).toBe('copy');
    copyPath = copy.engine_path;
    h264Path = outputs.find((o) => o.id === 'h264')!.engine_path;
    expect(h264Path).toBe(`${copyPath}/h264`);

    await server.streaming.runtime.tick();
    expect(await output('h264')).toMatchObject({ path: h264Path, wanted: false, publisher: 'stopped' });
    expect((await output('default')).publisher).toBe('not_needed');
    expect(ffmpegChildren()).toBe(0);
    // The probe's read through the engine pulled the camera; the engine lets it go once nobody reads.
    await waitFor('no connection to the camera', () => camera.activeConnections() === 0, 60_000, { intervalMs: 100 });
  }, 150_000);

  it('the plan serves the copy to a browser that reports H.265, and the H.264 output to one that does not; asking is not watching', async () => {
    const hevc = await plan('h264,h265,aac,opus');
    for (const t of ['mse', 'hls']) expect(pick(hevc, t)).toMatchObject({ available: true, output_id: 'default', video_codec: 'h265', audio_codec: 'opus' });
    expect(hevc.media_warnings.filter((w) => w.startsWith('transcoded_for_browser'))).toEqual([]);

    const avc = await plan('h264,aac,opus');
    for (const t of ['mse', 'hls']) expect(pick(avc, t)).toMatchObject({ available: true, output_id: 'h264', video_codec: 'h264', audio_codec: 'opus' });
    expect(avc.media_warnings.find((w) => w.startsWith('transcoded_for_browser'))).toMatch(/H\.265/);

    // A player's heartbeat names the transmission, not the output: it does not start the transcode (the player may be playing the copy).
    await api('POST', `/api/streams/transmissions/${tx}/demand/heartbeat`, { client: 'web', session_id: 'plan-only' });
    await server.streaming.runtime.tick();
    expect(await output('h264')).toMatchObject({ wanted: false, publisher: 'stopped' });
  });

  /**
   * Opens the panel with one transport forced, waits for the camera's first frame, checks what was
   * played and that the transcode runs while watched, closes the page and times the transcode's stop.
   */
  async function watchThroughTranscode(transport: 'hls' | 'mse') {
    // The previous watcher's transcode has stopped: every run starts cold.
    await waitFor('the H.264 publisher is stopped', async () => (await output('h264')).publisher === 'stopped', 60_000, { intervalMs: 200 });
    const context = await rig.browser.newContext({ viewport: { width: 800, height: 500 } });
    contexts.push(context);
    const page = await context.newPage();
    const plans: Promise<{ url: string; plan: Plan }>[] = [];
    const mediaUrls: string[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/playback-plan?')) plans.push(r.json().then((plan: Plan) => ({ url: r.url(), plan })));
    });
    page.on('request', (r) => {
      if (r.url().includes('/api/streams/media/')) mediaUrls.push(r.url());
    });
    page.on('websocket', (ws) => mediaUrls.push(ws.url()));
    const standIn = transport === 'hls' && !REAL_ENGINES.mediamtx ? doubleHlsStandIn() : null;
    try {
      const opened = performance.now();
      await page.goto(`${rig.ingress.url}?transport=${transport}`);
      await waitFor(
        `${transport}: the first frame of the H.265 camera`,
        async () => ((await page.$(`${tile()}[data-state="playing"][data-transport="${transport}"]`)) !== null && ((await shown(page))?.frames ?? 0) > 0) || undefined,
        MEDIA_WAIT_MS,
        { intervalMs: 50 },
      );
      const firstFrameMs = performance.now() - opened;

      // Table-free: this Chromium decodes no H.265, and the page asked for a plan without it.
      expect(await page.evaluate((type) => (globalThis as unknown as { MediaSource: { isTypeSupported(t: string): boolean } }).MediaSource.isTypeSupported(type), HEVC_TYPE)).toBe(false);
      const asked = await Promise.all(plans);
      expect(asked.length).toBeGreaterThan(0);
      for (const a of asked) {
        expect(new URL(a.url).searchParams.get('decodes')?.split(',')).not.toContain('h265');
        expect(pick(a.plan, transport)).toMatchObject({ available: true, output_id: 'h264', video_codec: 'h264' });
      }
      expect(
        mediaUrls.some((u) => new URL(u).pathname.includes(`/api/streams/media/${transport}/${h264Path}/`)),
        mediaUrls.join('\n'),
      ).toBe(true);
      expect(mediaUrls.filter((u) => new URL(u).pathname.includes(`/${copyPath}/`) && !new URL(u).pathname.includes(`/${h264Path}/`))).toEqual([]);

      // It plays: time and decoded frames advance, with a picture of some width.
      const a = (await shown(page))!;
      const b = await waitFor(
        `${transport}: video advances`,
        async () => {
          const s = await shown(page);
          return s !== null && s.frames > a.frames + 5 && s.time > a.time + 0.5 && s;
        },
        MEDIA_WAIT_MS,
        { intervalMs: 250 },
      );
      expect(b.width).toBeGreaterThan(0);
      expect(await output('h264')).toMatchObject({ publisher: 'running' });
      // One connection to the camera, whatever reads the engine (the transcode, go2rtc, HLS).
      if (REAL_ENGINES.mediamtx) expect(camera.activeConnections()).toBe(1);

      await context.close();
      const closed = performance.now();
      await waitFor(`${transport}: the H.264 publisher stops after the page closed`, async () => (await output('h264')).publisher === 'stopped', 120_000, { intervalMs: 100 });
      const lingeredMs = performance.now() - closed;
      await standIn?.stop();
      await waitFor(`${transport}: no FFmpeg left`, () => ffmpegChildren() === 0, 30_000, { intervalMs: 100 });
      if (REAL_ENGINES.mediamtx) await waitFor(`${transport}: the camera is let go`, () => camera.activeConnections() === 0, 60_000, { intervalMs: 100 });
      console.log(
        JSON.stringify({
          bench: 'h265-transcode',
          engines: { mediamtx: engineTarget('mediamtx'), go2rtc: engineTarget('go2rtc') },
          transport,
          first_frame_ms: Math.round(firstFrameMs),
          publisher_lingered_ms: Math.round(lingeredMs),
          debounce_s: DEBOUNCE_S,
        }),
      );
    } finally {
      // A failed check must not leave a watcher behind for the next transport (closing twice is harmless).
      await context.close();
    }
  }

  /**
   * Against the MediaMTX double: once our publisher runs, an FFmpeg-made H.264 source on the output's
   * path stands for what it would publish; it goes when the publisher stops.
   */
  function doubleHlsStandIn() {
    const doubleApi = server.streaming.engine.status().api_url!;
    const hls = (method: 'POST' | 'DELETE') =>
      fetch(`${doubleApi}/_double/paths/${h264Path}/hls`, {
        method,
        ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ source: 'testsrc', size: '640x360', fps: 15 }) } : {}),
      });
    const started = waitFor('the H.264 publisher runs', async () => (await output('h264')).publisher === 'running', MEDIA_WAIT_MS, { intervalMs: 100 }).then(async () => {
      expect((await hls('POST')).status).toBeLessThan(300);
    });
    return {
      async stop() {
        await started;
        expect((await hls('DELETE')).status).toBeLessThan(300);
      },
    };
  }

  it(`plays over HLS through the transcode (hls.js), which runs only while watched (${engineTarget('mediamtx')})`, () => watchThroughTranscode('hls'), 300_000);

  it(`plays over MSE through the transcode (${engineTarget('go2rtc')} reading ${engineTarget('mediamtx')}), which runs only while watched`, () => watchThroughTranscode('mse'), 300_000);
});
