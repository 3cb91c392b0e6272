import type { DiscoveredDevice, DiscoveryScan, OnvifImportPreview, Role } from '../../../src/api/contract.js';
import { api, ApiFailure } from '../api/client.js';
import { newSourceForm, type CameraForm, type SourceForm } from './cameras.js';
import { createStore, errorMessage, type Store } from './store.js';

/** How often a running scan is asked for what it found so far. */
const POLL_MS = 500;

/** What went wrong, in the words the panel uses (see discoverErrorKey in the view); `message` is the server's own. */
export type DiscoveryErrorKind = 'unauthorized' | 'no_answer' | 'not_a_device' | 'no_profiles' | 'scan' | 'other';

export interface DiscoveryError {
  kind: DiscoveryErrorKind;
  message: string;
  /** The field the server named (`host`, `port`, `password`), so the prompt can mark it. */
  field: string | null;
}

const KINDS: Readonly<Record<string, DiscoveryErrorKind>> = {
  onvif_unauthorized: 'unauthorized',
  onvif_no_answer: 'no_answer',
  onvif_not_a_device: 'not_a_device',
  onvif_no_profiles: 'no_profiles',
};

export function toDiscoveryError(err: unknown): DiscoveryError {
  if (err instanceof ApiFailure) return { kind: KINDS[err.code] ?? 'other', message: err.message, field: err.field };
  return { kind: 'other', message: errorMessage(err), field: null };
}

/** The device to import: one the scan found, or an address the user typed (no discovery without host networking). */
export interface ImportTarget {
  host: string;
  /** As typed; empty lets the server use ONVIF's default. */
  port: string;
  /** The device service's path when the scan told it. */
  devicePath: string | null;
  name: string | null;
}

export interface Credentials {
  username: string;
  password: string;
}

/** One source the import would create, with the profile it comes from; only role and publish are edited here. */
export interface PreviewSource {
  key: string;
  role: Role;
  publish: boolean;
  label: string;
  url: string;
  snapshotUrl: string | null;
  onvifProfile: string | null;
  profile: OnvifImportPreview['profiles'][number] | null;
}

export interface Preview {
  name: string;
  device: OnvifImportPreview['device'];
  sources: PreviewSource[];
  /** What the user typed, handed on to the camera form (never sent anywhere but in request bodies). */
  credentials: Credentials;
}

export interface DiscoveryState {
  step: 'list' | 'credentials' | 'preview';
  /** The last scan; null before the first answer. */
  scan: DiscoveryScan | null;
  /** A scan was asked for and has not finished. */
  scanning: boolean;
  scanError: DiscoveryError | null;
  target: ImportTarget | null;
  importing: boolean;
  importError: DiscoveryError | null;
  preview: Preview | null;
}

const INITIAL: DiscoveryState = { step: 'list', scan: null, scanning: false, scanError: null, target: null, importing: false, importError: null, preview: null };

/**
 * Runs `fn` after `ms`; returns what cancels it. A stand-in in tests, so no test waits on a clock;
 * `fn` returns the poll it makes, for the stand-in to await.
 */
export type Schedule = (fn: () => Promise<void>, ms: number) => () => void;

const realSchedule: Schedule = (fn, ms) => {
  const timer = setTimeout(() => void fn(), ms);
  return () => clearTimeout(timer);
};

export interface DiscoveryOptions {
  call?: typeof api;
  schedule?: Schedule;
  pollMs?: number;
}

export function targetOfDevice(device: DiscoveredDevice): ImportTarget {
  let devicePath: string | null = null;
  try {
    devicePath = new URL(device.device_url).pathname;
  } catch {
    // An address the device got wrong: the server's default path is tried.
  }
  return { host: device.host, port: String(device.port), devicePath, name: device.name };
}

/** The import request's body; the port goes as a number when it is one, else as typed for the server to name it. */
export function importBody(target: ImportTarget, credentials: Credentials, dryRun: boolean) {
  const port = target.port.trim();
  return {
    host: target.host.trim(),
    ...(port === '' ? {} : { port: /^\d+$/.test(port) ? Number(port) : port }),
    ...(target.devicePath === null ? {} : { device_path: target.devicePath }),
    ...(credentials.username === '' ? {} : { username: credentials.username }),
    ...(credentials.password === '' ? {} : { password: credentials.password }),
    ...(dryRun ? { dry_run: true } : {}),
  };
}

function toPreview(answer: OnvifImportPreview, credentials: Credentials): Preview {
  return {
    name: answer.camera.name,
    device: answer.device,
    credentials,
    sources: answer.camera.sources.map((s, i) => ({
      key: `preview-${i}`,
      role: s.role,
      publish: s.publish,
      label: s.label,
      url: s.url,
      snapshotUrl: s.snapshot_url,
      onvifProfile: s.onvif_profile,
      profile: answer.profiles.find((p) => p.token === s.onvif_profile) ?? null,
    })),
  };
}

