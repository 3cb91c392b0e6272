import { api } from '../../api/client.js';
import type { Fetcher } from '../../stores/live-views.js';
import { createStore, type Store } from '../../stores/store.js';
import { numberField } from '../../stores/transmissions.js';

/**
 * `GET api/streams/settings` (src/control/settings.ts): the tunables with secrets reduced to
 * `has_password` / `has_api_token`, plus the settings file's own state.
 */
export interface SettingsAnswer {
  revision: number;
  streaming: Record<string, unknown> & { lan_reader: { username: string; has_password: boolean }; has_api_token: boolean };
  store: { path: string; recovered: boolean; problems: string[] };
}

type Spec =
  | { path: string; kind: 'bool' }
  | { path: string; kind: 'int'; min: number; max: number }
  | { path: string; kind: 'text' }
  /** Write-only: never shown; empty keeps what is saved; `saved` is the answer's flag saying one is. */
  | { path: string; kind: 'secret'; saved: (s: SettingsAnswer['streaming']) => boolean };

/** The editable tunables, grouped as the form shows them; ranges follow the server's schema (src/domain/settings.ts). */
export const SETTINGS_GROUPS = [
  {
    id: 'jsmpeg',
    fields: [
      { path: 'jsmpeg.enabled', kind: 'bool' },
      { path: 'jsmpeg.max_sessions', kind: 'int', min: 0, max: 64 },
      { path: 'jsmpeg.max_sessions_per_transmission', kind: 'int', min: 0, max: 16 },
      { path: 'jsmpeg.width', kind: 'int', min: 160, max: 1920 },
      { path: 'jsmpeg.fps', kind: 'int', min: 1, max: 30 },
    ],
  },
  {
    id: 'mse',
    fields: [
      { path: 'mse.enabled', kind: 'bool' },
      { path: 'mse.allow_download', kind: 'bool' },
    ],
  },
  {
    id: 'engine',
    fields: [
      { path: 'engine.auto_start', kind: 'bool' },
      { path: 'engine.allow_download', kind: 'bool' },
      { path: 'engine.rtsp_port', kind: 'int', min: 1, max: 65535 },
      { path: 'engine.hls_port', kind: 'int', min: 1, max: 65535 },
      { path: 'engine.webrtc_port', kind: 'int', min: 1, max: 65535 },
      { path: 'engine.webrtc_udp_port', kind: 'int', min: 1, max: 65535 },
      { path: 'engine.api_port', kind: 'int', min: 1, max: 65535 },
    ],
  },
  {
    id: 'runtime',
    fields: [
      { path: 'demand.debounce_s', kind: 'int', min: 0, max: 3600 },
      { path: 'writers.sticky_window_ms', kind: 'int', min: 0, max: 60_000 },
      { path: 'writers.stale_after_ms', kind: 'int', min: 100, max: 60_000 },
      { path: 'still.cache_ms', kind: 'int', min: 0, max: 60_000 },
    ],
  },
  {
    id: 'access',
    fields: [
      { path: 'server_id', kind: 'text' },
      { path: 'lan_reader.username', kind: 'text' },
      { path: 'lan_reader.password', kind: 'secret', saved: (s) => s.lan_reader.has_password },
      { path: 'api_token', kind: 'secret', saved: (s) => s.has_api_token },
    ],
  },
] as const satisfies readonly { id: string; fields: readonly Spec[] }[];

export type SettingsField = (typeof SETTINGS_GROUPS)[number]['fields'][number];
export type SettingPath = SettingsField['path'];

const FIELDS = SETTINGS_GROUPS.flatMap((g): readonly SettingsField[] => g.fields);

export type SettingsFormValues = Readonly<Record<string, string | boolean>>;

function read(source: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), source);
}

/** The form as loaded: numbers as text for the inputs, secrets empty. */
export function settingsFormValues(answer: SettingsAnswer): SettingsFormValues {
  return Object.fromEntries(
    FIELDS.map((f) => {
      const value = f.kind === 'secret' ? '' : read(answer.streaming, f.path);
      return [f.path, f.kind === 'bool' ? value === true : value === undefined || value === null ? '' : String(value)];
    }),
  );
}

/**
 * The PATCH body: only what differs from what was loaded (a PATCH names what it changes), nested
 * as the server's schema is; a secret only when one was typed.
 */
export function settingsPatch(loaded: SettingsFormValues, current: SettingsFormValues): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const f of FIELDS) {
    const value = current[f.path];
    if (value === undefined || value === loaded[f.path] || (f.kind === 'secret' && value === '')) continue;
    const sent = f.kind === 'int' && typeof value === 'string' ? numberField(value) : typeof value === 'string' ? value.trim() : value;
    const keys = f.path.split('.');
    const leaf = keys.pop()!;
    let node = patch;
    for (const k of keys) node = (node[k] ??= {}) as Record<string, unknown>;
    node[leaf] = sent;
  }
  return patch;
}

export const settingsErrorField = (field: string): SettingPath | null => FIELDS.find((f) => f.path === field)?.path ?? null;

export interface StreamingSettingsState {
  settings: SettingsAnswer | null;
  error: string | null;
}

export const createStreamingSettingsStore = (): Store<StreamingSettingsState> => createStore<StreamingSettingsState>({ settings: null, error: null });

export const streamingSettingsStore = createStreamingSettingsStore();

/** Never throws; an abort changes nothing. */
export async function refreshStreamingSettings(store: Store<StreamingSettingsState>, signal: AbortSignal, fetcher: Fetcher = api): Promise<void> {
  try {
    const settings = await fetcher<SettingsAnswer>('api/streams/settings', { signal });
    if (!signal.aborted) store.set({ settings, error: null });
  } catch (err) {
    if (!signal.aborted) store.set((prev) => ({ ...prev, error: err instanceof Error ? err.message : String(err) }));
  }
}

/** Saves the changes; the answer is the new settings, put in the store so the form reloads from it. */
export async function saveStreamingSettings(store: Store<StreamingSettingsState>, patch: Record<string, unknown>, call: typeof api = api): Promise<void> {
  const settings = await call<SettingsAnswer>('api/streams/settings', { method: 'PATCH', body: patch });
  store.set({ settings, error: null });
}
