import type { Context } from './plan.js';

/**
 * Playback events reported by players (`POST /api/streams/runtime/playback-events`): which transport
 * was chosen, when the first frame showed (time to first frame), failures, fallbacks to a lesser
 * transport and climbs back to a better one, stalls and recoveries. Kept in a bounded ring buffer
 * (the oldest are dropped, counted) and summarised for `/runtime/observability`.
 *
 * The edge (src/api/routes/events.ts) validates a request's events, all before any is kept, and
 * hands them here typed. `fell_back` and `climbed` carry `from_transport` (the transport left;
 * `transport` is the one moved to).
 *
 * Percentiles are nearest-rank: the p-th percentile of n sorted values is the value at rank
 * ceil(p/100 * n) (1-based), so p50 of [100, 200, 300, 400] is 200 and p95 is 400.
 */

export const PLAYBACK_EVENTS = ['chosen', 'first_frame', 'failed', 'fell_back', 'stalled', 'recovered', 'climbed'] as const;
export type PlaybackEventKind = (typeof PLAYBACK_EVENTS)[number];
export const EVENT_TRANSPORTS = ['mse', 'hls', 'webrtc', 'jsmpeg'] as const;
export type EventTransport = (typeof EVENT_TRANSPORTS)[number];
/** Player kinds of the plan (`web`, `app`, `ha_ingress`, `ha_entity`) and of demand heartbeats (`pip`, `ptz`). */
export const EVENT_CLIENTS = ['web', 'app', 'pip', 'ptz', 'ha_ingress', 'ha_entity'] as const;
type EventClient = (typeof EVENT_CLIENTS)[number];
const DEFAULT_EVENT_CAPACITY = 1000;

export interface PlaybackEvent {
  at: string;
  transmission_id: string;
  output_id: string | null;
  client: EventClient;
  context: Context | null;
  event: PlaybackEventKind;
  transport: EventTransport;
  from_transport: EventTransport | null;
  ttff_ms: number | null;
  reason: string | null;
  session_id: string | null;
}

/** Nearest-rank percentile of ascending `sorted` (null when empty). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

/** An event as a player reports it (the request body's shape, validated at the edge). */
export interface PlaybackEventInput {
  transmission_id: string;
  output_id?: string | null | undefined;
  client: EventClient;
  context?: Context | null | undefined;
  event: PlaybackEventKind;
  transport: EventTransport;
  from_transport?: EventTransport | null | undefined;
  ttff_ms?: number | null | undefined;
  reason?: string | null | undefined;
  session_id?: string | null | undefined;
}

interface TransportSummary {
  events: Record<PlaybackEventKind, number>;
  ttff_ms: { count: number; p50: number | null; p95: number | null };
}

export interface PlaybackEventsSummary {
  capacity: number;
  /** Events in the buffer now. */
  kept: number;
  /** Accepted since start (kept + dropped). */
  received: number;
  /** Pushed out of the full buffer (oldest first). */
  dropped: number;
  oldest_at: string | null;
  newest_at: string | null;
  by_transport: Record<EventTransport, TransportSummary>;
  /** `fell_back` counts by from → to, most frequent first. */
  fallbacks: { from: EventTransport; to: EventTransport; count: number }[];
  /** `climbed` counts by from → to, most frequent first. */
  climbs: { from: EventTransport; to: EventTransport; count: number }[];
  /** The last `failed` events, newest first. */
  recent_failures: {
    at: string;
    transmission_id: string;
    output_id: string | null;
    client: string;
    context: string | null;
    transport: EventTransport;
    reason: string | null;
    session_id: string | null;
  }[];
}

export interface PlaybackEventsOptions {
  capacity?: number;
  /** How many failures `summary()` lists. Default 20. */
  recentFailures?: number;
  now?: () => number;
}

