/**
 * Settings → Home Assistant in Debian's Chromium, against the real server in add-on mode behind the
 * ingress stand-in, with the Supervisor/Core test double (not Home Assistant itself) answering the
 * config flow. Ingress trust stays on: the server is told to trust the loopback peer
 * (`trustedPeers`, the factory option meant for tests), which is where the ingress stand-in
 * connects from, as the real proxy does from 172.30.32.2.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddonConfig } from '../../src/addon/index.js';
import { call, LOOPBACK_PEERS, startAddonServer, type AddonServer } from '../addon/harness.js';
import { startSupervisorDouble, type SupervisorDouble } from '../doubles/supervisor/server.js';
import { ARTIFACTS, openPage } from './browser.js';
import { rigAround, type Rig } from './rig.js';

const SUPERVISOR_TOKEN = 'sup-T0ken-browser';
const READER_PASSWORD = 'R3ader!pass';
const FRONT = 'camera:front:main';
const YARD = 'camera:yard:main';
const camera = (id: string) => `[data-testid="ha-camera"][data-publication="camera:${id}:main"]`;

async function addCamera(base: string, id: string) {
  const res = await call(base, 'POST', '/api/cameras', { body: { id, name: `Cam ${id}`, sources: [{ id: 'main', url: `rtsp://192.0.2.50/${id}`, username: 'admin', password: 'Camera-S3cret' }] } });
  expect(res.status).toBe(201);
}

type Panel = Rig<AddonServer>;

/** The add-on harness's server with `config`, behind the ingress stand-in, and Chromium. */
async function startPanel(config: AddonConfig): Promise<Panel> {
  const server = await startAddonServer(config);
  return rigAround(server, server.ingress);
}

/** The tab loads once when shown: leaving it and coming back reads the list again, as a user would after editing cameras. */
async function openTab(page: Page) {
  await page.click('[data-testid="settings-tab-cameras"]');
  await page.click('[data-testid="settings-tab-home-assistant"]');
}

/** Chromium logs every non-2xx fetch as a console error; the 502 this test provokes is expected. */
const unexpected = (errors: string[]) => errors.filter((e) => !/status of 502 .*\/camera%3Ayard%3Amain\/provision\)$/.test(e));

