import { describe, expect, it } from 'vitest';
import type { PlanTransport, Transport } from '../../../src/api/contract.js';
import { audioByTransport, planClient, planPath, readForcing, toCandidates, withTokenOf } from './plan.js';

const t = (transport: Transport, rank: number, blocked: PlanTransport['blocked_reason'] = null, audio: string | null = null): PlanTransport => ({
  transport,
  rank,
  available: blocked === null,
  output_id: 'default',
  fallback_rank: blocked === null ? rank : null,
  blocked_reason: blocked,
  blocked_detail: null,
  video_codec: transport === 'jsmpeg' ? 'mpeg1' : 'h264',
  audio_codec: audio,
  url: blocked === null ? `/api/streams/media/${transport}/p/ws?media_token=x` : null,
});

describe('planClient', () => {
  it.each([
    ['/', 'web'],
    ['/api/hassio_ingress/AbC_1/', 'ha_ingress'],
    ['/api/hassio_ingressX/', 'web'],
  ] as const)('%s -> %s', (path, client) => expect(planClient(path)).toBe(client));

  it('builds the plan path relative to the base', () => {
    expect(planPath('a b', 'ha_ingress', 'fullscreen')).toBe('api/streams/transmissions/a%20b/playback-plan?client=ha_ingress&context=fullscreen');
  });

  it('says what the browser decodes, and leaves the parameter out when it knows nothing', () => {
    expect(planPath('x', 'web', 'grid', 'h264,aac,opus')).toBe('api/streams/transmissions/x/playback-plan?client=web&context=grid&decodes=h264,aac,opus');
    expect(planPath('x', 'web', 'grid', '')).toBe('api/streams/transmissions/x/playback-plan?client=web&context=grid');
  });
});

describe('toCandidates', () => {
  const plan = { transports: [t('hls', 1), t('mse', 0, 'sidecar_missing'), t('jsmpeg', 2), t('webrtc', 3, 'webrtc_not_for_context')] };
  const all = () => true;

  it('orders by rank and keeps the plan reasons', () => {
    expect(toCandidates(plan, all, null)).toEqual([
      { transport: 'mse', available: false, url: null, outputId: 'default', blocked: 'sidecar_missing' },
      { transport: 'hls', available: true, url: '/api/streams/media/hls/p/ws?media_token=x', outputId: 'default', blocked: null },
      { transport: 'jsmpeg', available: true, url: '/api/streams/media/jsmpeg/p/ws?media_token=x', outputId: 'default', blocked: null },
      { transport: 'webrtc', available: false, url: null, outputId: 'default', blocked: 'webrtc_not_for_context' },
    ]);
  });

  it('blocks what this browser cannot play', () => {
    const c = toCandidates(plan, (x) => x !== 'hls', null);
    expect(c.find((x) => x.transport === 'hls')).toMatchObject({ available: false, url: null, blocked: 'browser_unsupported' });
    expect(c.find((x) => x.transport === 'jsmpeg')?.available).toBe(true);
  });

  it('with a forced transport, only that one stays available', () => {
    const c = toCandidates(plan, all, 'jsmpeg');
    expect(c.filter((x) => x.available).map((x) => x.transport)).toEqual(['jsmpeg']);
    expect(c.find((x) => x.transport === 'hls')?.blocked).toBe('not_forced');
  });

  it('a forced transport the plan blocks keeps the plan reason', () => {
    expect(toCandidates(plan, all, 'mse').find((x) => x.transport === 'mse')?.blocked).toBe('sidecar_missing');
  });
});

describe('audioByTransport', () => {
  it("maps each transport to its output's audio codec, null where it plays without sound", () => {
    const audio = audioByTransport({ transports: [t('mse', 0, null, 'aac'), t('hls', 1, null, 'opus'), t('jsmpeg', 2)] });
    expect(Object.fromEntries(audio)).toEqual({ mse: 'aac', hls: 'opus', jsmpeg: null });
  });
});

describe('readForcing', () => {
  it.each([
    ['', { transport: null, hls: null }],
    ['?transport=hls', { transport: 'hls', hls: null }],
    ['?transport=jsmpeg&hls=native', { transport: 'jsmpeg', hls: 'native' }],
    ['?hls=hlsjs', { transport: null, hls: 'hlsjs' }],
    ['?transport=rtsp&hls=vlc', { transport: null, hls: null }],
  ])('%s', (search, expected) => expect(readForcing(search)).toEqual(expected));
});

describe('URLs', () => {
  const origin = 'http://ha.local:8123';

  it('swaps in the fresh media token and leaves everything else', () => {
    const fresh = '/api/hassio_ingress/T/api/streams/media/hls/p/index.m3u8?media_token=NEW';
    expect(withTokenOf('http://ha.local:8123/api/hassio_ingress/T/api/streams/media/hls/p/seg1.mp4?media_token=OLD&_HLS_msn=3', fresh, origin)).toBe(
      'http://ha.local:8123/api/hassio_ingress/T/api/streams/media/hls/p/seg1.mp4?media_token=NEW&_HLS_msn=3',
    );
  });

  it.each([
    ['a URL without a token', 'http://ha.local:8123/other.m3u8'],
    ['a URL that already has it', 'http://ha.local:8123/x.m3u8?media_token=NEW'],
  ])('returns %s unchanged', (_name, url) => expect(withTokenOf(url, '/x?media_token=NEW', origin)).toBe(url));
});
