/**
 * The stats overlay in Debian's Chromium under an ingress prefix, against the real server with the
 * MediaMTX test double (HLS made by real FFmpeg) and the demo stream (the JSMpeg fallback from real
 * FFmpeg): off by default, on per tile with the transport's live figures, off again; after the HLS
 * source dies it shows JSMpeg's figures and the fallback that got there.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, openPage } from './browser.js';
import { startDemoHlsRig } from './rig.js';

const playing = (page: Page, transport: string, timeout: number) => page.waitForSelector(`[data-player][data-state="playing"][data-transport="${transport}"]`, { timeout });

/** Waits until the overlay shows `transport` with a picture size, frames, bytes and a first-frame time, and returns what it shows. */
async function liveFigures(page: Page, transport: string) {
  const read = () =>
    page.$$eval('[data-stats] [data-stat]', (rows) =>
      Object.fromEntries(rows.map((r) => [r.getAttribute('data-stat') ?? '', { value: r.getAttribute('data-value') ?? '', text: r.querySelector('dd')?.textContent ?? '' }])),
    );
  // A page expression (the root tsconfig has no DOM lib): every figure present and plausible at once.
  await page.waitForFunction(
    `(() => {
      const value = (name) => document.querySelector('[data-stats] [data-stat="' + name + '"]')?.getAttribute('data-value') ?? '';
      return value('transport') === ${JSON.stringify(transport)} && /^[1-9]\\d*x[1-9]\\d*$/.test(value('resolution')) && Number(value('fps')) > 0 && Number(value('bitrate')) > 0 && Number(value('ttff')) > 0;
    })()`,
    undefined,
    { timeout: 30_000 },
  );
  return read();
}

describe('the stats overlay (Chromium, ingress prefix)', () => {
  let rig: Awaited<ReturnType<typeof startDemoHlsRig>>;
  const hlsSource = (method: 'POST' | 'DELETE') => rig.hlsSource(method);

  beforeAll(async () => {
    rig = await startDemoHlsRig();
  });
  afterAll(() => rig?.close());

  it('is off by default, shows HLS figures when turned on, and goes away when turned off', async () => {
    const { page, errors } = await openPage(rig.browser, rig.ingress.url);
    await playing(page, 'hls', 30_000);
    expect(await page.$('[data-stats]')).toBeNull();

    await page.click('[data-testid="tile"]');
    await page.click('[data-testid="stats-toggle"]');
    const figures = await liveFigures(page, 'hls');
    // The double's HLS is 640x360 at 10 fps.
    expect(figures.resolution?.value).toBe('640x360');
    expect(figures.transport?.text).toBe('HLS (hls.js)');
    expect(Number(figures.fps?.value)).toBeLessThan(20);
    expect(Number(figures.ttff?.value)).toBe(Number(await page.getAttribute('[data-player]', 'data-ttff-ms')));
    expect(figures.frames?.text).toMatch(/^\d+ \/ \d+$/);
    await page.screenshot({ path: join(ARTIFACTS, 'stats-hls.png') });

    await page.click('[data-testid="stats-toggle"]');
    await page.waitForSelector('[data-stats]', { state: 'detached', timeout: 5_000 });
    expect(await page.getAttribute('[data-player]', 'data-state')).toBe('playing');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('after the HLS source dies it shows the JSMpeg fallback figures and the history of how it got there', async () => {
    const { page, errors } = await openPage(rig.browser, rig.ingress.url);
    await playing(page, 'hls', 30_000);
    await page.click('[data-testid="tile"]');
    await page.click('[data-testid="stats-toggle"]');
    await liveFigures(page, 'hls');

    expect((await hlsSource('DELETE')).status).toBeLessThan(300);
    await playing(page, 'jsmpeg', 30_000);
    const figures = await liveFigures(page, 'jsmpeg');
    expect(figures.transport?.text).toBe('JSMpeg');
    const history = await page.$$eval('[data-stats-history] li', (items) => items.map((i) => `${i.getAttribute('data-kind')}:${i.getAttribute('data-transport')}`));
    expect(history).toEqual(expect.arrayContaining(['failed:hls', 'fell_back:jsmpeg']));
    await page.screenshot({ path: join(ARTIFACTS, 'stats-jsmpeg.png') });

    expect((await hlsSource('POST')).status).toBeLessThan(300);
    // hls.js retries while the source is gone make Chromium log failed loads; nothing else may be logged.
    expect(errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
    await page.context().close();
  });
});
