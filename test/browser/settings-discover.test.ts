/**
 * "Discover cameras" in Debian's Chromium under an ingress prefix, against the local ONVIF responder:
 * the server's WS-Discovery probe goes to the responder's unicast socket on 127.0.0.1 (never the
 * multicast group). The device is listed, a wrong password gets the plain error, the right one
 * previews main and sub, and the camera form's own Save creates the camera with both sources and
 * their credentials, the password never in a URL the page requested.
 */
import { join } from 'node:path';
import type { Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOnvifResponder, type Responder } from '../doubles/onvif/responder.js';
import { ARTIFACTS, openPage } from './browser.js';
import { startRig, type Rig } from './rig.js';

const PASSWORD = 'Onv1f!pw';

describe('discovering and importing an ONVIF camera through the settings UI', () => {
  let responder: Responder;
  let rig: Rig;

  beforeAll(async () => {
    responder = await startOnvifResponder({
      credentials: { username: 'admin', password: PASSWORD },
      // Listed sub first, as cameras often do: the roles come from the sizes, not the order.
      profiles: [
        { token: 'prof_sub', name: 'SubStream', encoding: 'H264', width: 640, height: 360, fps: 15, streamUri: 'rtsp://127.0.0.1:1/sub', snapshotUri: 'http://127.0.0.1:1/snap/sub.jpg' },
        { token: 'prof_main', name: 'MainStream', encoding: 'H264', width: 1920, height: 1080, fps: 25, streamUri: 'rtsp://127.0.0.1:1/main', snapshotUri: 'http://127.0.0.1:1/snap/main.jpg' },
      ],
    });
    rig = await startRig({ autoStartEngine: false, onvif: { discoveryTarget: { address: '127.0.0.1', port: responder.discoveryPort } } });
  });
  afterAll(async () => {
    await rig?.close();
    await responder?.close();
  });

  it('lists the device, says "wrong password" plainly, previews main and sub, and saves the camera through the usual form', async () => {
    const { server, ingress } = rig;
    const { page, errors } = await openPage(rig.browser, `${ingress.url}#/settings`);
    const requests: Request[] = [];
    page.on('request', (r) => requests.push(r));

    await page.click('[data-testid="settings-tab-cameras"]');
    await page.click('[data-testid="camera-discover"]');
    const device = `[data-testid="discover-device"][data-port="${responder.port}"]`;
    await page.waitForSelector(device, { timeout: 15_000 });
    expect(await page.textContent(device)).toContain('Front Door Double');
    expect(await page.textContent(device)).toContain(`127.0.0.1:${responder.port}`);
    // The scan ends on its own (the poll stops) and offers another.
    await page.waitForSelector('[data-testid="discover-again"]', { timeout: 15_000 });
    expect(responder.probes.length).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'settings-discover-devices.png') });

    await page.click(`${device} [data-testid="discover-choose"]`);
    await page.fill('[data-testid="discover-username"]', 'admin');
    await page.fill('[data-testid="discover-password"]', 'not-the-password');
    await page.click('[data-testid="discover-connect"]');
    const error = await page.waitForSelector('[data-testid="discover-error"][data-kind="unauthorized"]', { timeout: 15_000 });
    expect(await error.textContent()).toBe('Wrong user or password: the camera refused them.');
    await page.screenshot({ path: join(ARTIFACTS, 'settings-discover-credentials.png') });

    await page.fill('[data-testid="discover-password"]', PASSWORD);
    await page.click('[data-testid="discover-connect"]');
    await page.waitForSelector('[data-testid="discover-preview"]', { timeout: 15_000 });
    const rows = await page.$$eval('[data-testid="discover-source"]', (trs) => trs.map((tr) => [tr.getAttribute('data-role'), tr.getAttribute('data-profile')]));
    expect(rows).toEqual([
      ['main', 'prof_main'],
      ['sub', 'prof_sub'],
    ]);
    expect(await page.textContent('[data-testid="discover-preview"]')).toContain('1920×1080');
    await page.screenshot({ path: join(ARTIFACTS, 'settings-discover-preview.png') });

    await page.click('[data-testid="discover-continue"]');
    await page.waitForSelector('[data-testid="camera-form"]');
    expect(await page.$$eval('[data-testid="source-url"]', (inputs) => inputs.map((i) => (i as unknown as { value: string }).value))).toEqual(['rtsp://127.0.0.1:1/main', 'rtsp://127.0.0.1:1/sub']);
    const name = await page.inputValue('[data-testid="camera-name"]');
    await page.click('[data-testid="camera-save"]');
    await page.waitForSelector('[data-testid="camera-row"]', { timeout: 15_000 });

    const list = await server.request('GET', '/api/cameras');
    expect(list.status).toBe(200);
    const cameras = list.json as { name: string; sources: { role: string; has_credentials: boolean; onvif_profile: string | null; snapshot_url: string | null }[] }[];
    expect(cameras).toHaveLength(1);
    expect(cameras[0]!.name).toBe(name);
    expect(cameras[0]!.sources.map((s) => [s.role, s.has_credentials, s.onvif_profile, s.snapshot_url])).toEqual([
      ['main', true, 'prof_main', 'http://127.0.0.1:1/snap/main.jpg'],
      ['sub', true, 'prof_sub', 'http://127.0.0.1:1/snap/sub.jpg'],
    ]);
    expect(JSON.stringify(list.json)).not.toContain(PASSWORD);

    // Discovered again, the device is the camera just added: said so, and not offered a second time.
    await page.click('[data-testid="camera-discover"]');
    await page.waitForSelector(`${device} [data-testid="discover-added"]`, { timeout: 15_000 });
    expect(await page.isDisabled(`${device} [data-testid="discover-choose"]`)).toBe(true);
    await page.click('[data-testid="discover-close"]');
    await page.waitForSelector('[data-testid="discover"]', { state: 'detached' });

    // The password travelled in request bodies only: the dry runs and the camera's POST.
    const withPassword = requests.filter((r) => r.postData()?.includes(PASSWORD)).map((r) => `${r.method()} ${new URL(r.url()).pathname.replace(/^.*\/api\//, 'api/')}`);
    expect(withPassword).toEqual(['POST api/cameras/onvif/import', 'POST api/cameras']);
    expect(requests.filter((r) => r.url().includes(PASSWORD) || r.url().includes(encodeURIComponent(PASSWORD)))).toEqual([]);
    // Every request stayed under the ingress prefix.
    expect(requests.every((r) => new URL(r.url()).pathname.startsWith(new URL(ingress.url).pathname))).toBe(true);
    expect(await page.content()).not.toContain(PASSWORD);
    // The wrong password's 422 is the one failed load the console reports.
    expect(errors.filter((e) => !e.includes('status of 422'))).toEqual([]);
    await page.context().close();
  });
});