/**
 * The usual camera form, filled with the previewed sources and the typed credentials. Source ids
 * are left to the server (it names them by role, and the user may have changed the roles).
 */
export function previewToCameraForm(preview: Preview): CameraForm {
  const sources = preview.sources.reduce<SourceForm[]>(
    (acc, s) => [
      ...acc,
      {
        ...newSourceForm(acc),
        role: s.role,
        label: s.label,
        url: s.url,
        publish: s.publish,
        username: preview.credentials.username,
        password: preview.credentials.password,
        onvif: { snapshot_url: s.snapshotUrl, onvif_profile: s.onvifProfile },
      },
    ],
    [],
  );
  return { editing: null, id: '', name: preview.name, sources };
}

/**
 * The "Discover cameras" flow: scan (polled until done), pick a device or type its address, give
 * credentials, preview the sources of a dry-run import, then hand a camera form on. One per open
 * panel; `dispose` stops the polling and drops answers still on their way.
 */
export function createDiscovery({ call = api, schedule = realSchedule, pollMs = POLL_MS }: DiscoveryOptions = {}) {
  const store: Store<DiscoveryState> = createStore<DiscoveryState>(INITIAL);
  // Every scan and every dispose starts a new generation: answers of an older one are dropped.
  let generation = 0;
  // The same for imports: going back or closing drops the answer of a dry run still running.
  let importGeneration = 0;
  let cancelTimer: (() => void) | null = null;
  let ctrl = new AbortController();

  const stopPolling = () => {
    cancelTimer?.();
    cancelTimer = null;
    ctrl.abort();
    ctrl = new AbortController();
  };

  const follow = (scan: DiscoveryScan, gen: number) => {
    if (gen !== generation) return;
    const done = scan.state === 'done';
    store.set((s) => ({ ...s, scan, scanning: !done, scanError: done && scan.error !== null ? { kind: 'scan', message: scan.error, field: null } : null }));
    if (done) return;
    cancelTimer = schedule(() => {
      cancelTimer = null;
      return request(() => call<DiscoveryScan>(`api/cameras/discover/${encodeURIComponent(scan.id)}`, { signal: ctrl.signal }), gen);
    }, pollMs);
  };

  const request = async (load: () => Promise<DiscoveryScan>, gen: number) => {
    try {
      follow(await load(), gen);
    } catch (err) {
      if (gen === generation) store.set((s) => ({ ...s, scanning: false, scanError: toDiscoveryError(err) }));
    }
  };

  return {
    store,

    /** A new scan (the server answers with the running one when a scan is under way). */
    scan(): Promise<void> {
      stopPolling();
      const gen = ++generation;
      store.set((s) => ({ ...s, scanning: true, scanError: null }));
      return request(() => call<DiscoveryScan>('api/cameras/discover', { method: 'POST', body: {}, signal: ctrl.signal }), gen);
    },

    choose(target: ImportTarget): void {
      importGeneration++;
      store.set((s) => ({ ...s, step: 'credentials', target, importError: null, preview: null }));
    },

    /** The dry-run import: what would be created, shown before anything is saved. */
    async preview(credentials: Credentials): Promise<void> {
      const { target } = store.get();
      if (target === null || store.get().importing) return;
      const gen = ++importGeneration;
      store.set((s) => ({ ...s, importing: true, importError: null }));
      try {
        const answer = await call<OnvifImportPreview>('api/cameras/onvif/import', { method: 'POST', body: importBody(target, credentials, true) });
        if (gen === importGeneration) store.set((s) => ({ ...s, step: 'preview', importing: false, preview: toPreview(answer, credentials) }));
      } catch (err) {
        if (gen === importGeneration) store.set((s) => ({ ...s, importing: false, importError: toDiscoveryError(err) }));
      }
    },

    editSource(index: number, patch: Partial<Pick<PreviewSource, 'role' | 'publish'>>): void {
      store.set((s) => (s.preview === null ? s : { ...s, preview: { ...s.preview, sources: s.preview.sources.map((src, i) => (i === index ? { ...src, ...patch } : src)) } }));
    },

    /** Back to the list of devices (the last scan stays). */
    back(): void {
      importGeneration++;
      store.set((s) => ({ ...s, step: 'list', target: null, importing: false, importError: null, preview: null }));
    },

    dispose(): void {
      generation++;
      importGeneration++;
      stopPolling();
    },
  };
}

export type Discovery = ReturnType<typeof createDiscovery>;
