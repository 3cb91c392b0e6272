/**
 * A player nobody can see costs nothing: when the tab is hidden the player closes its socket and
 * stops heartbeating, the server's FFmpeg processes end after the debounce, and it plays again
 * when the tab comes back.
 */
import type { WebSocket } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_TRANSMISSION_ID } from '../../src/demo/pipeline.js';
import { ffmpegChildren } from '../runtime/server-harness.js';
import { openPage } from './browser.js';
import { startRig, type Rig } from './rig.js';

// Chromium keeps a headless page "visible"; this is what a browser does when the tab goes to the background.
// (A script string: the root tsconfig has no DOM lib.)
const setVisibility = (state: 'hidden' | 'visible') => `(() => {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => '${state}' });
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => ${state === 'hidden'} });
  document.dispatchEvent(new Event('visibilitychange'));
})()`;

describe('a hidden tab stops playing and heartbeating', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig({ autoStartEngine: false, demo: true, heartbeatTtlMs: 3_000 }, { demand: { debounce_s: 1 } });
  });
  afterAll(() => rig?.close());

  it('closes the socket, lets demand lapse (no FFmpeg left), and plays again when shown', async () => {
    const { page, errors } = await openPage(rig.browser, rig.ingress.url);
    const sockets: WebSocket[] = [];
    page.on('websocket', (ws) => sockets.push(ws));
    await page.waitForSelector('[data-player][data-state="playing"][data-transport="jsmpeg"]', { timeout: 30_000 });
    expect(ffmpegChildren()).toBeGreaterThan(0);

    await page.evaluate(setVisibility('hidden'));
    await page.waitForSelector('[data-player][data-state="idle"]', { timeout: 5_000 });
    await expect.poll(() => sockets.length > 0 && sockets.every((ws) => ws.isClosed()), { timeout: 5_000 }).toBe(true);
    await expect.poll(() => ffmpegChildren(), { timeout: 20_000, interval: 250 }).toBe(0);
    const demand = await rig.server.request('GET', `/api/streams/transmissions/${DEMO_TRANSMISSION_ID}/demand`);
    expect(demand.json.has_demand).toBe(false);

    await page.evaluate(setVisibility('visible'));
    await page.waitForSelector('[data-player][data-state="playing"][data-transport="jsmpeg"]', { timeout: 30_000 });
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