export function createPlaybackEvents(opts: PlaybackEventsOptions = {}) {
  const capacity = opts.capacity ?? DEFAULT_EVENT_CAPACITY;
  const recentFailures = opts.recentFailures ?? 20;
  const now = opts.now ?? Date.now;
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('playback events: capacity must be a positive integer');
  const ring: (PlaybackEvent | undefined)[] = new Array<PlaybackEvent | undefined>(capacity);
  let next = 0;
  let size = 0;
  let received = 0;

  /** Oldest first. */
  const all = (): PlaybackEvent[] => {
    const out: PlaybackEvent[] = [];
    const start = (next - size + capacity) % capacity;
    for (let i = 0; i < size; i++) out.push(ring[(start + i) % capacity]!);
    return out;
  };

  return {
    capacity,
    /** Keeps a request's events (already validated, all of them); returns how many were accepted. */
    record(events: readonly PlaybackEventInput[]): { accepted: number } {
      const at = new Date(now()).toISOString();
      for (const e of events) {
        ring[next] = {
          at,
          transmission_id: e.transmission_id,
          output_id: e.output_id ?? null,
          client: e.client,
          context: e.context ?? null,
          event: e.event,
          transport: e.transport,
          from_transport: e.from_transport ?? null,
          ttff_ms: e.ttff_ms ?? null,
          reason: e.reason ?? null,
          session_id: e.session_id ?? null,
        };
        next = (next + 1) % capacity;
        size = Math.min(capacity, size + 1);
        received++;
      }
      return { accepted: events.length };
    },
    size: () => size,
    /** The last `n` events, newest first. */
    recent(n = 50): PlaybackEvent[] {
      return all().slice(-Math.max(0, n)).reverse();
    },
    summary(): PlaybackEventsSummary {
      const events = all();
      const byTransport = {} as Record<EventTransport, TransportSummary>;
      const ttffs = {} as Record<EventTransport, number[]>;
      for (const t of EVENT_TRANSPORTS) {
        byTransport[t] = { events: Object.fromEntries(PLAYBACK_EVENTS.map((k) => [k, 0])) as Record<PlaybackEventKind, number>, ttff_ms: { count: 0, p50: null, p95: null } };
        ttffs[t] = [];
      }
      const pairs = (kind: 'fell_back' | 'climbed') => {
        const counts = new Map<string, { from: EventTransport; to: EventTransport; count: number }>();
        for (const e of events) {
          if (e.event !== kind || e.from_transport === null) continue;
          const key = `${e.from_transport}>${e.transport}`;
          const c = counts.get(key) ?? { from: e.from_transport, to: e.transport, count: 0 };
          c.count++;
          counts.set(key, c);
        }
        return [...counts.values()].sort((a, b) => b.count - a.count || (a.from + a.to < b.from + b.to ? -1 : 1));
      };
      for (const e of events) {
        byTransport[e.transport].events[e.event]++;
        if (e.event === 'first_frame' && e.ttff_ms !== null) ttffs[e.transport].push(e.ttff_ms);
      }
      for (const t of EVENT_TRANSPORTS) {
        const sorted = ttffs[t].sort((a, b) => a - b);
        byTransport[t].ttff_ms = { count: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
      }
      return {
        capacity,
        kept: size,
        received,
        dropped: received - size,
        oldest_at: events[0]?.at ?? null,
        newest_at: events.at(-1)?.at ?? null,
        by_transport: byTransport,
        fallbacks: pairs('fell_back'),
        climbs: pairs('climbed'),
        recent_failures: events
          .filter((e) => e.event === 'failed')
          .slice(-recentFailures)
          .reverse()
          .map((e) => ({
            at: e.at,
            transmission_id: e.transmission_id,
            output_id: e.output_id,
            client: e.client,
            context: e.context,
            transport: e.transport,
            reason: e.reason,
            session_id: e.session_id,
          })),
      };
    },
  };
}
export type PlaybackEvents = ReturnType<typeof createPlaybackEvents>;
