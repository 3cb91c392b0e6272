import type { Writable } from 'node:stream';
import type { PlaceholderReason, Placeholders } from './placeholder.js';
import type { FrameView, TransmissionRuntimeState } from './transmission-state.js';

export interface FramePumpCounters {
  frames_written: number;
  frames_skipped: number;
}

export interface FramePumpOptions {
  /** The transmission whose selected frames are pumped. */
  state: TransmissionRuntimeState;
  /** How a frame is read: `state.consume` (the publisher: the one reader that marks frames taken) or `state.frame` (a peek). */
  read: (now: number) => FrameView;
  fps: number;
  /** Size of the placeholder frames (the encoder's output size). */
  width: number;
  height: number;
  placeholders: Placeholders;
  /** Which placeholder a view without a picture gets. Default: the view's own reason. */
  placeholderReason?: (view: FrameView) => PlaceholderReason;
  /** The encoder's current stdin (it changes across restarts). */
  stdin: () => Writable | null;
  /** Incremented on every write and every skip. */
  counters: FramePumpCounters;
  now?: () => number;
  /**
   * `arrival` (default): every new frame is written as it arrives, whatever its rate (the encoder's fps
   * filter evens it out). `paced`: at most about `fps` writes a second; a frame that arrives sooner
   * waits for the next tick (the newest one wins), for encoders without an fps filter.
   */
  pace?: 'arrival' | 'paced';
  /**
   * Start at once: write the current frame (or the placeholder as soon as it is rendered) without
   * waiting for the first tick, and write the very first picture twice: FFmpeg's MJPEG parser only
   * knows a frame has ended when the next one starts, so the first output comes a frame sooner.
   */
  eager?: boolean;
  onPlaceholderError?: (err: unknown) => void;
}

/**
 * The frame pump shared by the publishers and the JSMpeg fallback sessions: the transmission's
 * selected frames (or the placeholder of the right reason) into an encoder's stdin, at its fps.
 * Backpressure: a frame is never queued behind a slow encoder; it is skipped (and counted), and the
 * next write carries a newer frame. So memory stays bounded whatever the encoder or its reader do.
 */
export function startFramePump(opts: FramePumpOptions): { stop: () => void } {
  const { state, read, fps, width, height, placeholders, counters } = opts;
  const now = opts.now ?? Date.now;
  const reasonOf = opts.placeholderReason ?? ((f: FrameView) => f.reason ?? 'no_writer');
  const paced = opts.pace === 'paced';
  const intervalMs = 1000 / fps;
  let lastSeq = -1;
  let lastWriteAt = 0;
  let wrote = false;
  let stopped = false;
  interface Placeholder {
    key: PlaceholderReason | '';
    jpeg: Buffer | null;
  }
  let placeholder: Placeholder = { key: '', jpeg: null };

  const write = (jpeg: Buffer) => {
    const stdin = opts.stdin();
    // Never queue frames behind a slow encoder: skip, the next write carries a newer frame.
    if (!stdin || !stdin.writable || stdin.writableNeedDrain) {
      counters.frames_skipped++;
      return;
    }
    stdin.write(jpeg);
    if (opts.eager && !wrote) stdin.write(jpeg);
    wrote = true;
    counters.frames_written++;
    lastWriteAt = now();
  };
  const placeholderFor = (reason: PlaceholderReason): Buffer | null => {
    if (placeholder.key !== reason) {
      const wanted: Placeholder = { key: reason, jpeg: null };
      placeholder = wanted;
      placeholders.get(width, height, reason).then(
        (jpeg) => {
          wanted.jpeg = jpeg;
          // Eager: the first picture goes out as soon as it exists, not a tick later.
          if (opts.eager && !wrote && !stopped && placeholder === wanted) keepAlive();
        },
        (err: unknown) => opts.onPlaceholderError?.(err),
      );
    }
    return placeholder.jpeg;
  };
  const pushNew = () => {
    if (paced && now() - lastWriteAt < intervalMs * 0.8) return; // the next tick takes the newest frame
    const f = read(now());
    if (f.jpeg && f.seq !== lastSeq) {
      lastSeq = f.seq;
      write(f.jpeg);
    }
  };
  function keepAlive() {
    // 0.8: timers fire a little early or late; the encoder's fps filter evens the rate out.
    if (now() - lastWriteAt < intervalMs * 0.8) return;
    const f = read(now());
    if (f.jpeg) lastSeq = f.seq;
    const jpeg = f.jpeg ?? placeholderFor(reasonOf(f));
    if (jpeg) write(jpeg);
  }
  const unsubscribe = state.onFrame(pushNew);
  const timer = setInterval(keepAlive, intervalMs);
  if (opts.eager) keepAlive();
  return {
    stop: () => {
      stopped = true;
      unsubscribe();
      clearInterval(timer);
    },
  };
}
