import { describe, expect, it } from 'vitest';
import type { DiscoveredDevice, DiscoveryScan, OnvifImportPreview } from '../../../src/api/contract.js';
import { ApiFailure, type api } from '../api/client.js';
import { cameraBody } from './cameras.js';
import { createDiscovery, importBody, previewToCameraForm, targetOfDevice, toDiscoveryError, type Schedule } from './discovery.js';

const device: DiscoveredDevice = {
  endpoint: 'urn:uuid:1b9e6f3a-0000-4000-8000-000000000001',
  host: '127.0.0.1',
  port: 8080,
  device_url: 'http://127.0.0.1:8080/onvif/device_service',
  name: 'Porch',
  hardware: 'IPC-1',
  camera_id: null,
};
const scan = (state: DiscoveryScan['state'], devices: DiscoveredDevice[], error: string | null = null): DiscoveryScan => ({
  id: 'scan-1',
  state,
  started_at: '2026-01-02T03:04:05.000Z',
  ends_at: '2026-01-02T03:04:08.000Z',
  devices,
  error,
});
const dryRun: OnvifImportPreview = {
  device: { manufacturer: 'Acme', model: 'IPC-1', firmware: '1.0', serial: 'S1' },
  profiles: [
    {
      token: 'prof_main',
      name: 'MainStream',
      encoding: 'H264',
      width: 1920,
      height: 1080,
      fps: 25,
      role: 'main',
      stream_url: 'rtsp://127.0.0.1:8554/main',
      snapshot_url: 'http://127.0.0.1:8080/snap/main.jpg',
    },
    { token: 'prof_sub', name: 'SubStream', encoding: 'H264', width: 640, height: 360, fps: 15, role: 'sub', stream_url: 'rtsp://127.0.0.1:8554/sub', snapshot_url: null },
  ],
  camera: {
    name: 'Porch',
    sources: [
      { id: 'main', role: 'main', label: 'MainStream', url: 'rtsp://127.0.0.1:8554/main', publish: true, snapshot_url: 'http://127.0.0.1:8080/snap/main.jpg', onvif_profile: 'prof_main' },
      { id: 'sub', role: 'sub', label: 'SubStream', url: 'rtsp://127.0.0.1:8554/sub', publish: true, snapshot_url: null, onvif_profile: 'prof_sub' },
    ],
  },
};

/** A server double: answers in turn per "METHOD path" (a function throws to fail), records every call with its body. */
function server(answers: Record<string, (() => unknown)[]>) {
  const calls: { key: string; body: unknown }[] = [];
  const call = (async <T>(path: string, init?: { method?: string; body?: unknown }) => {
    const key = `${init?.method ?? 'GET'} ${path}`;
    calls.push({ key, body: init?.body });
    const answer = answers[key]?.shift();
    if (!answer) throw new Error(`no answer for ${key}`);
    return answer() as T;
  }) as typeof api;
  return { call, calls };
}

/** A clock the test turns by hand: `fire` runs what is due and waits for the polls it made. */
function manualSchedule() {
  const pending: { fn: () => Promise<void>; ms: number; cancelled: boolean }[] = [];
  const schedule: Schedule = (fn, ms) => {
    const entry = { fn, ms, cancelled: false };
    pending.push(entry);
    return () => {
      entry.cancelled = true;
    };
  };
  const live = () => pending.filter((p) => !p.cancelled);
  const fire = async () => {
    const due = live();
    pending.length = 0;
    await Promise.all(due.map((p) => p.fn()));
  };
  return { schedule, live, fire };
}

describe('discovery store: scanning', () => {
  it('scans, polls the running scan at the poll interval, shows devices as they come, and stops when done', async () => {
    const other = { ...device, endpoint: 'urn:uuid:other', host: '127.0.0.2', name: null, camera_id: 'garage' };
    const { call, calls } = server({
      'POST api/cameras/discover': [() => scan('running', [])],
      'GET api/cameras/discover/scan-1': [() => scan('running', [device]), () => scan('done', [device, other])],
    });
    const clock = manualSchedule();
    const d = createDiscovery({ call, schedule: clock.schedule, pollMs: 500 });

    await d.scan();
    expect(d.store.get()).toMatchObject({ scanning: true, scanError: null, scan: { state: 'running', devices: [] } });
    expect(clock.live().map((p) => p.ms)).toEqual([500]);

    await clock.fire();
    expect(d.store.get().scan?.devices).toEqual([device]);
    expect(d.store.get().scanning).toBe(true);

    await clock.fire();
    expect(d.store.get()).toMatchObject({ scanning: false, scanError: null });
    expect(d.store.get().scan?.devices.map((x) => [x.name, x.camera_id])).toEqual([
      ['Porch', null],
      [null, 'garage'],
    ]);
    // Done: no timer left behind.
    expect(clock.live()).toEqual([]);
    expect(calls.map((c) => c.key)).toEqual(['POST api/cameras/discover', 'GET api/cameras/discover/scan-1', 'GET api/cameras/discover/scan-1']);
  });

  it('a scan that ends with an error (no multicast) says so; a failed request does too, and stops polling', async () => {
    const { call } = server({
      'POST api/cameras/discover': [() => scan('done', [], 'send EPERM 239.255.255.250:3702'), () => scan('running', [])],
      'GET api/cameras/discover/scan-1': [
        () => {
          throw new ApiFailure(500, 'internal', 'boom', null);
        },
      ],
    });
    const clock = manualSchedule();
    const d = createDiscovery({ call, schedule: clock.schedule });
    await d.scan();
    expect(d.store.get()).toMatchObject({ scanning: false, scanError: { kind: 'scan', message: 'send EPERM 239.255.255.250:3702' } });
    expect(clock.live()).toEqual([]);

    await d.scan();
    expect(d.store.get().scanError).toBeNull();
    await clock.fire();
    expect(d.store.get()).toMatchObject({ scanning: false, scanError: { kind: 'other', message: 'boom' } });
    expect(clock.live()).toEqual([]);
  });

  it('dispose cancels the timer and drops an answer still on its way', async () => {
    let answer: (s: DiscoveryScan) => void = () => undefined;
    const call = (async () => new Promise<DiscoveryScan>((resolve) => (answer = resolve))) as typeof api;
    const clock = manualSchedule();
    const d = createDiscovery({ call, schedule: clock.schedule });
    const pending = d.scan();
    d.dispose();
    answer(scan('running', [device]));
    await pending;
    expect(d.store.get().scan).toBeNull();
    expect(clock.live()).toEqual([]);
  });
});

