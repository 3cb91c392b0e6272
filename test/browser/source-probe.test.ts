/**
 * Issue 13.2 in the panel: the camera form shows beside each saved source what the last probe
 * found, and its Probe button runs one (real ffprobe against a GStreamer H.265 + Opus camera on
 * 127.0.0.1), in Debian's Chromium under an ingress prefix.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRtspCamera, type RtspCamera } from '../media/rtsp-camera.js';
import { ARTIFACTS, openPage } from './browser.js';
import { startRig, type Rig } from './rig.js';

describe('probe facts in the camera form', () => {
  let rig: Rig;
  let camera: RtspCamera;

  beforeAll(async () => {
    camera = await startRtspCamera({ codec: 'h265', audio: 'opus', width: 640, height: 360, fps: 15 });
    rig = await startRig({ autoStartEngine: false });
  });
  afterAll(async () => {
    await rig?.close();
    await camera?.stop();
  });

  it('"not probed yet", then Probe shows the facts the server stored; an edited address waits for the save', async () => {
    const { server, ingress } = rig;
    expect((await server.request('POST', '/api/cameras', { id: 'yard', name: 'Yard', sources: [{ id: 'main', url: camera.bareUrl }] })).status).toBe(201);
    const { page, errors } = await openPage(rig.browser, `${ingress.url}#/settings`);
    await page.click('[data-testid="settings-tab-cameras"]');
    await page.click('[data-testid="camera-row"][data-camera="yard"] [data-testid="camera-edit"]');
    const line = '[data-testid="camera-source"] [data-testid="source-probe"]';
    await page.waitForSelector(`${line}[data-state="none"]`, { timeout: 10_000 });
    expect(await page.textContent(`${line} [data-testid="source-probe-facts"]`)).toBe('Not probed yet');

    await page.click(`${line} [data-testid="source-probe-run"]`);
    await page.waitForSelector(`${line}[data-state="ok"]`, { timeout: 30_000 });
    expect(await page.textContent(`${line} [data-testid="source-probe-facts"]`)).toBe('H.265 · 640×360 · 15 fps · Opus 48 kHz');
    expect((await server.request('GET', '/api/cameras/yard')).json.sources[0].probe).toMatchObject({ video: { codec: 'h265' }, audio: { codec: 'opus' } });
    expect(camera.connections()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'source-probe.png') });

    await page.fill('[data-testid="source-url"]', `${camera.bareUrl}2`);
    await page.waitForSelector(`${line}[data-state="edited"]`);
    expect(await page.isDisabled(`${line} [data-testid="source-probe-run"]`)).toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
