import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createEventSink, MAX_BATCH, type PlaybackEventBody } from './events.js';
import { createHealthFeed, feedMissing, type FeedHealth } from './health-feed.js';
import { initialState } from './machine.js';
import { view } from './machine-view.js';
import { dataState } from './data-state.js';

const entry = (id: string, over: Partial<FeedHealth> = {}): FeedHealth => ({
  transmission_id: id,
  input: 'writers',
  engine_state: 'missing',
  active_writer_id: 'w',
  selected_writer_id: 'w',
  fallback_reason: null,
  frame_age_ms: 40,
  ...over,
});

describe('feedMissing', () => {
  it.each([
    [null, false],
    [entry('t', { fallback_reason: 'no_writer' }), true],
    [entry('t', { fallback_reason: 'all_writers_closed' }), true],
    [entry('t', { fallback_reason: 'writers_stale' }), false],
    [entry('t', { fallback_reason: 'warming_up' }), false],
    [entry('t', { input: 'camera_source', fallback_reason: 'no_writer' }), false],
  ])('%j -> %s', (h, expected) => expect(feedMissing(h)).toBe(expected));
});

describe('health feed', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('polls once for all watchers, only while someone watches', async () => {
    const load = vi.fn(async () => [entry('a'), entry('b', { fallback_reason: 'no_writer' })]);
    const feed = createHealthFeed({ load, intervalMs: 5_000 });
    const seenA: (FeedHealth | null)[] = [];
    const seenB: (FeedHealth | null)[] = [];
    const stopA = feed.watch('a', (h) => seenA.push(h));
    const stopB = feed.watch('b', (h) => seenB.push(h));
    await vi.advanceTimersByTimeAsync(0);
    expect(load).toHaveBeenCalledTimes(1);
    expect(seenA.map((h) => h?.transmission_id)).toEqual(['a']);
    expect(seenB.map((h) => h?.fallback_reason)).toEqual(['no_writer']);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(load).toHaveBeenCalledTimes(2);
    // A new watcher gets the last answer at once.
    const seenC: (FeedHealth | null)[] = [];
    const stopC = feed.watch('gone', (h) => seenC.push(h));
    expect(seenC).toEqual([null]);
    stopA();
    stopB();
    stopC();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('keeps polling after a failed request, and forgets answers once nobody watches', async () => {
    let fail = true;
    const load = vi.fn(async () => {
      if (fail) throw new Error('offline');
      return [entry('a')];
    });
    const feed = createHealthFeed({ load, intervalMs: 1_000 });
    const seen: (FeedHealth | null)[] = [];
    const stop = feed.watch('a', (h) => seen.push(h));
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual([]);
    fail = false;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(seen).toHaveLength(1);
    stop();
    const later: (FeedHealth | null)[] = [];
    feed.watch('a', (h) => later.push(h));
    expect(later).toEqual([]);
    await vi.advanceTimersByTimeAsync(0);
    expect(later).toHaveLength(1);
  });
});

describe('event sink', () => {
  const ev = (i: number, reason?: string): PlaybackEventBody => ({
    transmission_id: 't',
    output_id: 'o',
    client: 'web',
    context: 'grid',
    event: 'failed',
    transport: 'hls',
    session_id: `s${i}`,
    ...(reason !== undefined ? { reason } : {}),
  });

  it('batches within the flush time, at most 50 per request, and cuts long reasons', async () => {
    vi.useFakeTimers();
    const sent: PlaybackEventBody[][] = [];
    const sink = createEventSink({ send: async (b) => sent.push(b), flushMs: 1_000 });
    for (let i = 0; i < 120; i++) sink.push(ev(i, i === 0 ? 'x'.repeat(900) : undefined));
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent.map((b) => b.length)).toEqual([MAX_BATCH, MAX_BATCH, 20]);
    expect(sent[0]![0]!.reason).toHaveLength(500);
    vi.useRealTimers();
  });

  it('a failed request is not retried', async () => {
    const send = vi.fn(async () => {
      throw new Error('down');
    });
    const sink = createEventSink({ send, flushMs: 10 });
    sink.push(ev(1));
    sink.flush();
    sink.flush();
    expect(send).toHaveBeenCalledTimes(1);
  });
});

describe('data-state', () => {
  it('derives data-state from the machine view', () => {
    const v = view(initialState());
    expect(dataState(false, v, true)).toBe('idle');
    expect(dataState(true, null, false)).toBe('idle');
    expect(dataState(true, { ...v, phase: 'starting', trying: 'hls' }, false)).toBe('loading');
    expect(dataState(true, { ...v, phase: 'starting', trying: 'hls' }, true)).toBe('still');
    expect(dataState(true, { ...v, phase: 'playing', playing: 'hls' }, true)).toBe('playing');
    expect(dataState(true, { ...v, phase: 'playing', playing: 'jsmpeg', error: 'no_writer' }, true)).toBe('error');
  });
});
