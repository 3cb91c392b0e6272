/**
 * The browser's instance side of distributed hosting: how this server reaches the peers that host some
 * of its transmissions (`host_server_id`). Every call carries this server's id and the secret both
 * share; each is bounded by a timeout; a peer that failed is "down" and calls to it fail at once (503
 * `host_unreachable`) instead of waiting, while one probe a `retryMs` checks whether it is back, so
 * playback resumes by itself.
 */
import type { Logger } from 'pino';
import * as v from 'valibot';
import { peerHeaders, type Peer } from '../../domain/peers.js';
import type { Transmission } from '../../domain/transmission.js';
import { ApiError } from '../../shared/errors.js';
import type { SettingsStore } from '../../store/settings-store.js';
import { peerResolutionSchema, type PeerResolution } from './resolution.js';

export interface PeerLinksOptions {
  store: SettingsStore;
  logger: Logger;
  /** Until a peer's response headers. Default 3 s. */
  timeoutMs?: number;
  /** A down peer is probed this often, and calls to it fail at once meanwhile. Default 2 s. */
  retryMs?: number;
  /** Each peer that hosts one of this server's transmissions is checked this often, so a host that went away is reported without anyone playing. Default 10 s. */
  checkMs?: number;
  now?: () => number;
}

/** Where a transmission of this server's settings is hosted, when not here. */
export interface RemoteHost {
  tx: Transmission;
  /** Null when `host_server_id` names no enabled peer. */
  peer: Peer | null;
}

export interface PeerLinkState {
  peer_id: string;
  reachable: boolean | null;
  /** Why the last call failed, in words (never the secret). */
  error: string | null;
  since: string | null;
}

/** This server's engine path that relays a peer's output to RTSP readers that cannot reach the peer (Home Assistant). */
export const relayPath = (peerId: string, enginePath: string) => `relay/${peerId}/${enginePath}`;

/** A peer on this machine's loopback: its RTSP address means nothing to another container or machine. */
export const isLoopbackPeer = (peer: Pick<Peer, 'base_url'>) => /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(new URL(peer.base_url).hostname);

/** How long a resolution answers for the host: its facts change (an engine that was starting runs). */
const RESOLUTION_MAX_AGE_MS = 5000;
/** Cached resolutions are dropped this long before their media tokens expire. */
const RENEW_MARGIN_MS = 60_000;

