import type { StreamingSettings, StreamingSettingsPatch } from '../domain/settings.js';
import { invalid } from '../errors.js';
import type { SettingsStore, StoreStatus } from '../store/settings-store.js';
import { commit } from './commit.js';

/**
 * Ports fetch() refuses to connect to ("bad ports" of the Fetch standard, as Node's undici lists
 * them). The server calls MediaMTX's API and its WHEP endpoint with fetch, so those two listeners
 * cannot sit on one of these: the engine would start and never be reachable.
 */
const FETCH_BAD_PORTS = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137,
  139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723,
  2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);
const FETCHED_PORTS = ['api_port', 'webrtc_port'] as const;

/** Secrets are reported as present or not, never shown. */
export function publicStreaming(s: StreamingSettings) {
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
  for (const [k, v] of Object.entries(patch)) {
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
