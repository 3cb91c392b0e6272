/**
 * The processing side of distributed hosting: this server pulls, from each enabled peer, the
 * transmissions that peer says this server hosts (`GET {peer}/api/streams/distributed/settings/{own id}`,
 * the peer's shared secret as Bearer), on start, when the peer notifies a change, and by polling with
 * the last digest (`If-None-Match`), so a missed notification is caught within one poll. What was pulled
 * is kept durably per peer (`<data>/peers/<peer id>.json`) and survives a peer that is down.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import * as v from 'valibot';
import { peerHeaders, pulledSchema, type Peer, type PulledSettings } from '../domain/peers.js';
import { writeFileAtomic } from '../store/atomic-file.js';
import type { SettingsStore } from '../store/settings-store.js';

export interface PeerSyncState {
  peer_id: string;
  /** The last subset pulled (kept while the peer is down), null before the first pull. */
  pulled: PulledSettings | null;
  pulled_at: string | null;
  /** Last time the peer answered (200 or 304). */
  checked_at: string | null;
  /** Why the last pull failed, in words (never the secret); null after a good one. */
  error: string | null;
}

export interface PeerSyncOptions {
  store: SettingsStore;
  dataDir: string;
  logger: Logger;
  /** Poll period; a notification pulls at once. Default 30 s. */
  pollMs?: number;
  /** Per request. Default 5 s: a dead peer never holds anything longer. */
  timeoutMs?: number;
  /** Called after a pull changed what this server hosts. */
  onChange?: () => void;
}

const fileOf = (dataDir: string, peerId: string) => join(dataDir, 'peers', `${peerId}.json`);

export function createPeerSync({ store, dataDir, logger, pollMs = 30_000, timeoutMs = 5_000, onChange }: PeerSyncOptions) {
  if (!(pollMs >= 100) || !(timeoutMs >= 50)) throw new Error('peer sync: pollMs must be >= 100 and timeoutMs >= 50');
  const log = logger.child({ component: 'peer-sync' });
  const states = new Map<string, PeerSyncState>();
  const pulling = new Map<string, Promise<PeerSyncState>>();
  let timer: NodeJS.Timeout | null = null;
  /** The settings revision the peers were last told of, and how many notifications went out. */
  let toldRevision = store.get().revision;
  let sent = 0;

  const peers = () => store.get().streaming.peers.filter((p) => p.enabled);
  const stateOf = (id: string): PeerSyncState => states.get(id) ?? { peer_id: id, pulled: null, pulled_at: null, checked_at: null, error: null };

  async function load(id: string): Promise<void> {
    try {
      const pulled = v.parse(pulledSchema, JSON.parse(await readFile(fileOf(dataDir, id), 'utf8')));
      states.set(id, { ...stateOf(id), pulled });
    } catch {
      // Nothing kept yet (or unreadable): the first pull writes it.
    }
  }

  async function fetchSubset(peer: Peer, known: string | null): Promise<PulledSettings | 'unchanged'> {
    const own = store.get().streaming.server_id;
    const url = `${peer.base_url}/api/streams/distributed/settings/${encodeURIComponent(own)}`;
    const headers: Record<string, string> = { ...peerHeaders(own, peer.secret), accept: 'application/json' };
    if (known !== null) headers['if-none-match'] = `"${known}"`;
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      throw new Error(timedOut ? `no answer from ${peer.base_url} within ${timeoutMs} ms` : `cannot reach ${peer.base_url}`, { cause: err });
    }
    if (res.status === 304) return 'unchanged';
    if (res.status === 401) throw new Error(`${peer.base_url} refused this server ("${own}"): the shared secret or the peer list there does not match`);
    if (!res.ok) throw new Error(`${peer.base_url} answered ${res.status}`);
    const parsed = v.safeParse(pulledSchema, await res.json().catch(() => null));
    if (!parsed.success || parsed.output.server_id !== own) throw new Error(`${peer.base_url} answered something that is not this server's settings`);
    return parsed.output;
  }

  async function pullOnce(peer: Peer): Promise<PeerSyncState> {
    const before = stateOf(peer.id);
    const at = new Date().toISOString();
    try {
      const got = await fetchSubset(peer, before.pulled?.digest ?? null);
      if (got === 'unchanged') {
        states.set(peer.id, { ...before, checked_at: at, error: null });
      } else {
        await mkdir(join(dataDir, 'peers'), { recursive: true, mode: 0o700 });
        await writeFileAtomic(fileOf(dataDir, peer.id), JSON.stringify(got), { backup: false });
        states.set(peer.id, { ...before, pulled: got, pulled_at: at, checked_at: at, error: null });
        log.info({ peer: peer.id, version: got.version, transmissions: got.transmissions.length }, 'hosted settings pulled');
        onChange?.();
      }
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      if (before.error !== error) log.warn({ peer: peer.id, error }, 'peer pull failed');
      states.set(peer.id, { ...before, error });
    }
    return stateOf(peer.id);
  }

  /** One pull per peer at a time; a call while one runs gets that one. */
  function pull(peer: Peer): Promise<PeerSyncState> {
    let p = pulling.get(peer.id);
    if (!p) {
      p = pullOnce(peer).finally(() => pulling.delete(peer.id));
      pulling.set(peer.id, p);
    }
    return p;
  }

  const pullAll = () => Promise.all(peers().map(pull));

  return {
    /** Loads what was kept, pulls from every enabled peer, then polls. */
    async start(): Promise<void> {
      await Promise.all(peers().map((p) => load(p.id)));
      timer = setInterval(() => void pullAll(), pollMs);
      timer.unref();
      await pullAll();
    },
    stop(): void {
      if (timer) clearInterval(timer);
      timer = null;
    },
    /** A peer said its settings changed: pull from it now (null for a peer that is not an enabled one). */
    notified(peerId: string): Promise<PeerSyncState> | null {
      const peer = peers().find((p) => p.id === peerId);
      return peer ? pull(peer) : null;
    },
    /** Notifications sent so far (diagnostics). */
    sent: () => sent,
    /** What the panel and diagnostics show: no subset (it holds camera credentials), only its version and size. */
    status: () =>
      peers().map((p) => {
        const s = stateOf(p.id);
        return { peer_id: s.peer_id, version: s.pulled?.version ?? null, transmissions: s.pulled?.transmissions.length ?? 0, pulled_at: s.pulled_at, checked_at: s.checked_at, error: s.error };
      }),
    /** What each peer says this server hosts (the runtime's input for them). */
    pulled: (): PeerSyncState[] => peers().map((p) => stateOf(p.id)),
    /**
     * After a write here: tells every enabled peer to pull (`POST {peer}/api/streams/distributed/notify/{own id}`).
     * Best effort, bounded by the timeout: a peer that misses it catches up on its next poll.
     */
    notifyPeers(): void {
      // Only a change of the settings is news: a heartbeat, or a peer's own notification, is not (two
      // peers telling each other of every POST would never stop).
      const { revision } = store.get();
      if (revision === toldRevision) return;
      toldRevision = revision;
      const own = store.get().streaming.server_id;
      for (const peer of peers()) {
        sent++;
        fetch(`${peer.base_url}/api/streams/distributed/notify/${encodeURIComponent(own)}`, {
          method: 'POST',
          headers: peerHeaders(own, peer.secret),
          signal: AbortSignal.timeout(timeoutMs),
        })
          .then((res) => void res.body?.cancel())
          .catch(() => log.debug({ peer: peer.id }, 'peer not notified (it catches up on its next poll)'));
      }
    },
  };
}
export type PeerSync = ReturnType<typeof createPeerSync>;
