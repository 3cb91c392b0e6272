import { FETCH_BAD_PORTS } from '../domain/ports.js';
import type { Peer, PeerInput } from '../domain/peers.js';
import type { StreamingSettings, StreamingSettingsPatch } from '../domain/settings.js';
import { invalid } from '../shared/errors.js';
import type { SettingsStore, StoreStatus } from '../store/settings-store.js';
import { commit } from './commit.js';

const FETCHED_PORTS = ['api_port', 'webrtc_port'] as const;

/** Secrets are reported as present or not, never shown. */
function publicStreaming(s: StreamingSettings) {
  const { api_token, lan_reader, peers, ...rest } = s;
  return {
    ...rest,
    lan_reader: { username: lan_reader.username, has_password: lan_reader.password !== null },
    has_api_token: api_token !== null,
    peers: peers.map((p) => ({ id: p.id, name: p.name, base_url: p.base_url, enabled: p.enabled, has_secret: true })),
  };
}

/** The new peer list: ids unique and not this server's own, an omitted secret kept from the stored peer of that id. */
function resolvePeers(inputs: readonly PeerInput[], stored: readonly Peer[], serverId: string): Peer[] {
  const seen = new Set<string>();
  return inputs.map((p, i) => {
    if (seen.has(p.id)) throw invalid(`peers.${i}.id`, `"${p.id}" is listed twice`);
    seen.add(p.id);
    if (p.id === serverId) throw invalid(`peers.${i}.id`, `"${p.id}" is this server's own id (server_id)`);
    const secret = p.secret ?? stored.find((x) => x.id === p.id)?.secret;
    if (secret === undefined) throw invalid(`peers.${i}.secret`, 'is required for a new peer: the secret both servers share');
    return { id: p.id, name: p.name, base_url: p.base_url, secret, enabled: p.enabled };
  });
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
      const { peers, ...rest } = patch;
      await commit(store, (draft) => {
        const next = merge(draft.streaming, rest);
        // A list is replaced, never merged entry by entry.
        if (peers !== undefined) next.peers = resolvePeers(peers, draft.streaming.peers, next.server_id);
        else if (next.peers.some((p) => p.id === next.server_id)) throw invalid('server_id', `"${next.server_id}" is the id of a peer`);
        draft.streaming = next;
      });
      return view();
    },
  };
}
export type SettingsService = ReturnType<typeof createSettingsService>;
