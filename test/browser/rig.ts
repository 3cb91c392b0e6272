import type { Browser, Page } from 'playwright-core';
import type { ServerOptions } from '../../src/server.js';
import { MEDIAMTX_DOUBLE, startLiveServer, type LiveServer } from '../runtime/server-harness.js';
import { launchChromium } from './browser.js';
import { startIngressProxy, type IngressProxy } from './ingress-proxy.js';

/** The real server, the ingress stand-in in front of it, and Debian's Chromium: what every browser test starts. */
export interface Rig<S = LiveServer> {
  server: S;
  ingress: IngressProxy;
  browser: Browser;
  close(): Promise<void>;
}

export async function startRig(over: Partial<ServerOptions> = {}, settings?: Record<string, unknown>): Promise<Rig> {
  const server = await startLiveServer(over, settings);
  return rigAround(server, server.base);
}

/** The demo stream's engine path. */
const DEMO_PATH = 'pipe/demo/video';

/**
 * A rig on the demo stream whose HLS the MediaMTX double serves (a 640x360 test source at 10 fps):
 * `hlsSource('DELETE')` kills that source (the player falls back), `hlsSource('POST')` brings it back.
 */
export async function startDemoHlsRig(): Promise<Rig & { hlsSource: (method: 'POST' | 'DELETE') => Promise<Response> }> {
  const rig = await startRig({ mediamtxPath: MEDIAMTX_DOUBLE, demo: true });
  const doubleApi = `http://127.0.0.1:${rig.server.streaming.store.get().streaming.engine.api_port}`;
  const hlsSource = (method: 'POST' | 'DELETE') =>
    fetch(`${doubleApi}/_double/paths/${DEMO_PATH}/hls`, {
      method,
      ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ source: 'testsrc', size: '640x360', fps: 10 }) } : {}),
    });
  const started = await hlsSource('POST');
  if (started.status >= 300) throw new Error(`the MediaMTX double refused the demo HLS source: ${started.status}`);
  return { ...rig, hlsSource };
}

/** The ingress stand-in and Chromium in front of a server already listening at `base` (the add-on harness's, say); closing closes it too. */
export async function rigAround<S extends { close(): Promise<void> }>(server: S, base: string): Promise<Rig<S>> {
  const ingress = await startIngressProxy(base);
  const browser = await launchChromium();
  return {
    server,
    ingress,
    browser,
    async close() {
      await browser.close();
      await ingress.close();
      await server.close();
    },
  };
}

/** The shown video of a player (the root tsconfig has no DOM lib: this is the slice the tests read). */
export function readVideo(page: Page, scope = '') {
  return page.$eval(`${scope} video[data-visible="true"]`.trim(), (v) => {
    const video = v as unknown as { currentTime: number; getVideoPlaybackQuality(): { totalVideoFrames: number } };
    return { time: video.currentTime, frames: video.getVideoPlaybackQuality().totalVideoFrames };
  });
}

/** Samples the shown video twice, 1.5 s apart: time and decoded frames advance while something plays. */
export async function sampleVideo(page: Page, scope = '') {
  const a = await readVideo(page, scope);
  await page.waitForTimeout(1500);
  const b = await readVideo(page, scope);
  return { timeAdvanced: b.time - a.time, framesDecoded: b.frames - a.frames };
}
