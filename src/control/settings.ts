import { FETCH_BAD_PORTS } from '../domain/ports.js';
import type { StreamingSettings, StreamingSettingsPatch } from '../domain/settings.js';
import { invalid } from '../shared/errors.js';
import type { SettingsStore, StoreStatus } from '../store/settings-store.js';
import { commit } from './commit.js';

const FETCHED_PORTS = ['api_port', 'webrtc_port'] as const;

/** Secrets are reported as present or not, never shown. */
function publicStreaming(s: StreamingSettings) {
  const { api_token, lan_reader, ...rest } = s;
  return { ...rest, lan_reader: { username: lan_reader.username, has_password: lan_reader.password !== null }, has_api_token: api_token !== null };
}

export interface SettingsView {
  schema_version: number;
  revision: number;
  updated_at: string;
  streaming: ReturnType<typeof publicStreaming>;
  store: StoreStatus;
}

/** Deep merge of plain objects: a patch names only what it changes. */
function merge<T extends object>(base: T, patch: object): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch) as [string, unknown][]) {
    const cur = out[k];
    out[k] = v !== null && typeof v === 'object' && cur !== null && typeof cur === 'object' ? merge(cur, v) : v;
  }
  return out as T;
}

export function createSettingsService(store: SettingsStore) {
  const view = (): SettingsView => {
    const doc = store.get();
    return { schema_version: doc.schema_version, revision: doc.revision, updated_at: doc.updated_at, streaming: publicStreaming(doc.streaming), store: store.status() };
  };
  return {
    get: view,
    async patch(patch: StreamingSettingsPatch): Promise<SettingsView> {
      for (const key of FETCHED_PORTS) {
        const port = patch.engine?.[key];
        if (port !== undefined && FETCH_BAD_PORTS.has(port)) throw invalid(`engine.${key}`, `port ${port} is one HTTP clients refuse to call (a Fetch "bad port"); pick another`);
      }
      await commit(store, (draft) => {
        draft.streaming = merge(draft.streaming, patch);
      });
      return view();
    },
  };
}
export type SettingsService = ReturnType<typeof createSettingsService>;
