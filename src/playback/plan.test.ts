import { describe, expect, it } from 'vitest';
import type { Output } from '../domain/transmission.js';
import { manualTransmission } from '../reconcile/fixtures.js';
import { browserDecodes, CLIENTS, CONTEXTS, playbackPlan, selectVariant, type Client, type Context, type PlanFacts } from './plan.js';

const out = (over: Partial<Output> = {}): Output => manualTransmission('t', {}, [over]).outputs[0]!;

function facts(over: Partial<PlanFacts> & { outputs?: Output[] } = {}): PlanFacts {
  const { outputs, ...rest } = over;
  return {
    client: 'web',
    context: 'grid',
    transmission: { id: 'tx', enabled: true, outputs: outputs ?? [out({ id: 'main', enable_webrtc: true })], webrtcAllowed: true },
    codecOf: (o) => (o.codec === 'h265' ? 'h265' : 'h264'),
    engine: 'running',
    sidecar: 'running',
    jsmpeg: { enabled: true, sessions: 0, maxSessions: 8, transmissionSessions: 0, maxPerTransmission: 2 },
    ...rest,
  };
}

const summary = (f: PlanFacts) => {
  const p = playbackPlan(f);
  return { selected: p.selected_transport, order: p.transports.map((t) => (t.available ? t.transport : `${t.transport}:${t.blocked_reason}`)) };
};

// Everything healthy: the order per client and context is the policy itself.
const EXPECTED_ORDER: Record<Client, Record<'passive' | 'ptz', string[]>> = {
  web: { passive: ['mse', 'hls', 'jsmpeg', 'webrtc:webrtc_not_for_context'], ptz: ['webrtc', 'mse', 'hls', 'jsmpeg'] },
  app: { passive: ['hls', 'mse', 'jsmpeg', 'webrtc:webrtc_not_for_context'], ptz: ['webrtc', 'hls', 'mse', 'jsmpeg'] },
  ha_ingress: { passive: ['hls', 'mse', 'jsmpeg', 'webrtc:webrtc_not_through_ingress'], ptz: ['hls', 'mse', 'jsmpeg', 'webrtc:webrtc_not_through_ingress'] },
  ha_entity: {
    passive: ['hls:ha_entity_uses_camera_contract', 'mse:ha_entity_uses_camera_contract', 'jsmpeg:ha_entity_uses_camera_contract', 'webrtc:ha_entity_uses_camera_contract'],
    ptz: ['hls:ha_entity_uses_camera_contract', 'mse:ha_entity_uses_camera_contract', 'jsmpeg:ha_entity_uses_camera_contract', 'webrtc:ha_entity_uses_camera_contract'],
  },
};

describe('playbackPlan: client x context, everything healthy', () => {
  const rows = CLIENTS.flatMap((client) => CONTEXTS.map((context) => ({ client, context })));
  it.each(rows)('$client / $context', ({ client, context }) => {
    const expected = EXPECTED_ORDER[client][context === 'ptz' ? 'ptz' : 'passive'];
    const s = summary(facts({ client, context }));
    expect(s.order).toEqual(expected);
    expect(s.selected).toBe(client === 'ha_entity' ? null : expected[0]);
  });
});

