/**
 * A user's first camera, in Debian's Chromium under an ingress prefix: added through the settings
 * form (with credentials, "Transmitir esta fonte" ticked), it appears in the grid and plays through
 * the JSMpeg fallback (no engine on this machine), frames from a real RTSP camera (GStreamer).
 */
import { join } from 'node:path';
import type { WebSocket } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRtspCamera, type RtspCamera } from '../media/rtsp-camera.js';
import { ffmpegChildren } from '../runtime/server-harness.js';
import { ARTIFACTS, openPage } from './browser.js';
import { sampleVideo, startRig, type Rig } from './rig.js';

describe('adding a camera through the settings UI', () => {
  let rig: Rig;
  let camera: RtspCamera;

  beforeAll(async () => {
    camera = await startRtspCamera({ width: 320, height: 240, fps: 10, username: 'admin', password: 's3cret!pw' });
    rig = await startRig({ autoStartEngine: false }, { demand: { debounce_s: 1 } });
  });
  afterAll(async () => {
    await rig?.close();
    await camera?.stop();
  });

  it('saves the camera, shows it in the grid, and plays it through the JSMpeg fallback', async () => {
    const { server, ingress } = rig;
    const { page, errors } = await openPage(rig.browser, `${ingress.url}#/settings`);
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    const sockets: WebSocket[] = [];
    page.on('websocket', (ws) => {
      urls.push(ws.url());
      sockets.push(ws);
    });
    await page.click('[data-testid="settings-tab-cameras"]');
    await page.click('[data-testid="camera-add"]');
    await page.fill('[data-testid="camera-name"]', 'Porch');
    await page.fill('[data-testid="source-url"]', camera.bareUrl);
    await page.fill('[data-testid="source-username"]', 'admin');
    await page.fill('[data-testid="source-password"]', 's3cret!pw');
    await page.check('[data-testid="source-publish"]');
    await page.screenshot({ path: join(ARTIFACTS, 'settings.png') });
    await page.click('[data-testid="camera-save"]');
    await page.waitForSelector('[data-testid="camera-row"][data-camera="porch"]', { timeout: 10_000 });

    // Stored as typed, the password write-only.
    const stored = await server.request('GET', '/api/cameras/porch');
    expect(stored.status).toBe(200);
    expect(stored.json.sources[0]).toMatchObject({ url: camera.bareUrl, publish: true, has_credentials: true });
    expect(JSON.stringify(stored.json)).not.toContain('s3cret');
    expect(await page.content()).not.toContain('s3cret');

    await page.goto(`${ingress.url}#/streams`);
    const tile = '[data-testid="tile"][data-camera="porch"]';
    await page.waitForSelector(tile, { timeout: 15_000 });
    await page.waitForSelector(`${tile} [data-player][data-state="playing"][data-transport="jsmpeg"]`, { timeout: 30_000 });
    expect((await sampleVideo(page, tile)).framesDecoded).toBeGreaterThan(0);
    expect(await page.isVisible('[data-testid="engine-missing"]')).toBe(true);
    // The camera's credentials never reach the browser, in the page or in any URL it loaded.
    expect(await page.content()).not.toContain('s3cret');
    expect(urls.filter((u) => u.includes('s3cret') || u.includes('admin:'))).toEqual([]);
    expect(urls.some((u) => u.includes('/media/jsmpeg/'))).toBe(true);

    // Leaving the grid unmounts the player: its socket closes and the server's FFmpeg processes end after the debounce.
    expect(sockets.length).toBeGreaterThan(0);
    expect(ffmpegChildren()).toBeGreaterThan(0);
    await page.goto(`${ingress.url}#/settings`);
    await expect.poll(() => sockets.every((ws) => ws.isClosed()), { timeout: 5_000 }).toBe(true);
    await expect.poll(() => ffmpegChildren(), { timeout: 20_000, interval: 250 }).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
