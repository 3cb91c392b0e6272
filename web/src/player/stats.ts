/**
 * Live playback figures for the stats overlay: frame rate and bitrate over a sliding window, time to
 * first frame, and the history of transports that failed, fell back or climbed. Pure: no DOM and no
 * timer; time comes from the injected clock, and the controller feeds it what the transports and
 * the <video> element say.
 */
import type { Transport } from '../../../src/api/contract.js';
import type { HlsEngine } from './plan.js';

interface StatsEvent {
  /** Epoch milliseconds, for the overlay's clock time. */
  at: number;
  kind: 'failed' | 'fell_back' | 'climbed';
  transport: Transport;
  from: Transport | null;
  reason: string | null;
}

interface StatsReading {
  /** Frames decoded per second over the window; null until two readings of the counters span some time. */
  fps: number | null;
  /** Bits per second of media received over the window (or since tracking began, when that is shorter); null without time. */
  bitrateBps: number | null;
  decodedFrames: number | null;
  droppedFrames: number | null;
  ttffMs: number | null;
  history: StatsEvent[];
}

/** What the overlay shows: the collector's figures and what the controller reads from the transport and the element. */
export interface LiveStats extends StatsReading {
  transport: Transport | null;
  hlsEngine: HlsEngine | null;
  width: number | null;
  height: number | null;
  /** Seconds behind live where the transport tells it; null otherwise. */
  latencyS: number | null;
}

export interface StatsCollector {
  /** The attempt on screen; a different id starts the windows afresh (the new transport's own figures). */
  track(attempt: { id: number; startedAt: number; firstFrameAt: number | null } | null): void;
  /** Media bytes arrived for the tracked attempt. */
  bytes(n: number): void;
  /** The element's cumulative decoded and dropped frame counters (getVideoPlaybackQuality). */
  frames(decoded: number, dropped: number): void;
  event(e: Omit<StatsEvent, 'at'>): void;
  read(): StatsReading;
}

export interface StatsOptions {
  /** Monotonic milliseconds (performance.now in the browser). */
  now: () => number;
  /** Epoch milliseconds for the history's times. */
  wallClock?: () => number;
  /** The sliding window of fps and bitrate: long enough to span an HLS segment or two. */
  windowMs?: number;
  /** History entries kept, newest last. */
  historySize?: number;
}

export function createStatsCollector({ now, wallClock = Date.now, windowMs = 4_000, historySize = 8 }: StatsOptions): StatsCollector {
  if (!(windowMs > 0)) throw new Error(`stats windowMs must be positive, got ${windowMs}`);
  let attemptId: number | null = null;
  let ttffMs: number | null = null;
  let since = now();
  let received: { at: number; n: number }[] = [];
  let counters: { at: number; decoded: number; dropped: number }[] = [];
  const history: StatsEvent[] = [];

  const prune = (at: number) => {
    received = received.filter((r) => at - r.at < windowMs);
    // One reading older than the window stays as the base the newest is measured from.
    while (counters.length > 2 && at - counters[1]!.at >= windowMs) counters.shift();
  };

  return {
    track(attempt) {
      const id = attempt?.id ?? null;
      ttffMs = attempt?.firstFrameAt != null ? Math.round(attempt.firstFrameAt - attempt.startedAt) : null;
      if (id === attemptId) return;
      attemptId = id;
      since = now();
      received = [];
      counters = [];
    },
    bytes(n) {
      if (attemptId === null || !(n > 0)) return;
      const at = now();
      received.push({ at, n });
      prune(at);
    },
    frames(decoded, dropped) {
      const at = now();
      const last = counters.at(-1);
      // The counters belong to the element: a new source restarts them, and the window with them.
      if (last && decoded < last.decoded) counters = [];
      counters.push({ at, decoded, dropped });
      prune(at);
    },
    event(e) {
      history.push({ ...e, at: wallClock() });
      if (history.length > historySize) history.splice(0, history.length - historySize);
    },
    read() {
      const at = now();
      prune(at);
      const first = counters[0];
      const last = counters.at(-1);
      const frameSpan = first && last ? last.at - first.at : 0;
      const byteSpan = Math.min(windowMs, at - since);
      const bytes = received.reduce((sum, r) => sum + r.n, 0);
      return {
        fps: first && last && frameSpan > 0 ? ((last.decoded - first.decoded) * 1000) / frameSpan : null,
        bitrateBps: attemptId !== null && byteSpan > 0 ? (bytes * 8 * 1000) / byteSpan : null,
        decodedFrames: last?.decoded ?? null,
        droppedFrames: last?.dropped ?? null,
        ttffMs,
        history: [...history],
      };
    },
  };
}