describe('playbackPlan: conditions', () => {
  it.each([
    {
      name: 'engine missing: only the JSMpeg fallback plays',
      f: { engine: 'missing' as const },
      selected: 'jsmpeg',
      order: ['mse:engine_missing', 'hls:engine_missing', 'jsmpeg', 'webrtc:webrtc_not_for_context'],
    },
    {
      name: 'engine stopped',
      f: { engine: 'stopped' as const, client: 'app' as const },
      selected: 'jsmpeg',
      order: ['hls:engine_stopped', 'mse:engine_stopped', 'jsmpeg', 'webrtc:webrtc_not_for_context'],
    },
    {
      name: 'host of a remote transmission unreachable: every transport blocked, JSMpeg too (it is encoded there)',
      f: { hostUnreachable: 'host "nas" (http://127.0.0.1:9) is unreachable: connection failed' },
      selected: null,
      order: ['mse:host_unreachable', 'hls:host_unreachable', 'jsmpeg:host_unreachable', 'webrtc:host_unreachable'],
    },
    { name: 'engine starting', f: { engine: 'starting' as const }, selected: 'jsmpeg', order: ['mse:engine_starting', 'hls:engine_starting', 'jsmpeg', 'webrtc:webrtc_not_for_context'] },
    { name: 'sidecar disabled: MSE blocked, HLS first', f: { sidecar: 'disabled' as const }, selected: 'hls', order: ['mse:sidecar_disabled', 'hls', 'jsmpeg', 'webrtc:webrtc_not_for_context'] },
    { name: 'sidecar missing', f: { sidecar: 'missing' as const }, selected: 'hls', order: ['mse:sidecar_missing', 'hls', 'jsmpeg', 'webrtc:webrtc_not_for_context'] },
    { name: 'sidecar stopped', f: { sidecar: 'stopped' as const }, selected: 'hls', order: ['mse:sidecar_stopped', 'hls', 'jsmpeg', 'webrtc:webrtc_not_for_context'] },
    {
      name: 'H.265 only: MSE blocked for the codec',
      f: { outputs: [out({ id: 'hevc', codec: 'h265' })] },
      selected: 'hls',
      order: ['mse:codec_not_browser_compatible', 'hls', 'jsmpeg', 'webrtc:webrtc_not_for_context'],
    },
    { name: 'PTZ but WebRTC not enabled on any output', f: { context: 'ptz' as const, outputs: [out({ id: 'main' })] }, selected: 'mse', order: ['webrtc:webrtc_not_enabled', 'mse', 'hls', 'jsmpeg'] },
    {
      name: 'PTZ but the publication does not allow WebRTC',
      f: { context: 'ptz' as const, transmission: { id: 'tx', enabled: true, outputs: [out({ enable_webrtc: true })], webrtcAllowed: false } },
      selected: 'mse',
      order: ['webrtc:webrtc_not_enabled', 'mse', 'hls', 'jsmpeg'],
    },
    {
      name: 'PTZ with the engine missing',
      f: { context: 'ptz' as const, engine: 'missing' as const },
      selected: 'jsmpeg',
      order: ['webrtc:engine_missing', 'mse:engine_missing', 'hls:engine_missing', 'jsmpeg'],
    },
    {
      name: 'JSMpeg disabled',
      f: { engine: 'failed' as const, jsmpeg: { enabled: false, sessions: 0, maxSessions: 8, transmissionSessions: 0, maxPerTransmission: 2 } },
      selected: null,
      order: ['mse:engine_failed', 'hls:engine_failed', 'jsmpeg:jsmpeg_disabled', 'webrtc:webrtc_not_for_context'],
    },
    {
      name: 'JSMpeg at the global limit',
      f: { jsmpeg: { enabled: true, sessions: 8, maxSessions: 8, transmissionSessions: 0, maxPerTransmission: 2 } },
      selected: 'mse',
      order: ['mse', 'hls', 'jsmpeg:jsmpeg_session_limit', 'webrtc:webrtc_not_for_context'],
    },
    {
      name: 'JSMpeg at the per-transmission limit',
      f: { jsmpeg: { enabled: true, sessions: 2, maxSessions: 8, transmissionSessions: 2, maxPerTransmission: 2 } },
      selected: 'mse',
      order: ['mse', 'hls', 'jsmpeg:jsmpeg_transmission_limit', 'webrtc:webrtc_not_for_context'],
    },
    { name: 'no output at all', f: { outputs: [] }, selected: null, order: ['mse:no_output', 'hls:no_output', 'jsmpeg:no_output', 'webrtc:no_output'] },
    { name: 'only a disabled output', f: { outputs: [out({ enabled: false })] }, selected: null, order: ['mse:no_output', 'hls:no_output', 'jsmpeg:no_output', 'webrtc:no_output'] },
    { name: 'no HLS-enabled output', f: { outputs: [out({ enable_hls: false })] }, selected: 'mse', order: ['mse', 'hls:no_output', 'jsmpeg', 'webrtc:webrtc_not_for_context'] },
    {
      name: 'transmission disabled',
      f: { transmission: { id: 'tx', enabled: false, outputs: [out()], webrtcAllowed: true } },
      selected: null,
      order: ['mse:transmission_disabled', 'hls:transmission_disabled', 'jsmpeg:transmission_disabled', 'webrtc:transmission_disabled'],
    },
  ])('$name', ({ f, selected, order }) => {
    const s = summary(facts(f));
    expect(s.order).toEqual(order);
    expect(s.selected).toBe(selected);
  });

  it('H.265 with an H.264 output too: MSE uses the H.264 one', () => {
    const p = playbackPlan(facts({ outputs: [out({ id: 'hevc', codec: 'h265' }), out({ id: 'avc', codec: 'h264' })] }));
    expect(p.transports[0]).toMatchObject({ transport: 'mse', available: true, output_id: 'avc' });
  });

  it('fallback ranks count only available transports, in order', () => {
    const p = playbackPlan(facts({ sidecar: 'missing' }));
    expect(p.transports.map((t) => t.fallback_rank)).toEqual([null, 0, 1, null]);
  });

  it('warns about HEVC HLS and about WebRTC reachability, never blocking on them', () => {
    const p = playbackPlan(facts({ context: 'ptz', outputs: [out({ id: 'hevc', codec: 'h265', enable_webrtc: true })] }));
    expect(p.hls_warnings).toEqual([expect.stringMatching(/^hevc_output/)]);
    expect(p.webrtc_warnings).toEqual([expect.stringMatching(/^webrtc_needs_udp/)]);
    expect(p.selected_transport).toBe('webrtc');
  });
});

