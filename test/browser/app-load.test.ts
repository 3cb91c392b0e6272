/**
 * The panel under Home Assistant's ingress prefix, in Debian's Chromium, as a new user first sees
 * it (first start, no MediaMTX on the machine): every request the page makes (assets, API calls,
 * WebSockets) stays under the prefix, the demo stream moves through the JSMpeg fallback next to
 * the note that the engine is missing, and nothing throws.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage } from './browser.js';
import { sampleVideo, startRig, type Rig } from './rig.js';

describe('the panel under an ingress prefix', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig({ autoStartEngine: false, demo: true });
  });
  afterAll(() => rig?.close());

  it('loads with the injected base, requests only under the prefix, and logs no error', async () => {
    const requested: string[] = [];
    const { ingress, browser } = rig;
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => requested.push(new URL(r.url()).pathname));
    page.on('websocket', (ws) => requested.push(new URL(ws.url()).pathname));
    await page.goto(ingress.url);
    await page.waitForSelector('[data-player][data-state="playing"][data-transport="jsmpeg"]', { timeout: 30_000 });
    expect((await sampleVideo(page)).framesDecoded).toBeGreaterThan(0);
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

  it('the demo is removed from settings for good: its pipeline deleted, the grid empty', async () => {
    const { page, errors } = await openPage(rig.browser, `${rig.ingress.url}#/settings`);
    await page.click('[data-testid="settings-tab-transmissions"]');
    await page.click('[data-testid="owner-delete-pipeline"]');
    await page.click('[data-testid="owner-delete-pipeline-confirm"]');
    await expect.poll(async () => (await rig.server.request('GET', '/api/streams/pipelines/demo')).status, { timeout: 5_000 }).toBe(404);
    await page.waitForSelector('[data-testid="transmission-row"]', { state: 'detached', timeout: 5_000 });
    await page.goto(`${rig.ingress.url}#/streams`);
    await page.waitForSelector('[data-testid="streams-empty"]', { timeout: 10_000 });
    expect(await page.$('[data-testid="tile"]')).toBeNull();
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('the same bundle works at / without a prefix', async () => {
    const { page, errors } = await openPage(rig.browser, `${rig.server.base}/`);
    await page.waitForSelector('.app-header h1');
    expect(await page.getAttribute('meta[name="toposync-base"]', 'content')).toBe('/');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
