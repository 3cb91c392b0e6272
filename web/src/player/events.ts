/**
 * Playback events for `POST api/streams/runtime/playback-events` (src/playback/events.ts), batched
 * across players: one request a second at most, at most 50 events per request (the server's limit).
 */
import type { PlaybackEventKind } from './machine.js';
import type { PlanClient } from './plan.js';
import type { PlayContext, Transport } from './types.js';

export interface PlaybackEventBody {
  transmission_id: string;
  output_id: string | null;
  client: PlanClient;
  context: PlayContext;
  event: PlaybackEventKind;
  transport: Transport;
  from_transport?: Transport;
  ttff_ms?: number;
  reason?: string;
  session_id: string;
}

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
      queue.push(e.reason !== undefined && e.reason.length > MAX_REASON ? { ...e, reason: e.reason.slice(0, MAX_REASON) } : e);
      if (!scheduled) {
        scheduled = true;
        setTimer(flush, flushMs);
      }
    },
    flush,
  };
}
