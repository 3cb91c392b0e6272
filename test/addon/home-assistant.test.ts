import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSupervisorDouble, type SupervisorDouble } from '../doubles/supervisor/server.js';
import { call, LOOPBACK_PEERS, startAddonServer, type AddonServer } from './harness.js';

const SUPERVISOR_TOKEN = 'sup-T0ken-for-tests';
const READER_PASSWORD = 'p@ss:w/rd#1x';
const CAMERA_PASSWORD = 'Camera-S3cret-99';
const PUB = (camera: string) => `camera:${camera}:main`;
const enc = encodeURIComponent;

let double: SupervisorDouble;
let s: AddonServer;

async function addCamera(id: string) {
  const res = await call(s.ingress, 'POST', '/api/cameras', {
    body: { id, name: `Cam ${id}`, sources: [{ id: 'main', url: `rtsp://192.0.2.50/${id}`, username: 'admin', password: CAMERA_PASSWORD }] },
  });
  expect(res.status).toBe(201);
}
const list = async () => (await call(s.ingress, 'GET', '/api/streams/home-assistant/cameras')).json;
const provision = (id: string) => call(s.ingress, 'POST', `/api/streams/home-assistant/cameras/${enc(PUB(id))}/provision`);

beforeAll(async () => {
  // Home Assistant Core fetches the still from the add-on's host name; here the double says loopback.
  double = await startSupervisorDouble({ token: SUPERVISOR_TOKEN, hostname: '127.0.0.1' });
  s = await startAddonServer({
    mode: 'addon',
    trustedPeers: LOOPBACK_PEERS,
    supervisorToken: SUPERVISOR_TOKEN,
    supervisorUrl: double.url,
    options: { rtsp_reader_username: 'ha-reader', rtsp_reader_password: READER_PASSWORD },
  });
  for (const id of ['front', 'yard', 'gate', 'shed']) await addCamera(id);
});
afterAll(async () => {
  await s.close();
  await double.close();
});
afterEach(() => double.set({ streamError: null, form: 'sections' }));

it('GET /api/streams/addon: add-on mode, Core reachable through Supervisor, the options applied; no secret', async () => {
  const res = await call(s.ingress, 'GET', '/api/streams/addon');
  expect(res.json).toMatchObject({
    mode: 'addon',
    direct_port: { enabled: true, port: s.directPort },
    supervisor: { url: double.url, token_present: true },
    home_assistant_api: { reachable: true, status: 200, reason: null },
    addon_host: { host: '127.0.0.1', source: 'supervisor' },
    options: { loaded: true, overrides: ['lan_reader.username', 'lan_reader.password'] },
  });
  expect(res.buf.toString()).not.toContain(SUPERVISOR_TOKEN);
  expect(res.buf.toString()).not.toContain(READER_PASSWORD);
  expect(res.buf.toString()).not.toContain(s.apiToken());
});

