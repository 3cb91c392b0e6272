import type { SettingsView as SettingsAnswer } from '../../../../src/api/contract.js';
import { api } from '../../api/client.js';
import { createStore, refreshStore, type Fetcher, type Store } from '../../stores/store.js';
import { numberField } from '../../stores/transmissions.js';

const bool = <P extends string>(path: P) => ({ path, kind: 'bool' }) as const;
const int = <P extends string>(path: P, min: number, max: number) => ({ path, kind: 'int', min, max }) as const;
const text = <P extends string>(path: P) => ({ path, kind: 'text' }) as const;
/** Write-only: never shown; empty keeps what is saved; `saved` is the answer's flag saying one is. */
const secret = <P extends string>(path: P, saved: (s: SettingsAnswer['streaming']) => boolean) => ({ path, kind: 'secret', saved }) as const;
const port = <P extends string>(path: P) => int(path, 1, 65535);

/**
 * The editable tunables, grouped as the form shows them; ranges follow the server's schema (src/domain/settings.ts).
 * The server id and the peers have their own form (distributed-form.tsx): a peer list is saved whole.
 */
export const SETTINGS_GROUPS = [
  {
    id: 'jsmpeg',
    fields: [bool('jsmpeg.enabled'), int('jsmpeg.max_sessions', 0, 64), int('jsmpeg.max_sessions_per_transmission', 0, 16), int('jsmpeg.width', 160, 1920), int('jsmpeg.fps', 1, 30)],
  },
  { id: 'mse', fields: [bool('mse.enabled'), bool('mse.allow_download')] },
  {
    id: 'engine',
    fields: [
      bool('engine.auto_start'),
      bool('engine.allow_download'),
      port('engine.rtsp_port'),
      port('engine.hls_port'),
      port('engine.webrtc_port'),
      port('engine.webrtc_udp_port'),
      port('engine.api_port'),
    ],
  },
  {
    id: 'runtime',
    fields: [int('demand.debounce_s', 0, 3600), int('writers.sticky_window_ms', 0, 60_000), int('writers.stale_after_ms', 100, 60_000), int('still.cache_ms', 0, 60_000)],
  },
  {
    id: 'access',
    fields: [text('lan_reader.username'), secret('lan_reader.password', (s) => s.lan_reader.has_password), secret('api_token', (s) => s.has_api_token)],
  },
] as const;

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
      return [f.path, f.kind === 'bool' ? value === true : typeof value === 'number' || typeof value === 'string' ? String(value) : ''];
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
export function refreshStreamingSettings(store: Store<StreamingSettingsState>, signal: AbortSignal, fetcher: Fetcher = api): Promise<void> {
  return refreshStore(
    store,
    signal,
    () => fetcher<SettingsAnswer>('api/streams/settings', { signal }),
    (settings) => ({ settings, error: null }),
  );
}

/** Saves the changes; the answer is the new settings, put in the store so the form reloads from it. */
export async function saveStreamingSettings(store: Store<StreamingSettingsState>, patch: Record<string, unknown>, call: typeof api = api): Promise<void> {
  const settings = await call<SettingsAnswer>('api/streams/settings', { method: 'PATCH', body: patch });
  store.set({ settings, error: null });
}
