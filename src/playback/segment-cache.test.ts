import { describe, expect, it } from 'vitest';
import { createSegmentCache, singleRange, type CachedSegment } from './segment-cache.js';

const seg = (size: number, fill = 1): CachedSegment => ({ body: Buffer.alloc(size, fill), contentType: 'video/mp2t' });

describe('segment cache', () => {
  it('shares one fetch among concurrent loads and keeps its segment', async () => {
    const cache = createSegmentCache({ maxBytes: 100, maxAgeMs: 1000 });
    let calls = 0;
    let release!: (s: CachedSegment) => void;
    const fetch = () => {
      calls++;
      return new Promise<CachedSegment>((r) => (release = r));
    };
    const loads = [cache.load('a/x.ts', fetch), cache.load('a/x.ts', fetch), cache.load('a/x.ts', fetch)];
    expect(cache.stats().inFlight).toBe(1);
    const s = seg(10);
    release(s);
    expect(await Promise.all(loads)).toEqual([s, s, s]);
    expect(calls).toBe(1);
    expect(cache.get('a/x.ts')).toBe(s);
    expect(cache.get('b/x.ts')).toBeNull();
    expect(cache.stats()).toEqual({ entries: 1, bytes: 10, inFlight: 0 });
  });

  it('keeps neither errors nor uncacheable answers', async () => {
    const cache = createSegmentCache({ maxBytes: 100, maxAgeMs: 1000 });
    await expect(cache.load('k', () => Promise.reject(new Error('404')))).rejects.toThrow('404');
    expect(await cache.load('k', () => Promise.resolve(null))).toBeNull();
    expect(cache.stats()).toEqual({ entries: 0, bytes: 0, inFlight: 0 });
  });

  it('evicts the least recently used beyond its bytes, and never keeps a segment larger than all of it', async () => {
    const cache = createSegmentCache({ maxBytes: 25, maxAgeMs: 1000 });
    await cache.load('a', () => Promise.resolve(seg(10)));
    await cache.load('b', () => Promise.resolve(seg(10)));
    expect(cache.get('a')).not.toBeNull(); // now b is the least recently used
    await cache.load('c', () => Promise.resolve(seg(10)));
    expect([cache.get('a') !== null, cache.get('b') !== null, cache.get('c') !== null]).toEqual([true, false, true]);
    expect(cache.stats().bytes).toBe(20);
    expect(await cache.load('big', () => Promise.resolve(seg(26)))).not.toBeNull();
    expect(cache.get('big')).toBeNull();
    expect(cache.stats().bytes).toBe(20);
  });

  it('forgets a segment once it is older than the age bound, counted from its fetch', async () => {
    let t = 0;
    const cache = createSegmentCache({ maxBytes: 100, maxAgeMs: 1000, now: () => t });
    await cache.load('a', () => Promise.resolve(seg(10)));
    t = 999;
    expect(cache.get('a')).not.toBeNull();
    t = 1000;
    expect(cache.get('a')).toBeNull();
    expect(cache.stats()).toEqual({ entries: 0, bytes: 0, inFlight: 0 });
  });

  it.each([0, -5, 2.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses a size or age of %s', (n) => {
    expect(() => createSegmentCache({ maxBytes: n, maxAgeMs: 1000 })).toThrow(RangeError);
    expect(() => createSegmentCache({ maxBytes: 1000, maxAgeMs: n })).toThrow(RangeError);
  });
});

describe('singleRange', () => {
  it.each<[string, ReturnType<typeof singleRange>]>([
    ['bytes=0-9', { start: 0, end: 9 }],
    ['bytes=90-', { start: 90, end: 99 }],
    ['bytes=95-200', { start: 95, end: 99 }],
    ['bytes=-10', { start: 90, end: 99 }],
    ['bytes=-500', { start: 0, end: 99 }],
    ['bytes=100-', 'unsatisfiable'],
    ['bytes=-0', 'unsatisfiable'],
    ['bytes=9-3', 'unsatisfiable'],
    ['bytes=0-1,5-6', null],
    ['bytes=-', null],
  ])('%s of 100 bytes', (header, expected) => {
    expect(singleRange(header, 100)).toEqual(expected);
  });
});
