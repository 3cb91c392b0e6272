import { describe, expect, it } from 'vitest';
import { ApiFailure, type api } from '../api/client.js';
import { createHomeAssistantStore, entitiesUnavailable, failureOf, maskStillUrl, maskStreamSource, provisionCamera, refreshHomeAssistant, removeEntry, type AddonStatus } from './home-assistant.js';

const READER_PASSWORD = 'p%40ss%3Aw%2Frd%231x';
const MEDIA_TOKEN = 'eyJ0IjoiYWJjIn0.c2lnbmF0dXJl';
const entry = { entry_id: '01JENTRY', publication_id: 'camera:front:main', title: 'Front', created_at: '2026-01-02T03:04:05.000Z' };

/** The server's answers, with what the tab does not read (unique ids, tokens, remove_url...). */
const status = (over: Partial<AddonStatus> = {}) => ({
  mode: 'addon',
  ingress: { enforced: true, trusted_peers: ['172.30.32.2'], prefix_seen: null },
  direct_port: { enabled: true, port: 8101 },
  supervisor: { url: 'http://supervisor', token_present: true },
  home_assistant_api: { reachable: true, status: 200, reason: null },
  addon_host: { host: 'a0d7b954-toposync-streaming', source: 'supervisor' },
  options: { path: '/data/options.json', loaded: true, overrides: [] },
  ...over,
});
const camera = (id: string, withEntry = false) => ({
  unique_id: `toposync_streaming:local:camera:${id}:main`,
  publication_id: `camera:${id}:main`,
  live_view_id: `camera:${id}`,
  camera_id: id,
  name: `Cam ${id}`,
  role: 'main',
  label: '',
  transmission_id: `tx-${id}`,
  output_id: 'main',
  engine_path: `cam/${id}/main`,
  stream_source: `rtsp://ha-reader:${READER_PASSWORD}@a0d7b954-toposync-streaming:8554/cam/${id}/main`,
  still_image_url: `http://a0d7b954-toposync-streaming:8101/api/streams/transmissions/tx-${id}/still.jpg?media_token=${MEDIA_TOKEN}`,
  entry: withEntry ? entry : null,
});
const cameraList = (cameras: unknown[], orphans: (typeof entry)[] = []) => ({
  addon_host: 'a0d7b954-toposync-streaming',
  addon_host_source: 'supervisor',
  rtsp_port: 8554,
  direct_port: 8101,
  reader: { username: 'ha-reader', has_password: true },
  cameras,
  orphaned_entries: orphans.map((e) => ({ ...e, remove_url: `/api/streams/home-assistant/cameras/entries/${e.entry_id}` })),
  warnings: [],
});

/** A server double for the store: answers by "METHOD path", records every call. */
function server(answers: Record<string, () => unknown>) {
  const calls: string[] = [];
  const call = (async <T>(path: string, init?: { method?: string }) => {
    const key = `${init?.method ?? 'GET'} ${path}`;
    calls.push(key);
    const answer = answers[key];
    if (!answer) throw new Error(`no answer for ${key}`);
    return answer() as T;
  }) as typeof api;
  return { call, calls };
}

const signal = () => new AbortController().signal;

describe('masking', () => {
  it('hides the RTSP reader password and keeps user, host, port and path', () => {
    expect(maskStreamSource(`rtsp://ha-reader:${READER_PASSWORD}@host:8554/cam/a/main`)).toBe('rtsp://ha-reader:•••@host:8554/cam/a/main');
    // An IPv6 host and a password with an encoded "@" do not confuse it.
    expect(maskStreamSource('rtsp://u:a%40b@[fd00::1]:8554/p')).toBe('rtsp://u:•••@[fd00::1]:8554/p');
    // Nothing to hide: no password, or no credentials at all.
    expect(maskStreamSource('rtsp://viewer@host:8554/p')).toBe('rtsp://viewer@host:8554/p');
    expect(maskStreamSource('rtsp://host:8554/p')).toBe('rtsp://host:8554/p');
    expect(maskStreamSource('rtsp://[fd00::1]:8554/p')).toBe('rtsp://[fd00::1]:8554/p');
  });

  it('hides the media token of the still image URL and keeps the rest', () => {
    expect(maskStillUrl(`http://h:8101/api/streams/transmissions/t/still.jpg?media_token=${MEDIA_TOKEN}`)).toBe('http://h:8101/api/streams/transmissions/t/still.jpg?media_token=•••');
    expect(maskStillUrl(`http://h/still.jpg?x=1&media_token=${MEDIA_TOKEN}&y=2`)).toBe('http://h/still.jpg?x=1&media_token=•••&y=2');
  });
});

