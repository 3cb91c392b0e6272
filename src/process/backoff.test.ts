import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, MEDIA_BACKOFF, resolveBackoff, streakBefore, type CrashedRun } from './backoff.js';
import type { BackoffOptions } from './types.js';

describe('backoffDelay', () => {
  it.each([
    // initialMs, factor, maxMs, attempt, expected
    [500, 2, 30_000, 0, 500],
    [500, 2, 30_000, 1, 1000],
    [500, 2, 30_000, 2, 2000],
    [500, 2, 30_000, 5, 16_000],
    [500, 2, 30_000, 6, 30_000], // 32 000 capped
    [500, 2, 30_000, 60, 30_000],
    [500, 2, 30_000, 5000, 30_000], // 2^5000 overflows to Infinity: still the cap
    [50, 2, 200, 0, 50],
    [50, 2, 200, 1, 100],
    [50, 2, 200, 2, 200],
    [50, 2, 200, 3, 200],
    [100, 1, 1000, 7, 100], // factor 1: constant
    [100, 1.5, 1000, 2, 225],
    [0, 2, 1000, 4, 0],
    [500, 2, 30_000, -3, 500], // a negative attempt is treated as the first
  ])('initial %i x%f cap %i, attempt %i -> %i ms', (initialMs, factor, maxMs, attempt, expected) => {
    expect(backoffDelay(attempt, { initialMs, factor, maxMs })).toBe(expected);
  });
});

describe('resolveBackoff', () => {
  it('fills the defaults and lets a partial override them', () => {
    expect(resolveBackoff(DEFAULT_BACKOFF)).toEqual({ initialMs: 500, maxMs: 30_000, factor: 2, resetAfterMs: 60_000 });
    expect(resolveBackoff(DEFAULT_BACKOFF, { initialMs: 50, maxMs: 200 })).toEqual({ initialMs: 50, maxMs: 200, factor: 2, resetAfterMs: 60_000 });
  });

  it.each([
    [{ initialMs: -1 }, /initialMs/],
    [{ maxMs: Number.NaN }, /maxMs/],
    [{ resetAfterMs: Number.POSITIVE_INFINITY }, /resetAfterMs/],
    [{ factor: 0.5 }, /factor/],
    [{ initialMs: 1000, maxMs: 10 }, /maxMs/],
  ])('rejects %o', (partial, message) => {
    expect(() => resolveBackoff(DEFAULT_BACKOFF, partial)).toThrow(message);
  });
});

/** The delays the supervisor schedules after each crash of a sequence of runs (child.ts does exactly this). */
function delaysAfter(runs: CrashedRun[], options: BackoffOptions): number[] {
  let streak = 0;
  return runs.map((run) => {
    streak = streakBefore(streak, run, options);
    return backoffDelay(streak++, options);
  });
}

const killedAfter = (ranMs: number, healthy = false, times = 1): CrashedRun[] => Array.from({ length: times }, () => ({ ranMs, healthy }));

describe('restart delays over a sequence of crashes', () => {
  it.each<[string, CrashedRun[], BackoffOptions, number[]]>([
    // What issue 10 found: a writer killed every 3 s stays down 30 s per kill after six kills.
    ['default, killed every 3 s', killedAfter(3000, false, 8), DEFAULT_BACKOFF, [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]],
    ['media, killed every 3 s: capped at 1 s', killedAfter(3000, false, 8), MEDIA_BACKOFF, [250, 500, 1000, 1000, 1000, 1000, 1000, 1000]],
    ['media, a run of 10 s ends the streak', [...killedAfter(100, false, 3), { ranMs: 10_000, healthy: false }, ...killedAfter(100)], MEDIA_BACKOFF, [250, 500, 1000, 250, 500]],
    ['media, output between kills (healthy): always the first delay', killedAfter(300, true, 5), MEDIA_BACKOFF, [250, 250, 250, 250, 250]],
    ['service killed after answering its API (healthy): 0.5 s each time', killedAfter(800, true, 5), DEFAULT_BACKOFF, [500, 500, 500, 500, 500]],
    ['service dying before it answers: backs off', killedAfter(50, false, 4), DEFAULT_BACKOFF, [500, 1000, 2000, 4000]],
    [
      'a healthy run in the middle of a crash loop restarts the streak',
      [...killedAfter(50, false, 3), { ranMs: 50, healthy: true }, ...killedAfter(50, false, 2)],
      DEFAULT_BACKOFF,
      [500, 1000, 2000, 500, 1000, 2000],
    ],
  ])('%s', (_name, runs, options, expected) => {
    expect(delaysAfter(runs, options)).toEqual(expected);
  });
});