export function createPeerLinks({ store, logger, timeoutMs = 3000, retryMs = 2000, checkMs = 10_000, now = Date.now }: PeerLinksOptions) {
  if (!(timeoutMs >= 50) || !(retryMs >= 50) || !(checkMs >= 50)) throw new Error('peer links: timeoutMs, retryMs and checkMs must be >= 50');
  const log = logger.child({ component: 'peer-links' });
  const states = new Map<string, PeerLinkState & { downAt: number | null }>();
  const resolutions = new Map<string, { at: number; value: PeerResolution }>();
  const resolving = new Map<string, Promise<PeerResolution>>();
  const probes = new Map<string, NodeJS.Timeout>();
  const probing = new Set<string>();
  let checker: NodeJS.Timeout | null = null;

  const doc = () => store.get();
  const enabledPeer = (id: string) => doc().streaming.peers.find((p) => p.id === id && p.enabled) ?? null;
  const stateOf = (id: string) => states.get(id) ?? { peer_id: id, reachable: null, error: null, since: null, downAt: null };

  function markUp(peer: Peer): void {
    const s = stateOf(peer.id);
    if (s.reachable !== true) {
      if (s.reachable === false) log.info({ peer: peer.id }, 'peer reachable again');
      states.set(peer.id, { peer_id: peer.id, reachable: true, error: null, since: new Date(now()).toISOString(), downAt: null });
    }
    const timer = probes.get(peer.id);
    if (timer) clearInterval(timer);
    probes.delete(peer.id);
  }

  function markDown(peer: Peer, error: string): void {
    const s = stateOf(peer.id);
    if (s.reachable !== false) log.warn({ peer: peer.id, error }, 'peer unreachable: its transmissions are reported host_unreachable until it answers again');
    states.set(peer.id, { peer_id: peer.id, reachable: false, error, since: s.reachable === false ? s.since : new Date(now()).toISOString(), downAt: now() });
    // Its media tokens may be from before a restart (a new key): resolved again once it is back.
    for (const tx of resolutions.keys()) if (hostOf(tx)?.peer?.id === peer.id) resolutions.delete(tx);
    if (!probes.has(peer.id)) {
      const timer = setInterval(() => void probe(peer.id), retryMs);
      timer.unref();
      probes.set(peer.id, timer);
    }
  }

  const unreachable = (peer: Peer, why: string) =>
    new ApiError(503, 'host_unreachable', `transmission host "${peer.id}" (${peer.base_url}) is unreachable: ${why}; playback resumes when it answers again`, 'host_server_id');

  /**
   * One call to a peer, the response headers within the timeout (a streamed body then takes as long as
   * it takes, until `signal`). A network failure or timeout marks the peer down; a peer already down
   * is not waited for.
   */
  async function call(
    peer: Peer,
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: RequestInit['body']; signal?: AbortSignal; probe?: boolean; timeoutMs?: number } = {},
  ): Promise<Response> {
    const s = stateOf(peer.id);
    if (!init.probe && s.reachable === false) throw unreachable(peer, s.error ?? 'it did not answer');
    const aborter = new AbortController();
    // A call the host may hold on purpose (an HLS playlist waiting for its first segment) gets its own limit.
    const limit = init.timeoutMs ?? timeoutMs;
    const timer = setTimeout(() => aborter.abort(new Error('timeout')), limit);
    const signal = init.signal ? AbortSignal.any([aborter.signal, init.signal]) : aborter.signal;
    try {
      const res = await fetch(`${peer.base_url}${path}`, {
        method: init.method ?? 'GET',
        headers: { ...init.headers, ...peerHeaders(doc().streaming.server_id, peer.secret) },
        body: init.body ?? null,
        signal,
        redirect: 'manual',
      });
      markUp(peer);
      return res;
    } catch (err) {
      if (init.signal?.aborted) throw err; // the caller gave up: says nothing about the peer
      const why = aborter.signal.aborted ? `no answer within ${limit} ms` : 'connection failed';
      // One slow answer (a busy host, a playlist held on purpose) does not take every stream of the host
      // down: the probe, asked at once, decides. A refused or broken connection, or the probe's own
      // timeout, does.
      if (aborter.signal.aborted && !init.probe) {
        void probe(peer.id);
        throw new ApiError(504, 'host_timeout', `transmission host "${peer.id}" gave no answer within ${limit} ms`, 'host_server_id');
      }
      markDown(peer, why);
      throw unreachable(peer, why);
    } finally {
      clearTimeout(timer);
    }
  }

  /** One ping of the peer at a time: many slow calls at once ask once. */
  async function probe(peerId: string): Promise<void> {
    const peer = enabledPeer(peerId);
    if (!peer) {
      clearInterval(probes.get(peerId));
      probes.delete(peerId);
      return;
    }
    if (probing.has(peerId)) return;
    probing.add(peerId);
    try {
      const res = await call(peer, `/api/streams/distributed/ping/${encodeURIComponent(doc().streaming.server_id)}`, { probe: true });
      void res.body?.cancel();
    } catch {
      // Still down: the next probe tries again.
    } finally {
      probing.delete(peerId);
    }
  }

  /** The transmission, when this server's settings say another server hosts it; null for one hosted here (or unknown). */
  function hostOf(txId: string): RemoteHost | null {
    const d = doc();
    const tx = d.transmissions.find((t) => t.id === txId);
    if (!tx || tx.host_server_id === d.streaming.server_id) return null;
    return { tx, peer: enabledPeer(tx.host_server_id) };
  }

  /** The host's peer, or a 503 naming why there is none. */
  function hostPeer(txId: string): { tx: Transmission; peer: Peer } {
    const host = hostOf(txId);
    if (!host) throw new ApiError(409, 'not_remote', `transmission ${txId} is not hosted by a peer`, 'host_server_id');
    if (!host.peer) throw new ApiError(503, 'host_unreachable', `transmission host "${host.tx.host_server_id}" is not an enabled peer of this server (settings: streaming.peers)`, 'host_server_id');
    return { tx: host.tx, peer: host.peer };
  }

  async function fetchResolution(txId: string): Promise<PeerResolution> {
    const { peer } = hostPeer(txId);
    const res = await call(peer, `/api/streams/internal/transmissions/${encodeURIComponent(txId)}/urls`, { headers: { accept: 'application/json' } });
    const body: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      const message = (body as { message?: unknown } | null)?.message;
      throw new ApiError(502, 'host_refused', `transmission host "${peer.id}" answered ${res.status}${typeof message === 'string' ? `: ${message}` : ''}`, 'host_server_id');
    }
    const parsed = v.safeParse(v.object({ peer: peerResolutionSchema }), body);
    if (!parsed.success || parsed.output.peer.transmission_id !== txId)
      throw new ApiError(502, 'host_refused', `transmission host "${peer.id}" answered something that is not this transmission's URLs`, 'host_server_id');
    return parsed.output.peer;
  }

  /** Where the host serves the transmission's media, for this server (cached a few seconds, and never past its tokens' expiry). */
  function resolve(txId: string, fresh = false): Promise<PeerResolution> {
    const cached = resolutions.get(txId);
    const tokensLast = cached ? cached.value.expires_in_s * 1000 - Math.min(RENEW_MARGIN_MS, (cached.value.expires_in_s * 1000) / 2) : 0;
    // The host's facts (its engine starting, sessions taken) are worth a few seconds; its tokens far longer.
    if (!fresh && cached && now() < cached.at + Math.min(tokensLast, RESOLUTION_MAX_AGE_MS)) return Promise.resolve(cached.value);
    let p = resolving.get(txId);
    if (!p) {
      const at = now();
      p = fetchResolution(txId)
        .then((value) => {
          resolutions.set(txId, { at, value });
          return value;
        })
        .finally(() => resolving.delete(txId));
      resolving.set(txId, p);
    }
    return p;
  }

  return {
    hostOf,
    /** True for a transmission of this server's settings that a peer hosts. */
    isRemote: (txId: string) => hostOf(txId) !== null,
    /** Why the transmission's host cannot be reached now (null when it can, or was not asked yet). */
    unreachable(txId: string): string | null {
      const host = hostOf(txId);
      if (!host) return null;
      if (!host.peer) return `host "${host.tx.host_server_id}" is not an enabled peer of this server`;
      const s = stateOf(host.peer.id);
      return s.reachable === false ? `host "${host.peer.id}" (${host.peer.base_url}) is unreachable: ${s.error ?? 'no answer'}` : null;
    },
    resolve,
    /** One peer-authenticated call to the host of a transmission (path absolute on the host, e.g. `/api/streams/...`). */
    async toHost(txId: string, path: string, init: Parameters<typeof call>[2] = {}): Promise<Response> {
      return call(hostPeer(txId).peer, path, init);
    },
    /** The host's base URL (media paths of a resolution are relative to it). */
    baseOf: (txId: string) => hostPeer(txId).peer.base_url,
    /** The headers of a call to the host of a transmission, for a client other than fetch (a WebSocket). */
    headersFor: (txId: string) => peerHeaders(doc().streaming.server_id, hostPeer(txId).peer.secret),
    /** Checks every peer that hosts one of this server's transmissions now and every `checkMs`. */
    start(): void {
      const check = () => {
        const d = doc();
        const hosts = new Set(d.transmissions.filter((t) => t.host_server_id !== d.streaming.server_id).map((t) => t.host_server_id));
        for (const id of hosts) if (!probes.has(id)) void probe(id);
        // A relay here needs the host's RTSP address before any reader comes (Home Assistant reads it at any time).
        for (const t of d.transmissions) {
          const peer = hostOf(t.id)?.peer;
          if (peer && isLoopbackPeer(peer) && !probes.has(peer.id)) void resolve(t.id).catch(() => undefined);
        }
      };
      checker ??= setInterval(check, checkMs);
      checker.unref();
      check();
    },
    /**
     * The relay paths this server's engine runs: each output of a transmission hosted by a loopback peer
     * whose RTSP address the host gave, pulled from there on demand.
     */
    relays(): Map<string, { source: string; sourceOnDemand: true; rtspTransport: 'tcp' }> {
      const paths = new Map<string, { source: string; sourceOnDemand: true; rtspTransport: 'tcp' }>();
      for (const [tx, { value }] of resolutions) {
        const peer = hostOf(tx)?.peer;
        if (!peer || !isLoopbackPeer(peer)) continue;
        for (const o of value.outputs) if (o.rtsp) paths.set(relayPath(peer.id, o.engine_path), { source: o.rtsp, sourceOnDemand: true, rtspTransport: 'tcp' });
      }
      return paths;
    },
    status: (): PeerLinkState[] =>
      doc()
        .streaming.peers.filter((p) => p.enabled)
        .map((p) => ({ peer_id: p.id, reachable: stateOf(p.id).reachable, error: stateOf(p.id).error, since: stateOf(p.id).since })),
    close(): void {
      if (checker) clearInterval(checker);
      checker = null;
      for (const t of probes.values()) clearInterval(t);
      probes.clear();
    },
  };
}
export type PeerLinks = ReturnType<typeof createPeerLinks>;
