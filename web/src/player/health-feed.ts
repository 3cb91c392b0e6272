/**
 * Runtime health for the players: one poll of `GET api/streams/runtime/health` (every
 * transmission at once) shared by all visible players, running only while one watches.
 */
import type { TransmissionHealth } from '../../../src/api/contract.js';

/** The fields of a health entry the player reads. */
export type FeedHealth = Pick<TransmissionHealth, 'transmission_id' | 'input' | 'engine_state' | 'active_writer_id' | 'selected_writer_id' | 'fallback_reason' | 'frame_age_ms'>;

/**
 * Nothing feeds a writers transmission: the placeholder is all any transport can show. Camera
 * streams are left out: their frames are decoded only for stills and the fallback, so "no writer"
 * there says nothing about the video the engine relays.
 */
export const feedMissing = (h: FeedHealth | null): boolean => h !== null && h.input === 'writers' && (h.fallback_reason === 'no_writer' || h.fallback_reason === 'all_writers_closed');

export interface HealthFeedOptions {
  load: () => Promise<FeedHealth[]>;
  intervalMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export interface HealthFeed {
  /** Calls `listener` with the transmission's entry (null when the list lacks it) after every poll; returns the unwatch. */
  watch(transmissionId: string, listener: (h: FeedHealth | null) => void): () => void;
}

export function createHealthFeed({
  load,
  intervalMs = 5_000,
  setTimer = (fn, ms) => setTimeout(fn, ms),
  clearTimer = (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
}: HealthFeedOptions): HealthFeed {
  const watchers = new Set<{ id: string; listener: (h: FeedHealth | null) => void }>();
  let latest: FeedHealth[] | null = null;
  let timer: unknown = null;
  let inFlight = false;

  const deliver = (w: { id: string; listener: (h: FeedHealth | null) => void }) => {
    if (latest) w.listener(latest.find((h) => h.transmission_id === w.id) ?? null);
  };

  async function poll(): Promise<void> {
    timer = null;
    inFlight = true;
    try {
      const list = await load();
      if (watchers.size === 0) return;
      latest = list;
      for (const w of [...watchers]) deliver(w);
    } catch {
      // A failed poll keeps the last answer: health is advice for the player, never a reason to stop.
    } finally {
      inFlight = false;
      if (watchers.size > 0) timer = setTimer(() => void poll(), intervalMs);
    }
  }

  return {
    watch(id, listener) {
      const w = { id, listener };
      watchers.add(w);
      deliver(w);
      if (timer === null && !inFlight) void poll();
      return () => {
        watchers.delete(w);
        if (watchers.size > 0) return;
        // Nobody watches: stop polling and forget the answer, which would be stale by the next watch.
        latest = null;
        if (timer !== null) clearTimer(timer);
        timer = null;
      };
    },
  };
}
