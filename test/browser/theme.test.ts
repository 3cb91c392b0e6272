/**
 * The panel follows Home Assistant's light or dark theme: the browser's colour scheme on its own,
 * and, inside Home Assistant's frame (a stand-in page on the ingress origin with a
 * `<home-assistant>` element and the theme's variables, not Home Assistant itself), the frame's
 * dark mode and colours even against the media query, following a change of theme. Screenshots of
 * the streams grid (stats overlay on) and of a settings tab in each scheme land in test-results/browser/.
 */
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIAMTX_DOUBLE } from '../runtime/server-harness.js';
import { ARTIFACTS } from './browser.js';
import { startRig, type Rig } from './rig.js';

const BODY_BG = { light: 'rgb(250, 250, 250)', dark: 'rgb(17, 17, 17)' };

// Page expressions as strings: the root tsconfig has no DOM lib.
const bodyBackground = (where: Page | Frame) => where.evaluate('getComputedStyle(document.body).backgroundColor');

/** A page that stands in for Home Assistant's frontend: its element, its theme's variables on <html>, the panel in an iframe. */
const haFrame = (panelUrl: string) => `<!doctype html>
<html style="--primary-background-color: #1a1b1c; --primary-text-color: #e1e1e1; --primary-color: #ff9800">
  <body style="margin: 0">
    <home-assistant></home-assistant>
    <script>document.querySelector('home-assistant').hass = { themes: { darkMode: true } };</script>
    <iframe src="${panelUrl}" style="border: 0; width: 100vw; height: 100vh"></iframe>
  </body>
</html>`;

describe('the panel follows the light or dark theme (Chromium, ingress prefix)', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig({ mediamtxPath: MEDIAMTX_DOUBLE, demo: true });
    const doubleApi = `http://127.0.0.1:${rig.server.streaming.store.get().streaming.engine.api_port}`;
    const res = await fetch(`${doubleApi}/_double/paths/pipe/demo/video/hls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'testsrc', size: '640x360', fps: 10 }),
    });
    expect(res.status).toBeLessThan(300);
  });
  afterAll(() => rig?.close());

  it.each(['light', 'dark'] as const)('the browser prefers %s: the panel takes that scheme', async (scheme) => {
    const context = await rig.browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(rig.ingress.url);
    await page.waitForSelector(`html[data-theme="${scheme}"]`);
    expect(await bodyBackground(page)).toBe(BODY_BG[scheme]);

    await page.waitForSelector('[data-player][data-state="playing"]', { timeout: 30_000 });
    await page.click('[data-testid="tile"]');
    await page.click('[data-testid="stats-toggle"]');
    await page.waitForFunction(`Number(document.querySelector('[data-stats] [data-stat="fps"]')?.getAttribute('data-value')) > 0`, undefined, { timeout: 30_000 });
    await page.screenshot({ path: join(ARTIFACTS, `theme-${scheme}.png`) });

    await page.goto(`${rig.ingress.url}#/settings`);
    await page.click('[data-testid="settings-tab-cameras"]');
    await page.click('[data-testid="camera-add"]');
    await page.waitForSelector('[data-testid="camera-form"]');
    await page.screenshot({ path: join(ARTIFACTS, `theme-${scheme}-settings.png`), fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  });

  it("inside Home Assistant's frame its dark mode wins over a light media query, with its colours, and a change of theme follows", async () => {
    const context = await rig.browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Home Assistant serves its frontend on the ingress origin: the stand-in page does too, so the panel may read its parent.
    const frameUrl = new URL('/lovelace/cameras', rig.ingress.url).href;
    await page.route(frameUrl, (route) => route.fulfill({ contentType: 'text/html', body: haFrame(rig.ingress.url) }));
    await page.goto(frameUrl);
    const panel = await (await page.waitForSelector('iframe')).contentFrame();
    if (!panel) throw new Error('the panel iframe has no frame');
    await panel.waitForSelector('html[data-theme="dark"]');
    expect(await page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")).toBe(false);
    expect(await bodyBackground(panel)).toBe('rgb(26, 27, 28)');
    expect(await panel.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()")).toBe('#ff9800');
    await panel.waitForSelector('[data-player][data-state="playing"]', { timeout: 30_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'theme-home-assistant-dark.png') });

    // Home Assistant switches to light: it sets the dark mode and rewrites its root element's variables.
    await page.evaluate(`
      document.querySelector('home-assistant').hass.themes.darkMode = false;
      document.documentElement.setAttribute('style', '--primary-background-color: #fdfdfd; --primary-text-color: #212121; --primary-color: #03a9f4');
    `);
    await panel.waitForSelector('html[data-theme="light"]');
    expect(await bodyBackground(panel)).toBe('rgb(253, 253, 253)');
    expect(errors).toEqual([]);
    await context.close();
  });
});
