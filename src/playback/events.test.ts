import { describe, expect, it } from 'vitest';
import { createPlaybackEvents, percentile, type PlaybackEventInput } from './events.js';

const ev = (over: Partial<PlaybackEventInput> = {}): PlaybackEventInput => ({ transmission_id: 'tx-1', client: 'web', event: 'chosen', transport: 'mse', ...over });

describe('ring buffer', () => {
  it('keeps the last `capacity` events and counts the dropped ones', () => {
    let t = Date.parse('2026-01-01T00:00:00Z');
    const events = createPlaybackEvents({ capacity: 5, now: () => (t += 1000) });
    for (let i = 0; i < 12; i++) events.record([ev({ session_id: `s${i}` })]);
    expect(events.size()).toBe(5);
    expect(events.recent(10).map((e) => e.session_id)).toEqual(['s11', 's10', 's9', 's8', 's7']);
    const s = events.summary();
    expect(s).toMatchObject({ capacity: 5, kept: 5, received: 12, dropped: 7, oldest_at: '2026-01-01T00:00:08.000Z', newest_at: '2026-01-01T00:00:12.000Z' });
    expect(s.by_transport.mse.events.chosen).toBe(5);
  });

  it('default capacity is 1000', () => {
    const events = createPlaybackEvents();
    for (let i = 0; i < 21; i++) events.record(Array.from({ length: 50 }, () => ev()));
    expect(events.size()).toBe(1000);
    expect(events.summary().dropped).toBe(50);
  });
});

describe('summary', () => {
  it('nearest-rank percentiles', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([100, 200, 300, 400], 50)).toBe(200);
    expect(percentile([100, 200, 300, 400], 95)).toBe(400);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 95)).toBe(95);
  });

  it('counts by transport and event, ttff p50/p95, fallbacks and climbs by from→to, last failures with reasons', () => {
    const events = createPlaybackEvents({ recentFailures: 2 });
    // A table of inputs and, below, the numbers they must give.
    const table = [
      ev({ event: 'chosen', transport: 'mse' }),
      ev({ event: 'first_frame', transport: 'mse', ttff_ms: 300 }),
      ev({ event: 'first_frame', transport: 'mse', ttff_ms: 100 }),
      ev({ event: 'first_frame', transport: 'mse', ttff_ms: 200 }),
      ev({ event: 'first_frame', transport: 'mse', ttff_ms: 900 }),
      ev({ event: 'first_frame', transport: 'mse' }), // no ttff: counted, not in percentiles
      ev({ event: 'failed', transport: 'mse', reason: 'codec unsupported' }),
      ev({ event: 'fell_back', transport: 'hls', from_transport: 'mse', reason: 'mse failed' }),
      ev({ event: 'first_frame', transport: 'hls', ttff_ms: 1200 }),
      ev({ event: 'stalled', transport: 'hls' }),
      ev({ event: 'recovered', transport: 'hls' }),
      ev({ event: 'failed', transport: 'hls', reason: 'playlist 404', session_id: 'p1' }),
      ev({ event: 'fell_back', transport: 'jsmpeg', from_transport: 'hls' }),
      ev({ event: 'fell_back', transport: 'hls', from_transport: 'mse' }),
      ev({ event: 'climbed', transport: 'mse', from_transport: 'jsmpeg' }),
      ev({ event: 'failed', transport: 'webrtc', reason: 'ice failed', context: 'ptz' }),
    ];
    expect(events.record(table)).toEqual({ accepted: 16 });
    const s = events.summary();
    expect(s.by_transport.mse).toEqual({
      events: { chosen: 1, first_frame: 5, failed: 1, fell_back: 0, stalled: 0, recovered: 0, climbed: 1 },
      ttff_ms: { count: 4, p50: 200, p95: 900 },
    });
    expect(s.by_transport.hls).toEqual({
      events: { chosen: 0, first_frame: 1, failed: 1, fell_back: 2, stalled: 1, recovered: 1, climbed: 0 },
      ttff_ms: { count: 1, p50: 1200, p95: 1200 },
    });
    expect(s.by_transport.jsmpeg.events.fell_back).toBe(1);
    expect(s.by_transport.jsmpeg.ttff_ms).toEqual({ count: 0, p50: null, p95: null });
    expect(s.by_transport.webrtc.events.failed).toBe(1);
    expect(s.fallbacks).toEqual([
      { from: 'mse', to: 'hls', count: 2 },
      { from: 'hls', to: 'jsmpeg', count: 1 },
    ]);
    expect(s.climbs).toEqual([{ from: 'jsmpeg', to: 'mse', count: 1 }]);
    expect(s.recent_failures.map((f) => [f.transport, f.reason, f.context, f.session_id])).toEqual([
      ['webrtc', 'ice failed', 'ptz', null],
      ['hls', 'playlist 404', null, 'p1'],
    ]);
  });
});
