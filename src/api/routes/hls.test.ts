import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { HlsProxy, HlsRequest } from '../../playback/hls-proxy.js';
import { createMediaTokens } from '../../playback/tokens.js';
import { onApiError } from '../errors.js';
import { hlsRoutes } from './hls.js';

const tokens = createMediaTokens({ key: randomBytes(32) });
const SCOPE = { transmission_id: 't1', output_id: 'main', path: 'cam/front/main', transport: 'hls' } as const;
const TOKEN = tokens.issue(SCOPE);
const T = `media_token=${encodeURIComponent(TOKEN)}`;

/** The edge alone: a proxy that answers with what the route handed it. */
const seen: Omit<HlsRequest, 'signal' | 'outgoing'>[] = [];
const proxy: HlsProxy = {
  serve: async ({ target, token, scope, llhls, range }) => {
    seen.push({ target, token, scope, llhls, range });
    return new Response('ok');
  },
  probe: () => Promise.reject(new Error('not used')),
  sessionCount: () => 0,
  segmentCacheStats: () => ({ entries: 0, bytes: 0, inFlight: 0 }),
};
// Mounted as the app mounts it: its errors go through the one error writer.
const app = new Hono().route('/', hlsRoutes({ proxy, tokens })).onError(onApiError(null));
const get = async (query: string, file = 'main_stream.m3u8') => {
  seen.length = 0;
  const res = await app.request(`/api/streams/media/hls/cam/front/main/${file}?${query}`);
  return { status: res.status, body: (await res.json().catch(() => null)) as { error: { code: string; field: string; message: string } } | null, handed: seen[0] };
};

describe('HLS media query at the edge', () => {
  it('hands the proxy the verified token, its scope and the LL-HLS parameters of a media playlist, typed', async () => {
    const r = await get(`${T}&_HLS_msn=12&_HLS_part=3&_HLS_skip=v2&other=x`);
    expect(r.status).toBe(200);
    expect(r.handed).toEqual({
      target: { path: 'cam/front/main', file: 'main_stream.m3u8' },
      token: TOKEN,
      scope: expect.objectContaining(SCOPE),
      llhls: { _HLS_msn: '12', _HLS_part: '3', _HLS_skip: 'v2' },
      range: null,
    });
  });

  it.each([
    ['no token', '', 401, 'missing_token'],
    ['a malformed token', 'media_token=a.b', 401, 'invalid_token'],
    ['a token for another transport', `media_token=${tokens.issue({ ...SCOPE, transport: 'mse' })}`, 403, 'token_scope'],
  ])('%s → %i %s; the proxy is not asked', async (_what, query, status, code) => {
    const r = await get(query);
    expect(r.status).toBe(status);
    expect(r.body?.error).toMatchObject({ code, field: 'media_token' });
    expect(r.handed).toBeUndefined();
  });

  it('LL-HLS parameters mean nothing on the multivariant playlist or a segment: ignored there, as MediaMTX would', async () => {
    for (const file of ['index.m3u8', 'abc_main_seg3.mp4']) {
      const r = await get(`${T}&_HLS_msn=nope`, file);
      expect(r.status).toBe(200);
      expect(r.handed?.llhls).toEqual({ _HLS_msn: undefined, _HLS_part: undefined, _HLS_skip: undefined });
    }
  });

  it.each([
    ['_HLS_msn=x', '_HLS_msn'],
    ['_HLS_msn=12345678901', '_HLS_msn'],
    ['_HLS_part=-1', '_HLS_part'],
    ['_HLS_skip=yes', '_HLS_skip'],
  ])('%s → 400 naming %s; the proxy is not asked', async (query, field) => {
    const r = await get(`${T}&${query}`);
    expect(r.status).toBe(400);
    expect(r.body?.error).toMatchObject({ code: 'invalid_field', field, message: `${field}: invalid value` });
    expect(r.handed).toBeUndefined();
  });

  it('media_token twice → 400 invalid_token', async () => {
    const r = await get(`${T}&${T}`);
    expect(r.status).toBe(400);
    expect(r.body?.error).toMatchObject({ code: 'invalid_token', field: 'media_token', message: 'give media_token once' });
    expect(r.handed).toBeUndefined();
  });
});
