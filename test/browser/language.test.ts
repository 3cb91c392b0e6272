/**
 * The panel speaks the browser's language (pt-BR or English), and when no writer feeds a stream the
 * player says so with the reference's message instead of a generic error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRig, type Rig } from './rig.js';

const publishNode = { id: 'out', type: 'stream.publish_video', config: { publication_enabled: true, publication_role: 'main', publication_label: 'Detections' } };

describe('language and the no-writer message', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig({ autoStartEngine: false });
    // A pipeline that publishes but whose program never connects: nothing feeds its transmission.
    expect((await rig.server.request('PUT', '/api/streams/pipelines/yard', { nodes: [publishNode] })).status).toBeLessThan(300);
  });
  afterAll(() => rig?.close());

  it.each([
    ['pt-BR', 'Transmissões', 'Transmitir esta fonte', 'Nenhuma pipeline está alimentando esta transmissão.'],
    ['en-US', 'Streams', 'Publish this source', 'No pipeline is feeding this transmission.'],
  ])('%s', async (locale, nav, publish, noWriter) => {
    const { ingress, browser } = rig;
    const context = await browser.newContext({ locale });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(ingress.url);
    expect(await page.textContent('.app-header nav a[href="#/streams"]')).toBe(nav);
    const overlay = await page.waitForSelector('[data-player][data-error="no_writer"] [data-overlay="error"]', { timeout: 30_000 });
    expect((await overlay.textContent())?.trim()).toContain(noWriter);

    await page.goto(`${ingress.url}#/settings`);
    await page.click('[data-testid="settings-tab-cameras"]');
    await page.click('[data-testid="camera-add"]');
    expect(await page.textContent('[data-testid="camera-form"]')).toContain(publish);
    expect(errors).toEqual([]);
    await context.close();
  });
});
