export const CLIENT_KINDS = ['web', 'app', 'pip', 'ptz', 'ha_entity'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

export interface DemandOptions {
  /** A heartbeat keeps demand alive this long; clients send one about every third of it. */
  heartbeatTtlMs: number;
  now: () => number;
}

export interface TransmissionDemand {
  heartbeats: { client: ClientKind; sessions: number; expires_in_ms: number }[];
  primed_for_ms: number;
  consumers: number;
}

/**
 * What a demand entry holds: a whole transmission (every output but those made on request), or one
 * output of it (the one a player, MSE relay or RTSP reader actually reads).
 */
export type DemandTarget = string | { transmission: string; output: string };

const SEP = '\u0000';
const keyOf = (t: DemandTarget) => (typeof t === 'string' ? t : `${t.transmission}${SEP}${t.output}`);
const txOfKey = (k: string) => k.split(SEP, 1)[0]!;

/**
 * Who wants a transmission right now, apart from the engine's readers: player heartbeats (per
 * client kind and session), priming, and in-process consumers (still grabs, fallback sessions),
 * each for the whole transmission or for one output. Expired entries are forgotten lazily, so an
 * idle server does no work here.
 */
export function createDemandTracker({ heartbeatTtlMs, now }: DemandOptions) {
  if (!(heartbeatTtlMs > 0)) throw new Error('demand: heartbeatTtlMs must be positive');
  const heartbeats = new Map<string, Map<string, { client: ClientKind; expires: number }>>();
  const primes = new Map<string, number>();
  const consumers = new Map<string, number>();
  /** The consumers that read the transmission's frames (stills, fallback sessions), not only its engine paths. */
  const frameConsumers = new Map<string, number>();

  const liveHeartbeats = (key: string, t: number) => {
    const sessions = heartbeats.get(key);
    if (!sessions) return [];
    for (const [k, hb] of sessions) if (hb.expires <= t) sessions.delete(k);
    if (sessions.size === 0) heartbeats.delete(key);
    return [...sessions.values()];
  };

  /** True while a heartbeat, a prime or a consumer holds this key. */
  const held = (key: string): boolean => {
    const t = now();
    const primed = primes.get(key);
    if (primed !== undefined && primed <= t) primes.delete(key);
    return (consumers.get(key) ?? 0) > 0 || (primes.get(key) ?? 0) > t || liveHeartbeats(key, t).length > 0;
  };

  /** The keys of a transmission: its own and those of its outputs. */
  const keysOf = (txId: string): string[] => {
    const prefix = `${txId}${SEP}`;
    const keys = new Set([txId]);
    for (const m of [heartbeats, primes, consumers]) for (const k of m.keys()) if (k.startsWith(prefix)) keys.add(k);
    return [...keys];
  };

  return {
    /** True while anything holds the transmission or one of its outputs. */
    wanted: (txId: string): boolean => keysOf(txId).some(held),
    /**
     * Whether an output's publisher is wanted: demand for the whole transmission counts unless the
     * output is made on request (an H.264 twin of an H.265 camera), which only demand naming it starts.
     */
    wantsOutput: (txId: string, outputId: string, onRequest: boolean): boolean => held(keyOf({ transmission: txId, output: outputId })) || (!onRequest && held(txId)),
    heartbeat(target: DemandTarget, client: ClientKind, sessionId = 'default'): void {
      const key = keyOf(target);
      let sessions = heartbeats.get(key);
      if (!sessions) heartbeats.set(key, (sessions = new Map<string, { client: ClientKind; expires: number }>()));
      sessions.set(`${client}:${sessionId}`, { client, expires: now() + heartbeatTtlMs });
    },
    prime(target: DemandTarget, forMs: number): void {
      const key = keyOf(target);
      primes.set(key, Math.max(primes.get(key) ?? 0, now() + forMs));
    },
    /**
     * Registers an in-process consumer; the returned function releases it (once). `frames: false`
     * for one that reads only engine paths (the MSE relay): it wants publishers, not decoded frames.
     */
    acquire(target: DemandTarget, { frames = true }: { frames?: boolean } = {}): () => void {
      const key = keyOf(target);
      const counts: [Map<string, number>, string][] = frames
        ? [
            [consumers, key],
            [frameConsumers, txOfKey(key)],
          ]
        : [[consumers, key]];
      for (const [m, k] of counts) m.set(k, (m.get(k) ?? 0) + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        for (const [m, k] of counts) {
          const left = (m.get(k) ?? 1) - 1;
          if (left > 0) m.set(k, left);
          else m.delete(k);
        }
      };
    },
    /** True while something reads the transmission's frames, or a player primed it (warming the camera). */
    wantsFrames(txId: string): boolean {
      const t = now();
      return (frameConsumers.get(txId) ?? 0) > 0 || (primes.get(txId) ?? 0) > t;
    },
    describe(txId: string): TransmissionDemand {
      const t = now();
      const keys = keysOf(txId);
      const byClient = new Map<ClientKind, { sessions: number; expires: number }>();
      for (const hb of keys.flatMap((k) => liveHeartbeats(k, t))) {
        const cur = byClient.get(hb.client);
        byClient.set(hb.client, { sessions: (cur?.sessions ?? 0) + 1, expires: Math.max(cur?.expires ?? 0, hb.expires) });
      }
      return {
        heartbeats: [...byClient].map(([client, v]) => ({ client, sessions: v.sessions, expires_in_ms: v.expires - t })),
        primed_for_ms: Math.max(0, ...keys.map((k) => (primes.get(k) ?? 0) - t)),
        consumers: keys.reduce((n, k) => n + (consumers.get(k) ?? 0), 0),
      };
    },
    /** Transmissions with any demand entry, for the runtime's tick. */
    active(): string[] {
      const txs = new Set([...heartbeats.keys(), ...primes.keys(), ...consumers.keys()].map(txOfKey));
      return [...txs].filter((tx) => keysOf(tx).some(held));
    },
  };
}
export type DemandTracker = ReturnType<typeof createDemandTracker>;

/**
 * Debounced stop: an output's publisher runs while it is wanted and stops once it has not been
 * wanted for `debounceMs`. Pure: the previous "last wanted" time in, the decision out.
 */
export function publisherDecision({ wanted, lastWantedAt, now, debounceMs }: { wanted: boolean; lastWantedAt: number | null; now: number; debounceMs: number }): {
  run: boolean;
  lastWantedAt: number | null;
} {
  if (wanted) return { run: true, lastWantedAt: now };
  if (lastWantedAt !== null && now - lastWantedAt < debounceMs) return { run: true, lastWantedAt };
  return { run: false, lastWantedAt: null };
}
