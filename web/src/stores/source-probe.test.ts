import { describe, expect, it } from 'vitest';
import type { SourceProbe } from '../../../src/api/contract.js';
import { translate } from '../i18n/i18n.js';
import type { T } from '../i18n/use-t.js';
import { probeFacts, probeSource } from './source-probe.js';

const en: T = (key, params) => translate('en', key, params);
const pt: T = (key, params) => translate('pt-BR', key, params);
const base = { probed_at: '2026-01-01T00:00:00.000Z', url: 'rtsp://10.0.0.2/x', via: 'camera', error: null } as const;

describe('probeFacts: one line of what a probe found', () => {
  it.each<[string, Pick<SourceProbe, 'video' | 'audio'>, string]>([
    [
      'H.265 with Opus',
      { video: { codec: 'h265', profile: 'Main', width: 1920, height: 1080, fps: 15 }, audio: { codec: 'opus', sample_rate: 48000, channels: 2 } },
      'H.265 · 1920×1080 · 15 fps · Opus 48 kHz',
    ],
    [
      'H.264 with AAC at 16 kHz, NTSC rate',
      { video: { codec: 'h264', profile: null, width: 640, height: 360, fps: 29.97 }, audio: { codec: 'aac', sample_rate: 16000, channels: 1 } },
      'H.264 · 640×360 · 29.97 fps · AAC 16 kHz',
    ],
    [
      'G.711 at 8 kHz, no figures read for the video',
      { video: { codec: 'mjpeg', profile: null, width: null, height: null, fps: null }, audio: { codec: 'pcm_mulaw', sample_rate: 8000, channels: 1 } },
      'MJPEG · G.711 µ-law 8 kHz',
    ],
    ['an unknown codec as ffprobe names it, no audio', { video: { codec: 'vp8', profile: null, width: 320, height: 240, fps: 5 }, audio: null }, 'VP8 · 320×240 · 5 fps · no audio'],
    ['audio without a rate', { video: { codec: 'h264', profile: null, width: 1, height: 1, fps: null }, audio: { codec: 'aac', sample_rate: null, channels: null } }, 'H.264 · 1×1 · AAC'],
  ])('%s', (_, facts, line) => {
    expect(probeFacts({ ...base, ...facts }, en)).toBe(line);
  });

  it('in Portuguese', () => {
    expect(probeFacts({ ...base, video: { codec: 'h264', profile: null, width: 640, height: 360, fps: 15 }, audio: null }, pt)).toBe('H.264 · 640×360 · 15 fps · sem áudio');
  });
});

describe('probeSource', () => {
  it('POSTs to the source of the camera, names escaped, and answers what the server stored', async () => {
    const calls: { path: string; method: string | undefined; body: unknown }[] = [];
    const answer = { camera_id: 'a b', source_id: 'main', probe: { ...base, video: null, audio: null, error: 'not a video stream' } };
    const call = async <R>(path: string, init: { method?: string; body?: unknown } = {}): Promise<R> => {
      calls.push({ path, method: init.method, body: init.body });
      return answer as R;
    };
    expect(await probeSource('a b', 'main', call)).toEqual(answer);
    expect(calls).toEqual([{ path: 'api/cameras/a%20b/sources/main/probe', method: 'POST', body: undefined }]);
  });
});
