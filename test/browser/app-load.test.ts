/**
 * The panel under Home Assistant's ingress prefix, in Debian's Chromium, as a new user first sees
 * it (first start, no MediaMTX on the machine): every request the page makes (assets, API calls,
 * WebSockets) stays under the prefix, the demo stream moves through the JSMpeg fallback next to
 * the note that the engine is missing, and nothing throws.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveServer, type LiveServer } from '../runtime/server-harness.js';
import { launchChromium, openPage } from './browser.js';
import { startIngressProxy, type IngressProxy } from './ingress-proxy.js';

describe('the panel under an ingress prefix', () => {
  let server: LiveServer;
  let ingress: IngressProxy;
  let browser: Browser;

  beforeAll(async () => {
    server = await startLiveServer({ autoStartEngine: false, demo: true });
    ingress = await startIngressProxy(server.base);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await ingress?.close();
    await server?.close();
  });

  it('loads with the injected base, requests only under the prefix, and logs no error', async () => {
    const requested: string[] = [];
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => requested.push(new URL(r.url()).pathname));
    page.on('websocket', (ws) => requested.push(new URL(ws.url()).pathname));
    await page.goto(ingress.url);
    await page.waitForSelector('[data-player][data-state="playing"][data-transport="jsmpeg"]', { timeout: 30_000 });
    const frames = () => page.$eval('video[data-visible="true"]', (v) => (v as unknown as { getVideoPlaybackQuality(): { totalVideoFrames: number } }).getVideoPlaybackQuality().totalVideoFrames);
    const before = await frames();
    await page.waitForTimeout(1500);
    expect(await frames()).toBeGreaterThan(before);
    expect(await page.isVisible('[data-testid="engine-missing"]')).toBe(true);
    expect(await page.textContent('[data-testid="engine-missing"]')).toMatch(/MediaMTX/);
    expect(await page.getAttribute('meta[name="toposync-base"]', 'content')).toBe(`${ingress.prefix}/`);
    const outside = requested.filter((p) => !p.startsWith(`${ingress.prefix}/`) && p !== '/favicon.ico');
    expect(outside).toEqual([]);
    expect(requested.some((p) => p === `${ingress.prefix}/assets/app.js`)).toBe(true);
    expect(requested.some((p) => p.startsWith(`${ingress.prefix}/api/streams/media/jsmpeg/`))).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('the same bundle works at / without a prefix', async () => {
    const { page, errors } = await openPage(browser, `${server.base}/`);
    await page.waitForSelector('.app-header h1');
    expect(await page.getAttribute('meta[name="toposync-base"]', 'content')).toBe('/');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