describe('Home Assistant entities from the settings UI (add-on mode)', () => {
  let double: SupervisorDouble;
  let panel: Panel;

  beforeAll(async () => {
    // Core fetches the still from the add-on's host name; the double says loopback.
    double = await startSupervisorDouble({ token: SUPERVISOR_TOKEN, hostname: '127.0.0.1' });
    panel = await startPanel({
      mode: 'addon',
      trustedPeers: LOOPBACK_PEERS,
      supervisorToken: SUPERVISOR_TOKEN,
      supervisorUrl: double.url,
      options: { rtsp_reader_username: 'ha-reader', rtsp_reader_password: READER_PASSWORD },
    });
    for (const id of ['front', 'yard']) await addCamera(panel.server.ingress, id);
  });
  afterAll(async () => {
    await panel?.close();
    await double?.close();
  });

  it('lists the published cameras with secrets masked; Create entity runs the config flow; an orphaned entry is removed', async () => {
    const { server, ingress, browser } = panel;
    const { page, errors } = await openPage(browser, `${ingress.url}#/settings`);
    await page.click('[data-testid="settings-tab-home-assistant"]');
    await page.waitForSelector(camera('front'), { timeout: 10_000 });
    expect(await page.isVisible('[data-testid="ha-unavailable"]')).toBe(false);

    // The stream address as Home Assistant gets it, the reader's password masked; the still without its token.
    const listed = (await call(server.ingress, 'GET', '/api/streams/home-assistant/cameras')).json;
    const front = listed.cameras.find((c: { publication_id: string }) => c.publication_id === FRONT);
    expect(await page.textContent(`${camera('front')} [data-testid="ha-stream-source"]`)).toBe(`rtsp://ha-reader:•••@127.0.0.1:8554/${front.engine_path}`);
    const html = await page.content();
    expect(html).not.toContain(READER_PASSWORD);
    expect(html).not.toContain(encodeURIComponent(READER_PASSWORD));
    expect(html).not.toContain(new URL(front.still_image_url).searchParams.get('media_token'));
    expect(html).not.toContain('Camera-S3cret');

    // Home Assistant refuses the stream: a 502 naming the step, every request shown, the flow aborted.
    double.set({ streamError: 'stream_unauthorised' });
    await page.click(`[data-testid="ha-provision"][data-publication="${YARD}"]`);
    const failed = `${camera('yard')} [data-testid="ha-result"][data-outcome="failed"]`;
    await page.waitForSelector(failed, { timeout: 15_000 });
    double.set({ streamError: null });
    expect(await page.getAttribute(failed, 'data-step')).toBe('user');
    expect(await page.textContent(failed)).toContain('Failed at step "user"');
    expect(await page.$$eval(`${failed} [data-testid="ha-steps"] tbody tr`, (rows) => rows.map((r) => r.getAttribute('data-step')))).toEqual(['start_flow', 'user', 'abort_flow']);
    expect(double.openFlows()).toEqual([]);

    // Create entity: the double receives Generic Camera's flow; the UI shows the entry it made.
    const before = double.requests.length;
    await page.click(`[data-testid="ha-provision"][data-publication="${FRONT}"]`);
    const created = `${camera('front')} [data-testid="ha-result"][data-outcome="created"]`;
    await page.waitForSelector(created, { timeout: 15_000 });
    const made = double.requests.slice(before).filter((r) => r.method !== 'WS');
    expect(made.map((r) => `${r.method} ${r.path.replace(/[0-9a-f]{32}$/, '<flow>')}`)).toEqual([
      'POST /core/api/config/config_entries/flow',
      'POST /core/api/config/config_entries/flow/<flow>',
      'POST /core/api/config/config_entries/flow/<flow>',
    ]);
    expect(made[0]?.body).toEqual({ handler: 'generic', show_advanced_options: false });
    expect(made[1]?.body).toMatchObject({ stream_source: front.stream_source });
    const [entryId, entry] = [...double.entries].find(([, e]) => e.title === 'Cam front') ?? [];
    expect(entry).toMatchObject({ domain: 'generic' });
    expect(await page.getAttribute(`${camera('front')} [data-testid="ha-entry"]`, 'data-entry')).toBe(entryId);
    expect(await page.textContent(created)).toContain(`Entity created: "Cam front" (config entry ${entryId}).`);
    expect(await page.isVisible(`[data-testid="ha-provision"][data-publication="${FRONT}"]`)).toBe(false);
    await page.screenshot({ path: join(ARTIFACTS, 'home-assistant.png'), fullPage: true });

    // The source stops being published (API): its entry is offered for removal.
    const unpublished = await call(server.ingress, 'PUT', '/api/cameras/front', { body: { name: 'Cam front', sources: [{ id: 'main', url: 'rtsp://192.0.2.50/front', publish: false }] } });
    expect(unpublished.status).toBe(200);
    await openTab(page);
    const orphan = `[data-testid="ha-orphan"][data-entry="${entryId}"]`;
    await page.waitForSelector(orphan, { timeout: 10_000 });
    expect(await page.isVisible(camera('front'))).toBe(false);
    expect(await page.textContent(orphan)).toContain(FRONT);

    await page.click(`[data-testid="ha-remove-entry"][data-entry="${entryId}"]`);
    await page.waitForSelector('[data-testid="ha-result"][data-outcome="removed"]', { timeout: 10_000 });
    expect(double.requests.at(-1)).toMatchObject({ method: 'DELETE', path: `/core/api/config/config_entries/entry/${entryId}`, authorization: `Bearer ${SUPERVISOR_TOKEN}` });
    expect(double.entries.has(entryId!)).toBe(false);
    expect(await page.isVisible(orphan)).toBe(false);
    expect(server.streaming.store.get().home_assistant.entries).toEqual([]);

    expect(await page.content()).not.toContain(READER_PASSWORD);
    expect(unexpected(errors)).toEqual([]);
    await page.context().close();
  });
});

describe('Home Assistant tab outside add-on mode', () => {
  let panel: Panel;

  beforeAll(async () => {
    panel = await startPanel({});
    await addCamera(panel.server.ingress, 'porch');
  });
  afterAll(async () => {
    await panel?.close();
  });

  it('lists what the add-on would offer, says entities need the add-on, and offers no button that cannot work', async () => {
    const { page, errors } = await openPage(panel.browser, `${panel.ingress.url}#/settings`);
    await page.click('[data-testid="settings-tab-home-assistant"]');
    await page.waitForSelector(camera('porch'), { timeout: 10_000 });
    await page.waitForSelector('[data-testid="ha-unavailable"][data-reason="not_addon"]');
    expect(await page.textContent('[data-testid="ha-unavailable"]')).toContain('only the add-on can create them');
    expect(await page.isDisabled('[data-testid="ha-provision"][data-publication="camera:porch:main"]')).toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
