/**
 * The player in Debian's Chromium under an ingress prefix, against the real server with the
 * MediaMTX test double (HLS media made by real FFmpeg) and the demo stream (frames from real
 * FFmpeg through the writer path, played by the JSMpeg fallback): HLS plays with hls.js, killing
 * the HLS source makes the player fall back, and it climbs back to HLS when the source returns.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, openPage } from './browser.js';
import { sampleVideo, startDemoHlsRig } from './rig.js';

const playing = (page: Page, transport: string, timeout: number) => page.waitForSelector(`[data-player][data-state="playing"][data-transport="${transport}"]`, { timeout });

describe('the player follows the plan, falls back and climbs back (Chromium, ingress prefix)', () => {
  let rig: Awaited<ReturnType<typeof startDemoHlsRig>>;
  const hlsSource = (method: 'POST' | 'DELETE') => rig.hlsSource(method);

  beforeAll(async () => {
    rig = await startDemoHlsRig();
  });
  afterAll(() => rig?.close());

  it('plays HLS with hls.js, falls back to JSMpeg when the HLS source dies, climbs back when it returns', async () => {
    const { page, errors } = await openPage(rig.browser, rig.ingress.url);
    await playing(page, 'hls', 30_000);
    expect(await page.getAttribute('[data-player]', 'data-hls-engine')).toBe('hlsjs');
    expect((await sampleVideo(page)).timeAdvanced).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'grid.png') });

    expect((await hlsSource('DELETE')).status).toBeLessThan(300);
    await playing(page, 'jsmpeg', 30_000);
    const fallback = await sampleVideo(page);
    expect(fallback.timeAdvanced).toBeGreaterThan(0);
    expect(fallback.framesDecoded).toBeGreaterThan(0);

    expect((await hlsSource('POST')).status).toBeLessThan(300);
    // Climbing back happens in a hidden second video; the shown one must hold a picture the whole time (no black gap).
    const gaps: string[] = [];
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await page.waitForTimeout(100)) {
      const shown = await page.$$eval('[data-player] video[data-visible="true"]', (vs) =>
        vs.map((v) => ({ ready: (v as unknown as { readyState: number }).readyState, transport: v.getAttribute('data-transport') })),
      );
      if (shown.length !== 1 || shown[0]!.ready < 2) gaps.push(JSON.stringify(shown));
      if ((await page.getAttribute('[data-player]', 'data-transport')) === 'hls') break;
    }
    expect(gaps).toEqual([]);
    await playing(page, 'hls', 1_000);
    expect((await sampleVideo(page)).timeAdvanced).toBeGreaterThan(0);

    // hls.js retries while the source is gone make Chromium log failed loads; nothing else may be logged.
    expect(errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
    await page.context().close();
  });

  it('transport diagnostics open on request and name why MSE is blocked, without replacing the picture', async () => {
    const { page, errors } = await openPage(rig.browser, rig.ingress.url);
    await page.waitForSelector('[data-player][data-state="playing"]', { timeout: 30_000 });
    expect(await page.$('[data-diagnostics]')).toBeNull();
    await page.click('[data-testid="tile"]');
    await page.click('[data-testid="diagnostics-toggle"]');
    const panel = await page.waitForSelector('[data-diagnostics]', { timeout: 5_000 });
    expect(await panel.textContent()).toMatch(/MSE/);
    expect(await page.getAttribute('[data-player]', 'data-state')).toBe('playing');
    expect(await page.$('[data-overlay="error"]')).toBeNull();
    await page.screenshot({ path: join(ARTIFACTS, 'diagnostics.png') });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('fullscreen plays the stream in the fullscreen context', async () => {
    const { page, errors } = await openPage(rig.browser, rig.ingress.url);
    await page.waitForSelector('[data-player][data-state="playing"]', { timeout: 30_000 });
    await page.click('[data-testid="tile"]');
    await page.click('[data-testid="fullscreen"]');
    await page.waitForSelector('[data-testid="tile"][data-context="fullscreen"] [data-player][data-state="playing"]', { timeout: 30_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'fullscreen.png') });
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