describe('discovery store: import', () => {
  it('a found device becomes the import target with its device path; the address form sends what was typed', () => {
    expect(targetOfDevice(device)).toEqual({ host: '127.0.0.1', port: '8080', devicePath: '/onvif/device_service', name: 'Porch' });
    expect(importBody(targetOfDevice(device), { username: 'admin', password: 'pw' }, true)).toEqual({
      host: '127.0.0.1',
      port: 8080,
      device_path: '/onvif/device_service',
      username: 'admin',
      password: 'pw',
      dry_run: true,
    });
    // Empty port and credentials are left out (the server's defaults); a port that is not a number goes as typed, for the server to name.
    expect(importBody({ host: ' cam.local ', port: '', devicePath: null, name: null }, { username: '', password: '' }, false)).toEqual({ host: 'cam.local' });
    expect(importBody({ host: 'cam.local', port: '8o', devicePath: null, name: null }, { username: '', password: '' }, false).port).toBe('8o');
  });

  it('maps the ONVIF errors to plain kinds, keeping the field the server named', () => {
    const kinds = [
      [422, 'onvif_unauthorized', 'password', 'unauthorized'],
      [504, 'onvif_no_answer', 'host', 'no_answer'],
      [422, 'onvif_not_a_device', 'host', 'not_a_device'],
      [422, 'onvif_no_profiles', null, 'no_profiles'],
      [422, 'invalid_field', 'port', 'other'],
    ] as const;
    for (const [status, code, field, kind] of kinds) expect(toDiscoveryError(new ApiFailure(status, code, `msg ${code}`, field))).toEqual({ kind, message: `msg ${code}`, field });
    expect(toDiscoveryError(new TypeError('Failed to fetch'))).toEqual({ kind: 'other', message: 'Failed to fetch', field: null });
  });

  it('wrong password keeps the prompt with the plain error; the right one previews the sources, editable, then fills the camera form', async () => {
    const { call, calls } = server({
      'POST api/cameras/onvif/import': [
        () => {
          throw new ApiFailure(422, 'onvif_unauthorized', 'the camera refused the user name or password', 'password');
        },
        () => dryRun,
      ],
    });
    const d = createDiscovery({ call, schedule: manualSchedule().schedule });
    d.choose(targetOfDevice(device));
    expect(d.store.get().step).toBe('credentials');

    await d.preview({ username: 'admin', password: 'wrong' });
    expect(d.store.get()).toMatchObject({ step: 'credentials', importing: false, importError: { kind: 'unauthorized', field: 'password' }, preview: null });

    await d.preview({ username: 'admin', password: 'right' });
    const state = d.store.get();
    expect(state).toMatchObject({ step: 'preview', importError: null });
    expect(state.preview?.sources.map((s) => [s.role, s.publish, s.profile?.name, s.profile?.width])).toEqual([
      ['main', true, 'MainStream', 1920],
      ['sub', true, 'SubStream', 640],
    ]);
    // Every try is a dry run: nothing is created before the camera form's Save.
    expect(calls.map((c) => (c.body as { dry_run?: boolean }).dry_run)).toEqual([true, true]);

    d.editSource(1, { publish: false });
    d.editSource(0, { role: 'zoom' });
    const form = previewToCameraForm(d.store.get().preview!);
    expect(form).toMatchObject({ editing: null, id: '', name: 'Porch' });
    expect(cameraBody(form)).toEqual({
      name: 'Porch',
      sources: [
        {
          role: 'zoom',
          label: 'MainStream',
          url: 'rtsp://127.0.0.1:8554/main',
          publish: true,
          username: 'admin',
          password: 'right',
          snapshot_url: 'http://127.0.0.1:8080/snap/main.jpg',
          onvif_profile: 'prof_main',
        },
        { role: 'sub', label: 'SubStream', url: 'rtsp://127.0.0.1:8554/sub', publish: false, username: 'admin', password: 'right', snapshot_url: null, onvif_profile: 'prof_sub' },
      ],
    });
    expect(new Set(form.sources.map((s) => s.key)).size).toBe(2);
  });

  it('going back drops a dry run still running and returns to the list', async () => {
    let answer: (p: OnvifImportPreview) => void = () => undefined;
    const call = (async () => new Promise<OnvifImportPreview>((resolve) => (answer = resolve))) as typeof api;
    const d = createDiscovery({ call, schedule: manualSchedule().schedule });
    d.choose({ host: '127.0.0.1', port: '8080', devicePath: null, name: null });
    const pending = d.preview({ username: '', password: '' });
    expect(d.store.get().importing).toBe(true);
    d.back();
    answer(dryRun);
    await pending;
    expect(d.store.get()).toMatchObject({ step: 'list', target: null, importing: false, preview: null });
  });
});
