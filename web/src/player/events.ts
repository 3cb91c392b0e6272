/**
 * Playback events for `POST api/streams/runtime/playback-events` (src/playback/events.ts), batched
 * across players: one request a second at most, at most 50 events per request (the server's limit).
 */
import type { PlaybackEventInput } from '../../../src/api/contract.js';

/** One event as the server validates it; this page always names its client, context and session. */
export type PlaybackEventBody = PlaybackEventInput & Required<Pick<PlaybackEventInput, 'client' | 'context' | 'session_id'>>;

export const MAX_BATCH = 50;
/** The server's limit for `reason`. */
const MAX_REASON = 500;

export interface EventSinkOptions {
  send: (batch: PlaybackEventBody[]) => Promise<unknown>;
  flushMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
}

export function createEventSink({ send, flushMs = 1_000, setTimer = (fn, ms) => setTimeout(fn, ms) }: EventSinkOptions) {
  const queue: PlaybackEventBody[] = [];
  let scheduled = false;

  function flush(): void {
    scheduled = false;
    while (queue.length > 0) {
      const batch = queue.splice(0, MAX_BATCH);
      // Events are statistics: a failed post is not retried (it would only pile up behind an outage).
      send(batch).catch(() => undefined);
    }
  }

  return {
    push(e: PlaybackEventBody): void {
      queue.push(typeof e.reason === 'string' && e.reason.length > MAX_REASON ? { ...e, reason: e.reason.slice(0, MAX_REASON) } : e);
      if (!scheduled) {
        scheduled = true;
        setTimer(flush, flushMs);
      }
    },
    flush,
  };
}
