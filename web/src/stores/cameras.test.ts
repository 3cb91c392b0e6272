import { describe, expect, it } from 'vitest';
import type { Camera } from '../../../src/api/contract.js';
import { ApiFailure } from '../api/client.js';
import { toFormErrors } from './form-errors.js';
import { cameraBody, cameraErrorField, cameraToForm, createCamerasStore, emptyCameraForm, newSourceForm, nextRole, refreshCameras, saveCamera, type CameraForm } from './cameras.js';

/** Server-owned facts of a source never probed nor imported. */
const NO_FACTS = { probe: null, snapshot_url: null, onvif_profile: null };
const PROBED = {
  probed_at: '2026-01-01T00:00:00.000Z',
  url: 'rtsp://10.0.0.2/main',
  via: 'camera',
  error: null,
  video: { codec: 'h265', profile: 'Main', width: 1920, height: 1080, fps: 15 },
  audio: null,
} as const;

const porch: Camera = {
  id: 'porch',
  name: 'Porch',
  sources: [
    { id: 'main', role: 'main', label: 'Principal', url: 'rtsp://10.0.0.2/main', publish: true, has_credentials: true, publication_id: 'camera:porch:main', ...NO_FACTS, probe: PROBED },
    { id: 'sub', role: 'sub', label: 'Baixa resolução', url: 'rtsp://10.0.0.2/sub', publish: false, has_credentials: false, publication_id: 'camera:porch:sub', ...NO_FACTS },
  ],
};

/** Records the calls a save makes and answers with `answer`. */
function recorder(answer: unknown = porch) {
  const calls: { path: string; method: string | undefined; body: unknown }[] = [];
  const call = async <T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> => {
    calls.push({ path, method: init.method, body: init.body });
    return answer as T;
  };
  return { calls, call };
}

