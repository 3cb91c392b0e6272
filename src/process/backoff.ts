import type { BackoffOptions } from './types.js';

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  initialMs: 500,
  maxMs: 30_000,
  factor: 2,
  resetAfterMs: 60_000,
});

/**
 * Merges partial backoff options over a base and validates the result (throws RangeError on nonsense:
 * negative or non-finite delays, a factor below 1, a cap below the first delay).
 */
export function resolveBackoff(base: BackoffOptions, partial?: Partial<BackoffOptions>, where = 'backoff'): BackoffOptions {
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