describe('home assistant store', () => {
  it('keeps the status and the list, secrets masked before they reach the state', async () => {
    const store = createHomeAssistantStore();
    const { call } = server({
      'GET api/streams/addon': () => status(),
      'GET api/streams/home-assistant/cameras': () => cameraList([camera('front', true), camera('yard')], [{ ...entry, entry_id: 'OLD', publication_id: 'camera:gone:main' }]),
    });
    await refreshHomeAssistant(store, signal(), call);
    const state = store.get();
    expect(state.status).toEqual({ mode: 'addon', supervisor: { token_present: true }, home_assistant_api: { reachable: true, status: 200, reason: null } });
    expect(state.list?.cameras[1]).toEqual({
      publication_id: 'camera:yard:main',
      camera_id: 'yard',
      name: 'Cam yard',
      role: 'main',
      label: '',
      stream_source: 'rtsp://ha-reader:•••@a0d7b954-toposync-streaming:8554/cam/yard/main',
      still_image_url: 'http://a0d7b954-toposync-streaming:8101/api/streams/transmissions/tx-yard/still.jpg?media_token=•••',
      entry: null,
    });
    expect(state.list?.cameras[0]?.entry).toEqual(entry);
    expect(state.list?.orphaned_entries).toEqual([{ ...entry, entry_id: 'OLD', publication_id: 'camera:gone:main' }]);
    const text = JSON.stringify(state);
    expect(text).not.toContain(READER_PASSWORD);
    expect(text).not.toContain(MEDIA_TOKEN);
    expect(state.error).toBeNull();
  });

  it('one request failing keeps the other answer and the last good one; an abort changes nothing', async () => {
    const store = createHomeAssistantStore();
    await refreshHomeAssistant(store, signal(), server({ 'GET api/streams/home-assistant/cameras': () => cameraList([camera('front')]) }).call);
    expect(store.get()).toMatchObject({ status: null, error: 'no answer for GET api/streams/addon' });
    expect(store.get().list?.cameras).toHaveLength(1);

    await refreshHomeAssistant(store, signal(), server({ 'GET api/streams/addon': () => status({ mode: 'dev' }) }).call);
    expect(store.get().status?.mode).toBe('dev');
    expect(store.get().list?.cameras).toHaveLength(1);

    const aborted = new AbortController();
    aborted.abort();
    const before = store.get();
    await refreshHomeAssistant(store, aborted.signal, server({}).call);
    expect(store.get()).toBe(before);
  });

  it('entities cannot be created outside add-on mode nor without a Supervisor token; unknown is not a refusal', () => {
    const known = (over: Partial<AddonStatus>) => ({ mode: 'addon' as const, supervisor: { token_present: true }, home_assistant_api: { reachable: true, status: 200, reason: null }, ...over });
    expect(entitiesUnavailable(null)).toBeNull();
    expect(entitiesUnavailable(known({}))).toBeNull();
    expect(entitiesUnavailable(known({ mode: 'dev' }))).toBe('not_addon');
    expect(entitiesUnavailable(known({ supervisor: { token_present: false } }))).toBe('no_supervisor');
  });

  it('"Create entity" posts to the publication, is busy until the list is reloaded, and keeps the report', async () => {
    const store = createHomeAssistantStore();
    let provisioned = false;
    let release!: () => void;
    const report = {
      publication_id: 'camera:yard:main',
      flow_id: 'f1',
      entry_id: '01JNEW',
      title: 'Cam yard',
      steps: [{ step: 'start_flow', request: 'POST /api/config/config_entries/flow', status: 200, result: 'form user' }],
      warnings: [],
    };
    const { call, calls } = server({
      'POST api/streams/home-assistant/cameras/camera%3Ayard%3Amain/provision': () => {
        provisioned = true;
        return report;
      },
      'GET api/streams/addon': () => status(),
      'GET api/streams/home-assistant/cameras': () => cameraList([camera('yard', provisioned)]),
    });
    const slow = (async <T>(path: string, init?: { method?: string }) => {
      if (init?.method === 'POST') await new Promise<void>((r) => (release = r));
      return call<T>(path, init);
    }) as typeof api;

    const pending = provisionCamera(store, 'camera:yard:main', signal(), slow);
    expect(store.get().busy).toEqual({ action: 'provision', target: 'camera:yard:main' });
    // A second click while one runs does nothing.
    await removeEntry(store, 'X', signal(), slow);
    release();
    await pending;
    expect(calls).toEqual(['POST api/streams/home-assistant/cameras/camera%3Ayard%3Amain/provision', 'GET api/streams/addon', 'GET api/streams/home-assistant/cameras']);
    expect(store.get()).toMatchObject({ busy: null, last: { kind: 'created', action: 'provision', target: 'camera:yard:main', report } });
    expect(store.get().list?.cameras[0]?.entry).toEqual(entry);
  });

  it('a 502 keeps the failing step and every step made; a 409 the entry it names; the list is reloaded either way', async () => {
    const store = createHomeAssistantStore();
    const steps = [
      { step: 'start_flow', request: 'POST /api/config/config_entries/flow', status: 200, result: 'form user' },
      { step: 'user', request: 'POST /api/config/config_entries/flow/f1', status: 200, result: 'form user' },
      { step: 'abort_flow', request: 'DELETE /api/config/config_entries/flow/f1', status: 200, result: '' },
    ];
    const refused = new ApiFailure(502, 'home_assistant_error', 'Home Assistant, step "user": Home Assistant refused the input: {"stream_source":"stream_unauthorised"}', null, {
      step: 'user',
      flow_id: 'f1',
      steps,
    });
    const { call, calls } = server({
      'POST api/streams/home-assistant/cameras/cam/provision': () => {
        throw refused;
      },
      'GET api/streams/addon': () => status(),
      'GET api/streams/home-assistant/cameras': () => cameraList([]),
    });
    await provisionCamera(store, 'cam', signal(), call);
    expect(store.get().last).toEqual({
      kind: 'failed',
      action: 'provision',
      target: 'cam',
      failure: { status: 502, code: 'home_assistant_error', message: refused.message, step: 'user', entry_id: null, steps },
    });
    expect(calls).toHaveLength(3);

    expect(failureOf(new ApiFailure(409, 'already_provisioned', 'cam already has the Home Assistant entry E1; remove it first', 'publication_id', { entry_id: 'E1' }))).toEqual({
      status: 409,
      code: 'already_provisioned',
      message: 'cam already has the Home Assistant entry E1; remove it first',
      step: null,
      entry_id: 'E1',
      steps: [],
    });
    // The server not reached at all.
    expect(failureOf(new TypeError('Failed to fetch'))).toMatchObject({ status: null, code: 'unreachable', message: 'Failed to fetch' });
  });

  it('"Remove entity" deletes the entry and keeps the removal report once the orphan is gone', async () => {
    const store = createHomeAssistantStore();
    let removed = false;
    const removal = {
      entry_id: 'OLD',
      publication_id: 'camera:gone:main',
      already_removed: false,
      require_restart: false,
      steps: [{ step: 'remove_entry', request: 'DELETE /api/config/config_entries/entry/OLD', status: 200, result: 'removed' }],
    };
    const { call, calls } = server({
      'DELETE api/streams/home-assistant/cameras/entries/OLD': () => {
        removed = true;
        return removal;
      },
      'GET api/streams/addon': () => status(),
      'GET api/streams/home-assistant/cameras': () => cameraList([], removed ? [] : [{ ...entry, entry_id: 'OLD' }]),
    });
    await refreshHomeAssistant(store, signal(), call);
    expect(store.get().list?.orphaned_entries).toHaveLength(1);
    await removeEntry(store, 'OLD', signal(), call);
    expect(calls.filter((c) => !c.startsWith('GET'))).toEqual(['DELETE api/streams/home-assistant/cameras/entries/OLD']);
    expect(store.get()).toMatchObject({ busy: null, last: { kind: 'removed', action: 'remove', target: 'OLD', report: removal } });
    expect(store.get().list?.orphaned_entries).toEqual([]);
  });
});
