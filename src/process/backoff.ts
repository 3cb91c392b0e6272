import type { BackoffOptions } from './types.js';

/**
 * Long-running services (MediaMTX, go2rtc) and anything without a better policy: 0.5, 1, 2, ... 30 s.
 * A service that answered its API is marked healthy (service.ts), which ends its crash streak: a
 * kill from outside after a good run (the OOM killer, an operator) costs one `initialMs`, while a
 * service that dies before it ever answers (bad config, port taken, broken binary) keeps backing off.
 */
export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  initialMs: 500,
  maxMs: 30_000,
  factor: 2,
  resetAfterMs: 60_000,
});

/**
 * Media children (publishers, fallback encoders, frame decoders, the demo writer): 250, 500, 1000 ms,
 * then every second. A viewer is waiting on each of them, and what they read is local and cheap (the
 * engine's path, stdin frames, a lavfi graph): a restart costs one FFmpeg spawn, and they only run
 * while somebody watches. A camera that is truly down is detected (and reported) by the source, not by
 * backing off the decoder. The 1 s cap keeps a child killed again and again (OOM killer) back within
 * about a second each time; a child that produced output is marked healthy and starts again from 250 ms.
 */
export const MEDIA_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  initialMs: 250,
  maxMs: 1000,
  factor: 2,
  resetAfterMs: 10_000,
});

/**
 * Merges partial backoff options over a base and validates the result (throws RangeError on nonsense:
 * negative or non-finite delays, a factor below 1, a cap below the first delay; TypeError on a partial that is
 * not an object, which an untyped caller may pass).
 */
export function resolveBackoff(base: BackoffOptions, partial?: Partial<BackoffOptions> | null, where = 'backoff'): BackoffOptions {
  const merged: BackoffOptions = { ...base };
  if (partial !== undefined) {
    if (partial === null || typeof partial !== 'object') throw new TypeError(`${where} must be an object`);
    for (const key of ['initialMs', 'maxMs', 'factor', 'resetAfterMs'] as const) {
      const v = partial[key];
      if (v !== undefined) merged[key] = v;
    }
  }
  for (const key of ['initialMs', 'maxMs', 'resetAfterMs'] as const) {
    const v = merged[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`${where}.${key} must be a finite number >= 0 (got ${String(v)})`);
  }
  if (typeof merged.factor !== 'number' || !Number.isFinite(merged.factor) || merged.factor < 1) {
    throw new RangeError(`${where}.factor must be a finite number >= 1 (got ${String(merged.factor)})`);
  }
  if (merged.maxMs < merged.initialMs) throw new RangeError(`${where}.maxMs (${merged.maxMs}) must be >= initialMs (${merged.initialMs})`);
  return merged;
}

/**
 * Delay before restart number `attempt + 1` of a crash streak (attempt 0 is the first restart):
 * `initialMs * factor^attempt`, capped at `maxMs`.
 */
export function backoffDelay(attempt: number, options: Pick<BackoffOptions, 'initialMs' | 'maxMs' | 'factor'>): number {
  const n = Math.max(0, Math.floor(attempt));
  const raw = options.initialMs * Math.pow(options.factor, n);
  // Math.pow overflows to Infinity for long streaks; the cap still applies.
  return Math.round(Math.min(options.maxMs, Number.isFinite(raw) ? raw : options.maxMs));
}

/** How the run that just crashed went: how long it lasted, and whether it was marked healthy. */
export interface CrashedRun {
  ranMs: number;
  healthy: boolean;
}

/**
 * The crash streak a crash continues: a run that lasted `resetAfterMs` or proved itself healthy (its
 * API answered, it produced output) ends the previous streak, so this crash is the first of a new one.
 */
export function streakBefore(streak: number, run: CrashedRun, options: Pick<BackoffOptions, 'resetAfterMs'>): number {
  return run.healthy || run.ranMs >= options.resetAfterMs ? 0 : streak;
}
