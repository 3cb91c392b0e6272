import type { DistributedStatus, HostingConflict, HostReachability, PeerPullStatus, SettingsView } from '../../../src/api/contract.js';
import { api } from '../api/client.js';
import { rowErrorField } from './form-errors.js';
import { createStore, refreshStore, type Fetcher, type Store } from './store.js';

/** The part of the settings answer distributed hosting reads: this server's id and its peers (`has_secret`, never a secret). */
export type HostingSettings = Pick<SettingsView['streaming'], 'server_id' | 'peers'>;

export interface PeerForm {
  key: string;
  id: string;
  name: string;
  base_url: string;
  /** Typed or generated; empty keeps the stored one. */
  secret: string;
  /** The server holds a secret for this peer (write-only: it is never sent back). */
  has_secret: boolean;
  enabled: boolean;
}

export interface DistributedForm {
  server_id: string;
  peers: PeerForm[];
}

let keys = 0;
const nextKey = () => `peer-${++keys}`;

export const newPeerForm = (): PeerForm => ({ key: nextKey(), id: '', name: '', base_url: '', secret: '', has_secret: false, enabled: true });

/** The form as loaded: every secret field empty. */
export function distributedForm(settings: HostingSettings): DistributedForm {
  return {
    server_id: settings.server_id,
    peers: settings.peers.map((p) => ({ key: nextKey(), id: p.id, name: p.name, base_url: p.base_url, secret: '', has_secret: p.has_secret, enabled: p.enabled })),
  };
}

/**
 * The PATCH body. The server replaces the peer list whole, so every peer is sent, in the form's order
 * (`peers.N` errors point back at row N); a peer without `secret` keeps the stored one of its id.
 */
export function distributedPatch(form: DistributedForm): { server_id: string; peers: Record<string, unknown>[] } {
  return {
    server_id: form.server_id.trim(),
    peers: form.peers.map((p) => {
      const secret = p.secret.trim();
      return { id: p.id.trim(), name: p.name.trim(), base_url: p.base_url.trim(), enabled: p.enabled, ...(secret ? { secret } : {}) };
    }),
  };
}

/** Whether saving would change anything: what would be sent differs from what was loaded. */
export const distributedDirty = (loaded: DistributedForm, form: DistributedForm): boolean => JSON.stringify(distributedPatch(loaded)) !== JSON.stringify(distributedPatch(form));

const PEER_FIELDS = new Set(['id', 'name', 'base_url', 'secret', 'enabled']);

/** `server_id`, the list (`peers`: too many), a peer's field (`peers.1.secret`) or its row; null: the whole form. */
export function distributedErrorField(field: string): string | null {
  if (field === 'server_id' || field === 'peers') return field;
  return rowErrorField(field, 'peers', PEER_FIELDS);
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Bytes at or above this would favour the first letters (256 is not a multiple of 62): they are drawn again. */
const UNBIASED = 256 - (256 % ALPHABET.length);
export const SECRET_LENGTH = 32;

/** A random shared secret of letters and digits (about 190 bits), shown once so it can be pasted on the other server. */
export function generateSecret(fill: (bytes: Uint8Array) => Uint8Array = (bytes) => crypto.getRandomValues(bytes)): string {
  let out = '';
  while (out.length < SECRET_LENGTH) {
    for (const b of fill(new Uint8Array(SECRET_LENGTH))) {
      if (b < UNBIASED && out.length < SECRET_LENGTH) out += ALPHABET.charAt(b % ALPHABET.length);
    }
  }
  return out;
}

/** One peer's status: what was pulled to host for it, what of that is not run here, and (when the server reports it) whether it answers as a host. */
export interface PeerStatus {
  pull: PeerPullStatus | null;
  conflicts: HostingConflict[];
  host: HostReachability | null;
}

/** The status of one peer, by id; `hosts` and `conflicts` are absent on servers that do not report them. */
export function peerStatus(status: DistributedStatus | null, peerId: string): PeerStatus {
  return {
    pull: status?.peers.find((p) => p.peer_id === peerId) ?? null,
    conflicts: status?.conflicts?.filter((c) => c.peer_id === peerId) ?? [],
    host: status?.hosts?.find((h) => h.peer_id === peerId) ?? null,
  };
}

/** One choice of where a transmission runs: this server, an enabled peer, or a value that is neither (kept so nothing changes unseen). */
export interface HostOption {
  value: string;
  kind: 'self' | 'peer' | 'other';
  name: string;
}

/** The hosts a transmission may pick; null settings (not loaded yet) offer only the current value. */
export function hostOptions(settings: HostingSettings | null, current: string): HostOption[] {
  const options: HostOption[] = settings
    ? [{ value: settings.server_id, kind: 'self', name: settings.server_id }, ...settings.peers.filter((p) => p.enabled).map((p) => ({ value: p.id, kind: 'peer' as const, name: p.name || p.id }))]
    : [];
  return options.some((o) => o.value === current) ? options : [...options, { value: current, kind: 'other', name: current }];
}

export interface DistributedStatusState {
  status: DistributedStatus | null;
  error: string | null;
}

export const createDistributedStatusStore = (): Store<DistributedStatusState> => createStore<DistributedStatusState>({ status: null, error: null });

export const distributedStatusStore = createDistributedStatusStore();

/** Never throws; a failure is kept next to the last status; an abort changes nothing. */
export function refreshDistributedStatus(store: Store<DistributedStatusState>, signal: AbortSignal, fetcher: Fetcher = api): Promise<void> {
  return refreshStore(
    store,
    signal,
    () => fetcher<DistributedStatus>('api/streams/distributed/status', { signal }),
    (status) => ({ status, error: null }),
  );
}