describe('GET /api/streams/home-assistant/cameras', () => {
  it('lists every published variant shown in Home Assistant, with the add-on host from Supervisor', async () => {
    const body = await list();
    expect(body).toMatchObject({
      addon_host: '127.0.0.1',
      addon_host_source: 'supervisor',
      rtsp_port: 8554,
      direct_port: s.directPort,
      reader: { username: 'ha-reader', has_password: true },
      warnings: [],
    });
    expect(body.cameras.map((c: { publication_id: string }) => c.publication_id)).toEqual(['front', 'yard', 'gate', 'shed'].map(PUB));
    expect(double.requests.find((r) => r.path === '/addons/self/info')?.authorization).toBe(`Bearer ${SUPERVISOR_TOKEN}`);
  });

  it('stream_source carries the reader credentials, URL-encoded, and never the camera credentials', async () => {
    const res = await call(s.ingress, 'GET', '/api/streams/home-assistant/cameras');
    const front = res.json.cameras[0];
    expect(front.stream_source).toBe(`rtsp://ha-reader:${enc(READER_PASSWORD)}@127.0.0.1:8554/${front.engine_path}`);
    expect(new URL(front.stream_source).password).toBe(enc(READER_PASSWORD));
    const text = res.buf.toString();
    expect(text).not.toContain(CAMERA_PASSWORD);
    expect(text).not.toContain('admin');
    expect(text).not.toContain('192.0.2.50');
  });

  it('still_image_url points at the direct port with a long-lived token that opens that still', async () => {
    const front = (await list()).cameras[0];
    const url = new URL(front.still_image_url);
    expect(`${url.origin}${url.pathname}`).toBe(`http://127.0.0.1:${s.directPort}/api/streams/transmissions/${front.transmission_id}/still.jpg`);
    const payload = JSON.parse(Buffer.from(url.searchParams.get('media_token')!.split('.')[0]!, 'base64url').toString());
    expect(payload).toMatchObject({ t: front.transmission_id, x: 'still' });
    expect(payload.e * 1000 - Date.now()).toBeGreaterThan(5 * 365 * 24 * 3600 * 1000);
    const still = await call(front.still_image_url, 'GET', '');
    expect(still.status).toBe(200);
    expect(still.headers.get('content-type')).toBe('image/jpeg');
  });

  it('leaves out a variant hidden from Home Assistant', async () => {
    await call(s.ingress, 'PUT', '/api/streams/publications/camera-sources/shed/main', { body: { show_in_home_assistant: false } });
    expect((await list()).cameras.map((c: { camera_id: string }) => c.camera_id)).not.toContain('shed');
  });
});

describe('POST .../cameras/{publication_id}/provision against the Supervisor/Core double', () => {
  it('creates the Generic Camera entry through the config flow and reports each step', async () => {
    const before = double.requests.length;
    const res = await provision('front');
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(res.json).toMatchObject({ publication_id: PUB('front'), title: 'Cam front', warnings: [] });
    expect(res.json.steps.map((st: { step: string; status: number | null; result: string }) => [st.step, st.status, st.result])).toEqual([
      ['start_flow', 200, 'form user'],
      ['user', 200, 'form user_confirm'],
      ['user_confirm', 200, 'create_entry'],
      ['rename', null, 'ok'],
    ]);
    const made = double.requests.slice(before);
    expect(made.filter((r) => r.method !== 'WS').every((r) => r.authorization === `Bearer ${SUPERVISOR_TOKEN}`)).toBe(true);
    expect(made[0]).toMatchObject({ method: 'POST', path: '/core/api/config/config_entries/flow', body: { handler: 'generic', show_advanced_options: false } });
    const front = (await list()).cameras[0];
    // The form as Home Assistant serves it since 2026.1: ffmpeg options inside the "advanced" section.
    expect(made[1]).toMatchObject({
      method: 'POST',
      path: `/core/api/config/config_entries/flow/${res.json.flow_id}`,
      body: {
        still_image_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/api\/streams\/transmissions\/.+\/still\.jpg\?media_token=/),
        stream_source: front.stream_source,
        authentication: 'basic',
        advanced: { rtsp_transport: 'tcp', framerate: 2, verify_ssl: true },
      },
    });
    expect(made[2]).toMatchObject({ body: { confirmed_ok: true } });
    // Core really fetched the still from the direct port, with the token in the URL.
    expect(double.stillFetches.at(-1)).toEqual({ status: 200, jpeg: true });
    expect(double.entries.get(res.json.entry_id)).toMatchObject({ domain: 'generic', title: 'Cam front' });
    expect(double.openFlows()).toEqual([]);
    expect(front.entry).toMatchObject({ entry_id: res.json.entry_id, publication_id: PUB('front'), title: 'Cam front' });
    expect(s.streaming.store.get().home_assistant.entries.map((e) => e.entry_id)).toEqual([res.json.entry_id]);
  });

  it('fills the older flat form too', async () => {
    double.set({ form: 'flat' });
    const before = double.requests.length;
    const res = await provision('gate');
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(double.requests[before + 1]?.body).toMatchObject({ rtsp_transport: 'tcp', framerate: 2, verify_ssl: true });
  });

  it('refuses a second entity for the same publication (409, naming the entry)', async () => {
    const res = await provision('front');
    expect(res.status).toBe(409);
    expect(res.json.error).toMatchObject({ code: 'already_provisioned', entry_id: (await list()).cameras[0].entry.entry_id });
  });

  it('an error from Home Assistant is a 502 naming the step; the flow is aborted, nothing is remembered', async () => {
    double.set({ streamError: 'stream_unauthorised' });
    const res = await provision('yard');
    expect(res.status).toBe(502);
    expect(res.json.error).toMatchObject({ code: 'home_assistant_error', step: 'user' });
    expect(res.json.error.message).toMatch(/^Home Assistant, step "user": Home Assistant refused the input: .*stream_unauthorised/);
    expect(res.json.error.steps.map((st: { step: string }) => st.step)).toEqual(['start_flow', 'user', 'abort_flow']);
    expect(double.requests.at(-1)).toMatchObject({ method: 'DELETE', path: `/core/api/config/config_entries/flow/${res.json.error.flow_id}` });
    expect(double.openFlows()).toEqual([]);
    expect((await list()).cameras.find((c: { camera_id: string }) => c.camera_id === 'yard').entry).toBeNull();
    expect(res.buf.toString()).not.toContain(enc(READER_PASSWORD));
  });

  it('an unknown or hidden publication is a 404', async () => {
    expect((await provision('nope')).status).toBe(404);
    expect((await provision('shed')).status).toBe(404);
  });
});

