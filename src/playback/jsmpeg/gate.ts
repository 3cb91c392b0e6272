import type { Readable } from 'node:stream';

export interface OutputGateOptions {
  socket: { readonly bufferedAmount: number };
  highWaterBytes: number;
  /** Resume below this. Default a quarter of the high water mark. */
  lowWaterBytes?: number;
  /** How often a paused gate looks at the socket again. Default 25 ms. */
  pollMs?: number;
  /** Paused without a break this long: `onTooSlow`. */
  tooSlowMs: number;
  onTooSlow: () => void;
  now?: () => number;
}

/**
 * Pauses a readable (FFmpeg's stdout) while the socket it is sent to has too much buffered, and
 * resumes it once the socket has drained. Exported for tests.
 */
export function createOutputGate(opts: OutputGateOptions) {
  const now = opts.now ?? Date.now;
  const low = opts.lowWaterBytes ?? Math.floor(opts.highWaterBytes / 4);
  const pollMs = opts.pollMs ?? 25;
  let source: Readable | null = null;
  let paused = false;
  let pausedSince = 0;
  let pauses = 0;
  let pausedMs = 0;
  let timer: NodeJS.Timeout | null = null;
  let slowReported = false;

  const resume = () => {
    if (!paused) return;
    paused = false;
    pausedMs += now() - pausedSince;
    if (timer) clearInterval(timer);
    timer = null;
    source?.resume();
  };
  const check = () => {
    if (opts.socket.bufferedAmount <= low) {
      resume();
      return;
    }
    if (!slowReported && now() - pausedSince >= opts.tooSlowMs) {
      slowReported = true;
      opts.onTooSlow();
    }
  };
  return {
    /** The current stdout (a new one after each restart); it inherits the paused state. */
    setSource(readable: Readable) {
      source = readable;
      if (paused) readable.pause();
    },
    /** Called after each send. */
    afterSend() {
      if (paused || opts.socket.bufferedAmount <= opts.highWaterBytes) return;
      paused = true;
      pausedSince = now();
      pauses++;
      source?.pause();
      timer = setInterval(check, pollMs);
    },
    paused: () => paused,
    stats: () => ({ paused, pauses, paused_ms: pausedMs + (paused ? now() - pausedSince : 0) }),
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}

export type OutputGate = ReturnType<typeof createOutputGate>;
