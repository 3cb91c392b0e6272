/**
 * The player in Debian's Chromium under an ingress prefix, against the real server with the
 * MediaMTX test double (HLS media made by real FFmpeg) and the demo stream (frames from real
 * FFmpeg through the writer path, played by the JSMpeg fallback): HLS plays with hls.js, killing
 * the HLS source makes the player fall back, and it climbs back to HLS when the source returns.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIAMTX_DOUBLE, startLiveServer, type LiveServer } from '../runtime/server-harness.js';
import { ARTIFACTS, launchChromium, openPage } from './browser.js';
import { startIngressProxy, type IngressProxy } from './ingress-proxy.js';

const DEMO_PATH = 'pipe/demo/video';

/** The visible video's currentTime, sampled twice: it advances while something plays. */
async function advances(page: Page, tile = '[data-testid="tile"]'): Promise<{ before: number; after: number; frames: number }> {
  const read = () =>
    page.$eval(`${tile} video[data-visible="true"]`, (v) => {
      // Root tsconfig has no DOM lib; this is the slice of HTMLVideoElement the test reads.
      const video = v as unknown as { currentTime: number; getVideoPlaybackQuality(): { totalVideoFrames: number } };
      return { t: video.currentTime, frames: video.getVideoPlaybackQuality().totalVideoFrames };
    });
  const a = await read();
  await page.waitForTimeout(1500);
  const b = await read();
  return { before: a.t, after: b.t, frames: b.frames - a.frames };
}

const playing = (page: Page, transport: string, timeout: number) =>
  page.waitForSelector(`[data-player][data-state="playing"][data-transport="${transport}"]`, { timeout });

describe('the player follows the plan, falls back and climbs back (Chromium, ingress prefix)', () => {
  let server: LiveServer;
  let ingress: IngressProxy;
  let browser: Browser;
  let doubleApi: string;

  const hlsSource = (method: 'POST' | 'DELETE') =>
    fetch(`${doubleApi}/_double/paths/${DEMO_PATH}/hls`, {
      method,
      ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ source: 'testsrc', size: '640x360', fps: 10 }) } : {}),
    });

  beforeAll(async () => {
    server = await startLiveServer({ mediamtxPath: MEDIAMTX_DOUBLE, demo: true });
    doubleApi = `http://127.0.0.1:${server.streaming.store.get().streaming.engine.api_port}`;
    expect((await hlsSource('POST')).status).toBeLessThan(300);
    ingress = await startIngressProxy(server.base);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await ingress?.close();
    await server?.close();
  });

  it('plays HLS with hls.js, falls back to JSMpeg when the HLS source dies, climbs back when it returns', async () => {
    const { page, errors } = await openPage(browser, ingress.url);
    await playing(page, 'hls', 30_000);
    expect(await page.getAttribute('[data-player]', 'data-hls-engine')).toBe('hlsjs');
    const hls = await advances(page);
    expect(hls.after).toBeGreaterThan(hls.before);
    await page.screenshot({ path: join(ARTIFACTS, 'grid.png') });

    expect((await hlsSource('DELETE')).status).toBeLessThan(300);
    await playing(page, 'jsmpeg', 30_000);
    const fallback = await advances(page);
    expect(fallback.after).toBeGreaterThan(fallback.before);
    expect(fallback.frames).toBeGreaterThan(0);

    expect((await hlsSource('POST')).status).toBeLessThan(300);
    await playing(page, 'hls', 60_000);
    const back = await advances(page);
    expect(back.after).toBeGreaterThan(back.before);

    // hls.js retries while the source is gone make Chromium log failed loads; nothing else may be logged.
    expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
    await page.context().close();
  });

  it('fullscreen plays the stream in the fullscreen context', async () => {
    const { page, errors } = await openPage(browser, ingress.url);
    await page.waitForSelector('[data-player][data-state="playing"]', { timeout: 30_000 });
    await page.click('[data-testid="tile"]');
    await page.click('[data-testid="fullscreen"]');
    await page.waitForSelector('[data-testid="tile"][data-context="fullscreen"] [data-player][data-state="playing"]', { timeout: 30_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'fullscreen.png') });
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