describe('removing the publication offers to remove the entity', () => {
  it('an entity whose publication is gone is listed as orphaned and removed through Core', async () => {
    const entryId = (await list()).cameras[0].entry.entry_id as string;
    // The camera source stops being published.
    await call(s.ingress, 'PUT', '/api/cameras/front', { body: { name: 'Cam front', sources: [{ id: 'main', url: 'rtsp://192.0.2.50/front', publish: false }] } });
    const body = await list();
    expect(body.cameras.map((c: { camera_id: string }) => c.camera_id)).not.toContain('front');
    expect(body.orphaned_entries).toEqual([expect.objectContaining({ entry_id: entryId, publication_id: PUB('front'), remove_url: `/api/streams/home-assistant/cameras/entries/${entryId}` })]);

    const res = await call(s.ingress, 'DELETE', body.orphaned_entries[0].remove_url);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ entry_id: entryId, publication_id: PUB('front'), already_removed: false, require_restart: false, steps: [{ step: 'remove_entry', status: 200 }] });
    expect(double.requests.at(-1)).toMatchObject({ method: 'DELETE', path: `/core/api/config/config_entries/entry/${entryId}`, authorization: `Bearer ${SUPERVISOR_TOKEN}` });
    expect(double.entries.has(entryId)).toBe(false);
    expect((await list()).orphaned_entries).toEqual([]);
    expect((await call(s.ingress, 'DELETE', `/api/streams/home-assistant/cameras/entries/${entryId}`)).status).toBe(404);
  });

  it('an entry already removed in Home Assistant is forgotten all the same', async () => {
    const gate = (await list()).cameras.find((c: { camera_id: string }) => c.camera_id === 'gate');
    await call(s.ingress, 'DELETE', '/api/cameras/gate');
    double.entries.delete(gate.entry.entry_id);
    const res = await call(s.ingress, 'DELETE', `/api/streams/home-assistant/cameras/entries/${gate.entry.entry_id}`);
    expect(res.json).toMatchObject({ already_removed: true });
    expect(s.streaming.store.get().home_assistant.entries).toEqual([]);
  });

  it('refuses to remove an entry this add-on did not create, without asking Core', async () => {
    const before = double.requests.length;
    const res = await call(s.ingress, 'DELETE', '/api/streams/home-assistant/cameras/entries/SOMEONE_ELSES');
    expect(res.status).toBe(404);
    expect(double.requests.length).toBe(before);
  });
});

