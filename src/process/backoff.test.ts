import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, resolveBackoff } from './backoff.js';

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
