import type { Camera, CameraBody, Role, SourceBody, SourceProbe } from '../../../src/api/contract.js';
import { api } from '../api/client.js';
import { deleteDocument, saveDocument } from '../api/documents.js';
import { rowErrorField } from './form-errors.js';
import { createStore, refreshStore, type Fetcher, type Store } from './store.js';

/** The roles a source may take, in the order the form offers them (the server's `ROLES`). */
export const ROLES = ['main', 'sub', 'zoom', 'custom'] as const satisfies readonly Role[];

export interface CamerasState {
  /** Null until the first answer, so "loading" is told apart from "no cameras". */
  cameras: Camera[] | null;
  error: string | null;
}

export const createCamerasStore = (): Store<CamerasState> => createStore<CamerasState>({ cameras: null, error: null });

/** Module-wide: the transmission editor and the wizard offer these cameras too. */
export const camerasStore = createCamerasStore();

/** Never throws: a failure is kept in the state next to the last good list; an abort changes nothing. */
export function refreshCameras(store: Store<CamerasState>, signal: AbortSignal, fetcher: Fetcher = api): Promise<void> {
  return refreshStore(
    store,
    signal,
    () => fetcher<Camera[]>('api/cameras', { signal }),
    (cameras) => ({ cameras, error: null }),
  );
}

/**
 * One source in the form. Credentials are write-only: the server never sends them back, so the
 * fields start empty and `hasCredentials` says whether some are saved.
 */
export interface SourceForm {
  /** Stable list key for the UI; never sent. */
  key: string;
  /** The stored id; empty for a source not saved yet (the server picks one from the role). */
  id: string;
  role: Role;
  label: string;
  url: string;
  username: string;
  password: string;
  hasCredentials: boolean;
  /** Remove the saved credentials on save (an empty field alone keeps them). */
  clearCredentials: boolean;
  publish: boolean;
  /** The trusted certificate's fingerprint as shown; emptied, it is forgotten and the one the camera shows next is trusted. */
  tlsFingerprint: string;
  /** What the server had, so an unchanged field is not sent. */
  savedTlsFingerprint: string;
  /** Set by an ONVIF import (stores/discovery.ts): sent with the source; absent, the server keeps what it has. */
  onvif?: { snapshot_url: string | null; onvif_profile: string | null };
  /** What the server holds for a saved source (absent for a new one): the probe facts, true for `url` only, and the camera a probe asks about. */
  saved?: { cameraId: string; url: string; probe: SourceProbe | null };
}

export interface CameraForm {
  /** The camera being edited; null while adding one. */
  editing: string | null;
  /** Only asked for while adding: empty lets the server derive it from the name. */
  id: string;
  name: string;
  sources: SourceForm[];
}

let keys = 0;
const nextKey = () => `source-${++keys}`;

/** The first of main, sub, zoom not used yet, so a camera's usual sources come out right without touching the role. */
export function nextRole(sources: readonly Pick<SourceForm, 'role'>[]): Role {
  return ROLES.find((r) => r !== 'custom' && !sources.some((s) => s.role === r)) ?? 'custom';
}

/** A new source is published by default: adding a camera is meant to make it playable. */
export function newSourceForm(existing: readonly SourceForm[]): SourceForm {
  return {
    key: nextKey(),
    id: '',
    role: nextRole(existing),
    label: '',
    url: '',
    username: '',
    password: '',
    hasCredentials: false,
    clearCredentials: false,
    publish: true,
    tlsFingerprint: '',
    savedTlsFingerprint: '',
  };
}

export function emptyCameraForm(): CameraForm {
  return { editing: null, id: '', name: '', sources: [newSourceForm([])] };
}

export function cameraToForm(camera: Camera): CameraForm {
  return {
    editing: camera.id,
    id: camera.id,
    name: camera.name,
    sources: camera.sources.map((s) => ({
      key: nextKey(),
      id: s.id,
      role: s.role,
      label: s.label,
      url: s.url,
      username: '',
      password: '',
      hasCredentials: s.has_credentials,
      clearCredentials: false,
      publish: s.publish,
      tlsFingerprint: s.tls_fingerprint ?? '',
      savedTlsFingerprint: s.tls_fingerprint ?? '',
      saved: { cameraId: camera.id, url: s.url, probe: s.probe },
    })),
  };
}

function sourceBody(s: SourceForm): SourceBody {
  const body: SourceBody = { role: s.role, label: s.label.trim(), url: s.url.trim(), publish: s.publish };
  if (s.id) body.id = s.id;
  if (s.onvif) Object.assign(body, s.onvif);
  const fingerprint = s.tlsFingerprint.trim();
  if (isTlsUrl(body.url) && fingerprint !== s.savedTlsFingerprint) body.tls_fingerprint = fingerprint === '' ? null : fingerprint;
  if (s.clearCredentials) return { ...body, username: null, password: null };
  // Only what was typed is sent: an empty field must never overwrite a saved credential.
  if (s.username !== '') body.username = s.username;
  if (s.password !== '') body.password = s.password;
  return body;
}

/** The POST (adding) or PUT (editing) body; sources keep the form's order, so `sources.N` errors point back at row N. */
export function cameraBody(form: CameraForm): CameraBody & { sources: SourceBody[] } {
  const body: CameraBody & { sources: SourceBody[] } = { name: form.name, sources: form.sources.map(sourceBody) };
  const id = form.id.trim();
  if (form.editing === null && id !== '') body.id = id;
  return body;
}

const SOURCE_FIELDS = new Set(['role', 'label', 'url', 'username', 'password', 'publish', 'tls_fingerprint']);

/** Sources the engine reaches over TLS (src/control/tls-fingerprint.ts): they have a certificate to trust. */
export const isTlsUrl = (url: string): boolean => /^(rtsps|rtsps\+http|rtsps\+ws|rtmps|https|wheps):\/\//i.test(url.trim());

/**
 * The form field that shows a server error: `name`, `id`, `sources`, `sources.N.<field>`, or the
 * source row `sources.N` for what has no field of its own (a clashing source id). Null: the whole form.
 */
export function cameraErrorField(field: string): string | null {
  if (field === 'name' || field === 'id' || field === 'sources') return field;
  return rowErrorField(field, 'sources', SOURCE_FIELDS);
}

export function saveCamera(form: CameraForm, call: typeof api = api): Promise<Camera> {
  return saveDocument<Camera>('api/cameras', form.editing, cameraBody(form), call);
}

export function deleteCamera(id: string, call: typeof api = api): Promise<void> {
  return deleteDocument('api/cameras', id, call);
}
