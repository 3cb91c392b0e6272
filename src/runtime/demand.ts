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
 * Who wants a transmission right now, apart from the engine's readers: player heartbeats (per
 * client kind and session), priming, and in-process consumers (still grabs, fallback sessions).
 * Expired entries are forgotten lazily, so an idle server does no work here.
 */
export function createDemandTracker({ heartbeatTtlMs, now }: DemandOptions) {
  if (!(heartbeatTtlMs > 0)) throw new Error('demand: heartbeatTtlMs must be positive');
  const heartbeats = new Map<string, Map<string, { client: ClientKind; expires: number }>>();
  const primes = new Map<string, number>();
  const consumers = new Map<string, number>();
  /** The consumers that read the transmission's frames (stills, fallback sessions), not only its engine paths. */
  const frameConsumers = new Map<string, number>();

  const liveHeartbeats = (txId: string, t: number) => {
    const sessions = heartbeats.get(txId);
    if (!sessions) return [];
    for (const [key, hb] of sessions) if (hb.expires <= t) sessions.delete(key);
    if (sessions.size === 0) heartbeats.delete(txId);
    return [...sessions.values()];
  };

  /** True while a heartbeat, a prime or a consumer holds the transmission. */
  const wanted = (txId: string): boolean => {
    const t = now();
    const primed = primes.get(txId);
    if (primed !== undefined && primed <= t) primes.delete(txId);
    return (consumers.get(txId) ?? 0) > 0 || (primes.get(txId) ?? 0) > t || liveHeartbeats(txId, t).length > 0;
  };

  return {
    wanted,
    heartbeat(txId: string, client: ClientKind, sessionId = 'default'): void {
      let sessions = heartbeats.get(txId);
      if (!sessions) heartbeats.set(txId, (sessions = new Map<string, { client: ClientKind; expires: number }>()));
      sessions.set(`${client}:${sessionId}`, { client, expires: now() + heartbeatTtlMs });
    },
    prime(txId: string, forMs: number): void {
      primes.set(txId, Math.max(primes.get(txId) ?? 0, now() + forMs));
    },
    /**
     * Registers an in-process consumer; the returned function releases it (once). `frames: false`
     * for one that reads only engine paths (the MSE relay): it wants publishers, not decoded frames.
     */
    acquire(txId: string, { frames = true }: { frames?: boolean } = {}): () => void {
      const counts = frames ? [consumers, frameConsumers] : [consumers];
      for (const m of counts) m.set(txId, (m.get(txId) ?? 0) + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        for (const m of counts) {
          const left = (m.get(txId) ?? 1) - 1;
          if (left > 0) m.set(txId, left);
          else m.delete(txId);
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
      const byClient = new Map<ClientKind, { sessions: number; expires: number }>();
      for (const hb of liveHeartbeats(txId, t)) {
        const cur = byClient.get(hb.client);
        byClient.set(hb.client, { sessions: (cur?.sessions ?? 0) + 1, expires: Math.max(cur?.expires ?? 0, hb.expires) });
      }
      return {
        heartbeats: [...byClient].map(([client, v]) => ({ client, sessions: v.sessions, expires_in_ms: v.expires - t })),
        primed_for_ms: Math.max(0, (primes.get(txId) ?? 0) - t),
        consumers: consumers.get(txId) ?? 0,
      };
    },
    /** Transmissions with any demand entry, for the runtime's tick. */
    active(): string[] {
      return [...new Set([...heartbeats.keys(), ...primes.keys(), ...consumers.keys()])].filter(wanted);
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
