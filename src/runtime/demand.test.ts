import { describe, expect, it } from 'vitest';
import { createDemandTracker, publisherDecision } from './demand.js';

function tracker() {
  let t = 1_000;
  const d = createDemandTracker({ heartbeatTtlMs: 30_000, now: () => t });
  return { d, advance: (ms: number) => (t += ms) };
}

describe('demand tracker', () => {
  it.each([
    { name: 'a heartbeat for the whole transmission', hold: (d: ReturnType<typeof tracker>['d']) => d.heartbeat('tx', 'web'), copy: true, twin: false },
    { name: 'a heartbeat naming the H.264 twin', hold: (d: ReturnType<typeof tracker>['d']) => d.heartbeat({ transmission: 'tx', output: 'h264' }, 'web'), copy: false, twin: true },
    { name: 'an MSE viewer of the twin', hold: (d: ReturnType<typeof tracker>['d']) => void d.acquire({ transmission: 'tx', output: 'h264' }, { frames: false }), copy: false, twin: true },
    { name: 'a prime naming the twin', hold: (d: ReturnType<typeof tracker>['d']) => d.prime({ transmission: 'tx', output: 'h264' }, 5_000), copy: false, twin: true },
  ])('output scope: $name', ({ hold, copy, twin }) => {
    const { d } = tracker();
    hold(d);
    // The copy is an ordinary output; the twin is made on request.
    expect(d.wantsOutput('tx', 'default', false)).toBe(copy);
    expect(d.wantsOutput('tx', 'h264', true)).toBe(twin);
    expect(d.wanted('tx')).toBe(true);
    expect(d.active()).toEqual(['tx']);
    expect(d.wantsFrames('tx')).toBe(false);
  });

  it('output-scoped demand counts in the transmission view and is released', () => {
    const { d, advance } = tracker();
    const release = d.acquire({ transmission: 'tx', output: 'h264' }, { frames: false });
    d.heartbeat({ transmission: 'tx', output: 'h264' }, 'web', 's1');
    expect(d.describe('tx')).toMatchObject({ consumers: 1, heartbeats: [{ client: 'web', sessions: 1 }] });
    release();
    advance(30_000);
    expect(d.wanted('tx')).toBe(false);
    expect(d.wantsOutput('tx', 'h264', true)).toBe(false);
    expect(d.describe('tx')).toEqual({ heartbeats: [], primed_for_ms: 0, consumers: 0 });
  });

  it('a heartbeat holds demand for its TTL, per client and session', () => {
    const { d, advance } = tracker();
    expect(d.wanted('tx')).toBe(false);
    d.heartbeat('tx', 'web', 'tab-1');
    d.heartbeat('tx', 'web', 'tab-2');
    d.heartbeat('tx', 'ha_entity');
    expect(d.describe('tx').heartbeats).toEqual([
      { client: 'web', sessions: 2, expires_in_ms: 30_000 },
      { client: 'ha_entity', sessions: 1, expires_in_ms: 30_000 },
    ]);
    advance(29_999);
    expect(d.wanted('tx')).toBe(true);
    advance(1);
    expect(d.wanted('tx')).toBe(false);
    expect(d.describe('tx').heartbeats).toEqual([]);
    expect(d.active()).toEqual([]);
  });

  it('priming holds demand for the asked time, and the longer of two primes wins', () => {
    const { d, advance } = tracker();
    d.prime('tx', 20_000);
    d.prime('tx', 5_000);
    advance(19_000);
    expect(d.wanted('tx')).toBe(true);
    expect(d.describe('tx').primed_for_ms).toBe(1_000);
    advance(1_000);
    expect(d.wanted('tx')).toBe(false);
  });

  it('consumers hold demand until every one is released; a release counts once', () => {
    const { d } = tracker();
    const a = d.acquire('tx');
    const b = d.acquire('tx');
    a();
    a();
    expect(d.wanted('tx')).toBe(true);
    expect(d.wantsFrames('tx')).toBe(true);
    b();
    expect(d.wanted('tx')).toBe(false);
  });

  it('lists only transmissions with live demand', () => {
    const { d, advance } = tracker();
    d.heartbeat('a', 'app');
    d.prime('b', 1_000);
    advance(2_000);
    expect(d.active()).toEqual(['a']);
  });

  it('refuses a non-positive TTL at creation', () => {
    expect(() => createDemandTracker({ heartbeatTtlMs: 0, now: Date.now })).toThrow(/heartbeatTtlMs/);
  });
});

describe('publisherDecision (debounced stop)', () => {
  it.each([
    { name: 'wanted starts and stamps', wanted: true, last: null, now: 100, run: true, stamp: 100 },
    { name: 'wanted keeps refreshing the stamp', wanted: true, last: 50, now: 100, run: true, stamp: 100 },
    { name: 'not wanted within the debounce keeps running', wanted: false, last: 100, now: 14_999 + 100, run: true, stamp: 100 },
    { name: 'not wanted at the debounce stops', wanted: false, last: 100, now: 15_100, run: false, stamp: null },
    { name: 'never wanted stays stopped', wanted: false, last: null, now: 100, run: false, stamp: null },
  ])('$name', ({ wanted, last, now, run, stamp }) => {
    expect(publisherDecision({ wanted, lastWantedAt: last, now, debounceMs: 15_000 })).toEqual({ run, lastWantedAt: stamp });
  });
});

describe('frame consumers', () => {
  it('a consumer of engine paths only (MSE) makes demand but does not ask for decoded frames', () => {
    const d = createDemandTracker({ heartbeatTtlMs: 30_000, now: () => 0 });
    const release = d.acquire('tx', { frames: false });
    expect(d.wanted('tx')).toBe(true);
    expect(d.wantsFrames('tx')).toBe(false);
    const still = d.acquire('tx');
    expect(d.wantsFrames('tx')).toBe(true);
    still();
    expect(d.wantsFrames('tx')).toBe(false);
    release();
    expect(d.wanted('tx')).toBe(false);
  });
});