describe('provisioning preconditions', () => {
  it('a token Supervisor refuses: 502 naming the first step, with the hint', async () => {
    const other = await startAddonServer({ mode: 'addon', trustedPeers: LOOPBACK_PEERS, supervisorToken: 'wrong', supervisorUrl: double.url, options: { rtsp_reader_password: READER_PASSWORD } });
    try {
      await call(other.ingress, 'POST', '/api/cameras', { body: { id: 'x', name: 'X', sources: [{ id: 'main', url: 'rtsp://192.0.2.50/x' }] } });
      const res = await call(other.ingress, 'POST', `/api/streams/home-assistant/cameras/${enc(PUB('x'))}/provision`);
      expect(res.status).toBe(502);
      expect(res.json.error).toMatchObject({ step: 'start_flow' });
      expect(res.json.error.message).toContain('HTTP 401');
      expect(res.json.error.message).toContain('homeassistant_api');
      // The host name fell back too (Supervisor refused that as well).
      expect((await call(other.ingress, 'GET', '/api/streams/home-assistant/cameras')).json.addon_host_source).toBe('fallback');
    } finally {
      await other.close();
    }
  });

  it("an empty reader password option means the server's generated one; no reader at all: 409; no Supervisor: 503", async () => {
    const generated = await startAddonServer({ mode: 'addon', trustedPeers: LOOPBACK_PEERS, supervisorToken: SUPERVISOR_TOKEN, supervisorUrl: double.url, options: { rtsp_reader_password: '' } });
    const noReader = await startAddonServer({ mode: 'addon', trustedPeers: LOOPBACK_PEERS, supervisorToken: SUPERVISOR_TOKEN, supervisorUrl: double.url });
    const dev = await startAddonServer({});
    try {
      for (const srv of [generated, noReader, dev]) await call(srv.ingress, 'POST', '/api/cameras', { body: { id: 'x', name: 'X', sources: [{ id: 'main', url: 'rtsp://192.0.2.50/x' }] } });
      const secret = readFileSync(join(generated.dataDir, 'secrets', 'rtsp-reader.password')).toString('base64url');
      const list = (await call(generated.ingress, 'GET', '/api/streams/home-assistant/cameras')).json;
      expect(new URL(list.cameras[0].stream_source).password).toBe(enc(secret));
      expect(list.warnings.filter((w: string) => w.startsWith('rtsp_reader_password'))).toEqual([]);

      // Start-up always sets a reader password and the API cannot clear it; the guard is for the type, which allows null.
      await noReader.streaming.store.update((d) => {
        d.streaming.lan_reader.password = null;
      });
      const a = await call(noReader.ingress, 'POST', `/api/streams/home-assistant/cameras/${enc(PUB('x'))}/provision`);
      expect(a.status).toBe(409);
      expect(a.json.error).toMatchObject({ code: 'reader_password_required', field: 'rtsp_reader_password' });
      expect((await call(noReader.ingress, 'GET', '/api/streams/home-assistant/cameras')).json.warnings[0]).toMatch(/^rtsp_reader_password is empty/);
      const b = await call(dev.ingress, 'POST', `/api/streams/home-assistant/cameras/${enc(PUB('x'))}/provision`);
      expect(b.status).toBe(503);
      expect(b.json.error.code).toBe('no_supervisor');
    } finally {
      await generated.close();
      await noReader.close();
      await dev.close();
    }
  });
});

it('the Supervisor token and the reader password never reach the log', () => {
  for (const line of s.logs) {
    expect(line).not.toContain(SUPERVISOR_TOKEN);
    expect(line).not.toContain(READER_PASSWORD);
    expect(line).not.toContain(enc(READER_PASSWORD));
  }
});
