import type { Readable } from 'node:stream';
import { createLineSplitter } from '../process/lines.js';

/**
 * Output activity of an encoder fed with frames (a JSMpeg session's FFmpeg, a writers publisher):
 * health must tell "frames go in and nothing comes out" (a wedged or stopped FFmpeg, a parser stuck
 * on a bad frame) from a stream that works, since the frames themselves still look fresh.
 *
 * The encoder OWES output from the moment a frame goes in after its last output (or its start, or a
 * `hold`); it is STALLED once it has owed output for `stallMs`. Its status survives restarts on
 * purpose: a restarted encoder that still produces nothing stays stalled, and the stall ends only
 * with output. `stalls` counts the episodes; `due()` paces what a caller does about one (a JSMpeg
 * session restarts its encoder) to at most once per `stallMs`.
 *
 * Default 5 s (OUTPUT_STALL_MS): both encoders emit something for every frame they take (x264
 * zerolatency, MPEG-TS flushed per packet; progress reports every 0.5 s) and take a frame at least
 * every 1/fps s, with a keyframe every second or two; 5 s is several keyframe intervals, so a busy
 * two-core machine or a slow first keyframe does not raise it, while a viewer is not left on a frozen
 * picture for long.
 */
export const OUTPUT_STALL_MS = 5_000;

export interface OutputActivity {
  kind: 'jsmpeg' | 'publisher';
  name: string;
  /** Time since the last output; null before the first one. */
  last_output_ms: number | null;
  /** How long output has been owed (0 while the encoder keeps up). */
  no_output_for_ms: number;
  stalled: boolean;
  /** Stall episodes so far. */
  stalls: number;
}

export interface OutputWatch {
  /** A frame was offered to the encoder (written or skipped because it did not read). */
  input(): void;
  /** The encoder produced output. */
  output(): void;
  /** Output is held back on purpose right now (its reader paused it): no output is owed. */
  hold(): void;
  /** Stalled, and nothing was done about it for `stallMs` (or ever): the caller acts now. */
  due(): boolean;
  view(): OutputActivity;
}

export interface OutputWatchOptions {
  kind: OutputActivity['kind'];
  name: string;
  stallMs?: number;
  now?: () => number;
}

export function createOutputWatch({ kind, name, stallMs = OUTPUT_STALL_MS, now = Date.now }: OutputWatchOptions): OutputWatch {
  if (!Number.isFinite(stallMs) || stallMs <= 0) throw new RangeError('output watch: stallMs must be a positive number');
  let lastOutputAt: number | null = null;
  /** Since when output would be owed: the start, the last output or the last hold. */
  let since = now();
  let inputAfterSince = false;
  let counted = false;
  let actedAt: number | null = null;
  let stalls = 0;

  const owedFor = (t: number) => (inputAfterSince ? Math.max(0, t - since) : 0);
  const stalled = (t: number) => {
    const is = owedFor(t) >= stallMs;
    if (is && !counted) {
      counted = true;
      stalls++;
    }
    return is;
  };
  const reset = (t: number) => {
    since = t;
    inputAfterSince = false;
  };

  return {
    input() {
      inputAfterSince = true;
    },
    output() {
      const t = now();
      lastOutputAt = t;
      reset(t);
      counted = false;
      actedAt = null;
    },
    hold() {
      if (!stalled(now())) reset(now());
    },
    due() {
      const t = now();
      if (!stalled(t) || (actedAt !== null && t - actedAt < stallMs)) return false;
      actedAt = t;
      return true;
    },
    view() {
      const t = now();
      return { kind, name, last_output_ms: lastOutputAt === null ? null : t - lastOutputAt, no_output_for_ms: owedFor(t), stalled: stalled(t), stalls };
    },
  };
}

/**
 * `-progress pipe:1`: FFmpeg writes `key=value` lines to stdout every half second, whatever its log
 * level. For a publisher (whose real output goes to the engine over RTSP) a growing `frame=` count is
 * its output.
 */
export const PROGRESS_ARGS = ['-progress', 'pipe:1'] as const;

/** Reads an FFmpeg's `-progress` stdout; calls `onFrames` whenever the frame count grew. */
export function readProgress(stdout: Readable, onFrames: (frames: number) => void): void {
  let frames = 0;
  const lines = createLineSplitter((line) => {
    if (!line.startsWith('frame=')) return;
    const n = Number(line.slice(6));
    if (Number.isFinite(n) && n > frames) {
      frames = n;
      onFrames(n);
    }
  });
  stdout.on('data', (chunk: Buffer) => lines.push(chunk));
  stdout.on('end', () => lines.end());
}