describe('camera form model', () => {
  it('a new camera: the id only when typed, a new source published with the next free role, no credentials when none typed', () => {
    const form = emptyCameraForm();
    expect(form.sources).toHaveLength(1);
    const filled: CameraForm = { ...form, name: 'Porch', sources: [{ ...form.sources[0]!, url: ' rtsp://10.0.0.2/main ' }, newSourceForm(form.sources)] };
    expect(filled.sources.map((s) => [s.role, s.publish])).toEqual([
      ['main', true],
      ['sub', true],
    ]);
    filled.sources[1]!.url = 'rtsp://10.0.0.2/sub';
    expect(cameraBody(filled)).toEqual({
      name: 'Porch',
      sources: [
        { role: 'main', label: '', url: 'rtsp://10.0.0.2/main', publish: true },
        { role: 'sub', label: '', url: 'rtsp://10.0.0.2/sub', publish: true },
      ],
    });
    expect(cameraBody({ ...filled, id: ' porch ' }).id).toBe('porch');
  });

  it('credentials are write-only: fields start empty, empty keeps the saved ones, typed ones replace them, "remove" clears both', () => {
    const form = cameraToForm(porch);
    expect(form.sources[0]).toMatchObject({ username: '', password: '', hasCredentials: true, clearCredentials: false });

    const untouched = cameraBody(form);
    expect(untouched.sources[0]).not.toHaveProperty('username');
    expect(untouched.sources[0]).not.toHaveProperty('password');
    // Editing never sends the camera id in the body (the path names it) but keeps every source id.
    expect(untouched).not.toHaveProperty('id');
    expect(untouched.sources.map((s) => s.id)).toEqual(['main', 'sub']);

    const newPassword = cameraBody({ ...form, sources: [{ ...form.sources[0]!, password: 'n3w' }, form.sources[1]!] });
    expect(newPassword.sources[0]).toMatchObject({ password: 'n3w' });
    expect(newPassword.sources[0]).not.toHaveProperty('username');

    const cleared = cameraBody({ ...form, sources: [{ ...form.sources[0]!, username: 'typed', clearCredentials: true }, form.sources[1]!] });
    expect(cleared.sources[0]).toMatchObject({ username: null, password: null });
  });

  it('an RTSPS source shows its trusted certificate: unchanged it is not sent, edited it is, emptied it is forgotten (null)', () => {
    const fp = 'ab'.repeat(32);
    const nvr: Camera = {
      id: 'nvr',
      name: 'NVR',
      sources: [
        { id: 'main', role: 'main', label: 'Principal', url: 'rtsps://10.0.0.3:7441/x', publish: true, has_credentials: false, publication_id: 'camera:nvr:main', tls_fingerprint: fp, ...NO_FACTS },
      ],
    };
    const form = cameraToForm(nvr);
    expect(form.sources[0]!.tlsFingerprint).toBe(fp);
    expect(cameraBody(form).sources[0]).not.toHaveProperty('tls_fingerprint');
    const edited = { ...form, sources: [{ ...form.sources[0]!, tlsFingerprint: 'CD:'.repeat(31) + 'CD' }] };
    expect(cameraBody(edited).sources[0]!.tls_fingerprint).toBe('CD:'.repeat(31) + 'CD');
    expect(cameraBody({ ...form, sources: [{ ...form.sources[0]!, tlsFingerprint: ' ' }] }).sources[0]!.tls_fingerprint).toBeNull();
    // A plain RTSP source has no certificate: nothing is sent whatever the field holds.
    expect(cameraBody({ ...form, sources: [{ ...form.sources[0]!, url: 'rtsp://10.0.0.3/x', tlsFingerprint: '' }] }).sources[0]).not.toHaveProperty('tls_fingerprint');
    expect(cameraErrorField('sources.0.tls_fingerprint')).toBe('sources.0.tls_fingerprint');
  });

  it('nextRole takes main, sub, zoom in turn, then custom', () => {
    expect(nextRole([])).toBe('main');
    expect(nextRole([{ role: 'main' }])).toBe('sub');
    expect(nextRole([{ role: 'sub' }])).toBe('main');
    expect(nextRole([{ role: 'main' }, { role: 'sub' }, { role: 'zoom' }])).toBe('custom');
  });

  it('maps the server field to the form field that shows it', () => {
    expect(cameraErrorField('name')).toBe('name');
    expect(cameraErrorField('id')).toBe('id');
    expect(cameraErrorField('sources')).toBe('sources');
    expect(cameraErrorField('sources.1.url')).toBe('sources.1.url');
    expect(cameraErrorField('sources.0.password')).toBe('sources.0.password');
    // A source id clash has no field of its own: the source row shows it.
    expect(cameraErrorField('sources.2.id')).toBe('sources.2');
    expect(cameraErrorField('sources.0.has_credentials')).toBe('sources.0');
    expect(cameraErrorField('body')).toBeNull();
  });

  it('an ApiFailure lands next to its field without the field prefix; one without a known field is general', () => {
    const invalid = new ApiFailure(422, 'invalid_field', 'sources.1.url: must be an rtsp:// or rtsps:// URL with a host', 'sources.1.url');
    expect(toFormErrors(invalid, cameraErrorField)).toEqual({ fields: { 'sources.1.url': 'must be an rtsp:// or rtsps:// URL with a host' }, general: null });
    const taken = new ApiFailure(409, 'already_exists', 'camera "porch" already exists', 'id');
    expect(toFormErrors(taken, cameraErrorField)).toEqual({ fields: { id: 'camera "porch" already exists' }, general: null });
    const tooLarge = new ApiFailure(413, 'body_too_large', 'request body is larger than 1024 bytes', 'body');
    expect(toFormErrors(tooLarge, cameraErrorField)).toEqual({ fields: {}, general: 'request body is larger than 1024 bytes' });
    expect(toFormErrors(new TypeError('Failed to fetch'), cameraErrorField)).toEqual({ fields: {}, general: 'Failed to fetch' });
  });

  it('a saved source keeps what the server holds (its camera, URL and probe facts) out of the body; a new source has none', () => {
    const form = cameraToForm(porch);
    expect(form.sources.map((s) => s.saved)).toEqual([
      { cameraId: 'porch', url: 'rtsp://10.0.0.2/main', probe: PROBED },
      { cameraId: 'porch', url: 'rtsp://10.0.0.2/sub', probe: null },
    ]);
    expect(cameraBody(form).sources.map((s) => Object.keys(s).filter((k) => ['saved', 'probe'].includes(k)))).toEqual([[], []]);
    expect(newSourceForm(form.sources).saved).toBeUndefined();
  });

  it('saves a new camera with POST and an edited one with PUT on its id', async () => {
    const { calls, call } = recorder();
    await saveCamera({ ...emptyCameraForm(), name: 'Porch' }, call);
    await saveCamera(cameraToForm(porch), call);
    expect(calls.map((c) => [c.method, c.path])).toEqual([
      ['POST', 'api/cameras'],
      ['PUT', 'api/cameras/porch'],
    ]);
  });
});

describe('cameras store', () => {
  it('loads the list; a failed refresh keeps it and says why; an aborted one changes nothing', async () => {
    const store = createCamerasStore();
    const signal = new AbortController().signal;
    await refreshCameras(store, signal, async <T>() => [porch] as T);
    expect(store.get()).toEqual({ cameras: [porch], error: null });

    await refreshCameras(store, signal, async () => {
      throw new Error('HTTP 500');
    });
    expect(store.get()).toEqual({ cameras: [porch], error: 'HTTP 500' });

    const aborted = new AbortController();
    aborted.abort();
    await refreshCameras(store, aborted.signal, async <T>() => [] as T);
    expect(store.get().cameras).toEqual([porch]);
  });
});
