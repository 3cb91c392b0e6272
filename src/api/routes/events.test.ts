import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createPlaybackEvents, type PlaybackEvents } from '../../playback/events.js';
import { ApiError } from '../../shared/errors.js';
import { onApiError } from '../errors.js';
import { parsePlaybackEvents, playbackEventRoutes } from './events.js';

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

const app = (events: PlaybackEvents) => new Hono().route('/api/streams', playbackEventRoutes(events)).onError(onApiError(null));

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

  it('a bad event in an array keeps none of them', async () => {
    const events = createPlaybackEvents();
    const res = await app(events).request('/api/streams/runtime/playback-events', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([ev(), ev({ event: 'nope' })]),
    });
    expect(res.status).toBe(422);
    expect(events.size()).toBe(0);
  });
});

describe('routes', () => {
  const post = (events: PlaybackEvents, body: string) => app(events).request('/api/streams/runtime/playback-events', { method: 'POST', headers: { 'content-type': 'application/json' }, body });

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