describe('selectVariant', () => {
  const v = (role: 'main' | 'sub' | 'zoom' | 'custom', show = true) => ({ role, show_in_dashboard: show, label: role });
  it.each<[Context, ReturnType<typeof v>[], string | null]>([
    ['thumbnail', [v('main'), v('sub')], 'sub'],
    ['pip', [v('main'), v('sub')], 'sub'],
    ['grid', [v('main'), v('sub')], 'sub'],
    ['large', [v('main'), v('sub')], 'main'],
    ['fullscreen', [v('sub'), v('main')], 'main'],
    ['ptz', [v('main'), v('sub'), v('zoom')], 'zoom'],
    ['ptz', [v('sub'), v('main')], 'main'],
    ['ptz', [v('sub')], 'sub'],
    ['thumbnail', [v('main')], 'main'],
    ['grid', [v('sub', false), v('main')], 'main'],
    ['grid', [v('custom')], 'custom'],
    ['grid', [], null],
  ])('%s of %j -> %s', (context, variants, expected) => {
    expect(selectVariant(variants, context)?.role ?? null).toBe(expected);
  });
});

describe('playbackPlan: per-browser codec decisions', () => {
  // A camera sending H.265 (the copy) with the H.264 output reconciling made for it.
  const hevcCamera = [out({ id: 'default', codec: 'copy' }), out({ id: 'h264', codec: 'h264' })];
  const cameraFacts = (decodes: Parameters<typeof browserDecodes>[0], audio: string | null = null, over: Partial<PlanFacts> = {}) =>
    facts({ outputs: hevcCamera, codecOf: (o) => (o.codec === 'copy' ? 'h265' : 'h264'), audioOf: () => audio, browser: browserDecodes(decodes), ...over });
  const pick = (p: ReturnType<typeof playbackPlan>, t: string) => p.transports.find((c) => c.transport === t)!;

  it.each([
    { name: 'browser without H.265 (Chromium here): MSE and HLS get the H.264 output', decodes: ['h264', 'aac', 'opus'] as const, mse: 'h264', hls: 'h264', transcoded: true },
    { name: 'browser with H.265 (Safari, Edge with HEVC): MSE and HLS get the copy', decodes: ['h264', 'h265', 'aac'] as const, mse: 'default', hls: 'default', transcoded: false },
    { name: 'a client that did not say: H.264 and AAC assumed', decodes: undefined, mse: 'h264', hls: 'h264', transcoded: true },
  ])('$name', ({ decodes, mse, hls, transcoded }) => {
    const p = playbackPlan(cameraFacts(decodes));
    expect(pick(p, 'mse')).toMatchObject({ available: true, output_id: mse });
    expect(pick(p, 'hls')).toMatchObject({ available: true, output_id: hls });
    expect(pick(p, 'mse').video_codec).toBe(mse === 'h264' ? 'h264' : 'h265');
    expect(p.media_warnings.some((w) => w.startsWith('transcoded_for_browser') && w.includes('H.265'))).toBe(transcoded);
  });

  it('an H.265 camera with no H.264 output (never probed) is blocked for MSE and HLS naming the codec, JSMpeg still plays', () => {
    const p = playbackPlan(facts({ outputs: [out({ id: 'default', codec: 'copy' })], codecOf: () => 'h265', browser: browserDecodes(['h264', 'aac']) }));
    for (const t of ['mse', 'hls'] as const)
      expect(pick(p, t)).toMatchObject({ available: false, blocked_reason: 'codec_not_browser_compatible', blocked_detail: expect.stringMatching(/H.265.*probe the camera source/) });
    expect(p.selected_transport).toBe('jsmpeg');
    expect(p.hls_warnings).toEqual([]);
  });

  it('a codec not yet known is tried as is (the copy), with a warning', () => {
    const p = playbackPlan(facts({ outputs: hevcCamera, codecOf: (o) => (o.codec === 'copy' ? 'unknown' : 'h264'), browser: browserDecodes(['h264']) }));
    expect(pick(p, 'mse').output_id).toBe('default');
    expect(p.hls_warnings).toEqual([expect.stringMatching(/^codec_unknown/)]);
  });

  it.each([
    { name: 'AAC, browser decodes it: MSE and HLS carry it, JSMpeg drops it', audio: 'aac', decodes: ['h264', 'aac'] as const, mse: 'aac', hls: 'aac', dropped: ['jsmpeg'] },
    { name: 'Opus, browser decodes it', audio: 'opus', decodes: ['h264', 'opus'] as const, mse: 'opus', hls: 'opus', dropped: ['jsmpeg'] },
    { name: 'Opus, browser does not decode it', audio: 'opus', decodes: ['h264', 'aac'] as const, mse: null, hls: null, dropped: ['mse', 'hls', 'jsmpeg'] },
    { name: 'G.711 is carried by neither', audio: 'pcm_mulaw', decodes: ['h264', 'aac', 'opus'] as const, mse: null, hls: null, dropped: ['mse', 'hls', 'jsmpeg'] },
    { name: 'no audio: nothing to warn about', audio: null, decodes: ['h264', 'aac'] as const, mse: null, hls: null, dropped: [] },
  ])('audio: $name', ({ audio, decodes, mse, hls, dropped }) => {
    const p = playbackPlan(cameraFacts(decodes, audio));
    expect(pick(p, 'mse').audio_codec).toBe(mse);
    expect(pick(p, 'hls').audio_codec).toBe(hls);
    expect(pick(p, 'jsmpeg')).toMatchObject({ audio_codec: null, video_codec: 'mpeg1' });
    expect(p.media_warnings.filter((w) => w.startsWith('audio_dropped_')).map((w) => w.split(':')[0])).toEqual(dropped.map((t) => `audio_dropped_${t}`));
    for (const w of p.media_warnings.filter((x) => x.startsWith('audio_dropped_'))) expect(w).toContain(audio === 'pcm_mulaw' ? 'G.711' : audio === 'opus' ? 'Opus' : 'AAC');
  });

  it.each([
    { audio: 'opus', rtc: 'opus', warned: false },
    { audio: 'aac', rtc: null, warned: true },
  ])('WebRTC gets Opus or no audio: camera $audio', ({ audio, rtc, warned }) => {
    const outputs = [out({ id: 'default', codec: 'copy', enable_webrtc: true })];
    const p = playbackPlan(facts({ context: 'ptz', outputs, codecOf: () => 'h264', audioOf: () => audio, browser: browserDecodes(['h264', 'aac', 'opus']) }));
    expect(pick(p, 'webrtc')).toMatchObject({ available: true, audio_codec: rtc });
    expect(p.media_warnings.some((w) => w.startsWith('audio_dropped_webrtc') && w.includes('Opus only'))).toBe(warned);
  });
});
