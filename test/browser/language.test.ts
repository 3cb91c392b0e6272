/**
 * The panel speaks the browser's language (pt-BR or English), and when no writer feeds a stream the
 * player says so with the reference's message instead of a generic error.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveServer, type LiveServer } from '../runtime/server-harness.js';
import { launchChromium } from './browser.js';
import { startIngressProxy, type IngressProxy } from './ingress-proxy.js';

const publishNode = { id: 'out', type: 'stream.publish_video', config: { publication_enabled: true, publication_role: 'main', publication_label: 'Detections' } };

describe('language and the no-writer message', () => {
  let server: LiveServer;
  let ingress: IngressProxy;
  let browser: Browser;

  beforeAll(async () => {
    server = await startLiveServer({ autoStartEngine: false });
    // A pipeline that publishes but whose program never connects: nothing feeds its transmission.
    expect((await server.request('PUT', '/api/streams/pipelines/yard', { nodes: [publishNode] })).status).toBeLessThan(300);
    ingress = await startIngressProxy(server.base);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await ingress?.close();
    await server?.close();
  });

  it.each([
    ['pt-BR', 'Transmissões', 'Transmitir esta fonte', 'Nenhuma pipeline está alimentando esta transmissão.'],
    ['en-US', 'Streams', 'Publish this source', 'No pipeline is feeding this transmission.'],
  ])('%s', async (locale, nav, publish, noWriter) => {
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
