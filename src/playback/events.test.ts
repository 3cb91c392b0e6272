import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { playbackEventRoutes } from '../api/routes/events.js';
import { ApiError } from '../shared/errors.js';
import { createPlaybackEvents, parsePlaybackEvents, percentile, type PlaybackEvents } from './events.js';

const ev = (over: Record<string, unknown> = {}) => ({ transmission_id: 'tx-1', client: 'web', event: 'chosen', transport: 'mse', ...over });

const fieldOf = (fn: () => unknown): string | null => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError && err.status === 422) return err.field;
    throw err;
  }
  return null;
};

describe('validation: 422 naming the field', () => {
  it.each([
    ['missing transmission_id', { client: 'web', event: 'chosen', transport: 'mse' }, 'transmission_id'],
    ['bad transmission_id', ev({ transmission_id: 'a b' }), 'transmission_id'],
    ['unknown event', ev({ event: 'exploded' }), 'event'],
    ['unknown transport', ev({ transport: 'rtsp' }), 'transport'],
    ['unknown client', ev({ client: 'toaster' }), 'client'],
    ['unknown context', ev({ context: 'cinema' }), 'context'],
    ['negative ttff', ev({ event: 'first_frame', ttff_ms: -1 }), 'ttff_ms'],
    ['fractional ttff', ev({ event: 'first_frame', ttff_ms: 1.5 }), 'ttff_ms'],
    ['reason too long', ev({ event: 'failed', reason: 'x'.repeat(501) }), 'reason'],
    ['fell_back without from_transport', ev({ event: 'fell_back', transport: 'hls' }), 'from_transport'],
    ['climbed without from_transport', ev({ event: 'climbed', transport: 'mse', from_transport: null }), 'from_transport'],
    ['bad from_transport', ev({ event: 'fell_back', transport: 'hls', from_transport: 'carrier-pigeon' }), 'from_transport'],
    ['unknown field', ev({ colour: 'red' }), 'colour'],
    ['bad session_id', ev({ session_id: '' }), 'session_id'],
  ])('%s → %s', (_name, body, field) => {
    expect(fieldOf(() => parsePlaybackEvents(body))).toBe(field);
  });

  it('arrays: the item index is part of the field; empty, oversize and non-object items are refused', () => {
    expect(fieldOf(() => parsePlaybackEvents([ev(), ev(), ev({ ttff_ms: 'fast' })]))).toBe('[2].ttff_ms');
    expect(fieldOf(() => parsePlaybackEvents([ev(), 'x']))).toBe('[1]');
    expect(fieldOf(() => parsePlaybackEvents([]))).toBe('body');
    expect(fieldOf(() => parsePlaybackEvents(Array.from({ length: 51 }, () => ev())))).toBe('body');
    expect(fieldOf(() => parsePlaybackEvents('chosen'))).toBe('body');
    expect(parsePlaybackEvents(Array.from({ length: 50 }, () => ev()))).toHaveLength(50);
  });

  it('a bad event in an array keeps none of them', () => {
    const events = createPlaybackEvents();
    expect(() => events.record([ev(), ev({ event: 'nope' })])).toThrow(ApiError);
    expect(events.size()).toBe(0);
  });
});

describe('ring buffer', () => {
  it('keeps the last `capacity` events and counts the dropped ones', () => {
    let t = Date.parse('2026-01-01T00:00:00Z');
    const events = createPlaybackEvents({ capacity: 5, now: () => (t += 1000) });
    for (let i = 0; i < 12; i++) events.record(ev({ session_id: `s${i}` }));
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

describe('routes', () => {
  const app = (events: PlaybackEvents) =>
    new Hono().route('/api/streams', playbackEventRoutes(events)).onError((err, c) => (err instanceof ApiError ? c.json(err.toJSON(), err.status) : c.json({ error: String(err) }, 500)));
  const post = (events: PlaybackEvents, body: string) =>
    app(events).request('/api/streams/runtime/playback-events', { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('accepts one event or an array (202), refuses non-JSON (400) and bad fields (422), lists the summary', async () => {
    const events = createPlaybackEvents();
    const one = await post(events, JSON.stringify(ev({ event: 'first_frame', ttff_ms: 250 })));
    expect(one.status).toBe(202);
    expect(await one.json()).toEqual({ accepted: 1 });
    expect((await post(events, JSON.stringify([ev(), ev()]))).status).toBe(202);
    expect((await post(events, '{nope')).status).toBe(400);
    const bad = await post(events, JSON.stringify([ev(), ev({ transport: 'smoke' })]));
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error: { field: string } }).error.field).toBe('[1].transport');
    const list = await app(events).request('/api/streams/runtime/playback-events?limit=2');
    expect(list.status).toBe(200);
    const body = (await list.json()) as { summary: { kept: number; by_transport: { mse: { ttff_ms: { p50: number } } } }; recent: unknown[] };
    expect(body.summary.kept).toBe(3);
    expect(body.summary.by_transport.mse.ttff_ms.p50).toBe(250);
    expect(body.recent).toHaveLength(2);
    expect((await app(events).request('/api/streams/runtime/playback-events')).status).toBe(200);
    expect((await app(events).request('/api/streams/runtime/playback-events?limit=x')).status).toBe(422);
  });
});
