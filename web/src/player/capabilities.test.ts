import { describe, expect, it } from 'vitest';
import { capabilities, decodesParam, type Capabilities, type MediaEnv } from './capabilities.js';

const HLS = 'application/vnd.apple.mpegurl';

/** A MediaSource class that supports exactly these codec strings (in either container), recording what it was asked. */
function checker(codecs: string[]) {
  const asked: string[] = [];
  return {
    asked,
    isTypeSupported(mime: string) {
      asked.push(mime);
      return codecs.some((c) => mime.endsWith(`codecs="${c}"`));
    },
  };
}

/** `canPlayType` answering 'maybe' for the HLS type and 'probably' for it with one of these codecs. */
const nativeHls =
  (codecs: string[]) =>
  (mime: string): string =>
    mime === HLS ? 'maybe' : codecs.some((c) => mime === `${HLS}; codecs="${c}"`) ? 'probably' : '';
const noNative = () => '';

const CHROMIUM = ['avc1.640029', 'avc1.42E01E', 'mp4a.40.2', 'opus'];
const APPLE = ['avc1.640029', 'avc1.42E01E', 'hvc1.1.6.L153.B0', 'mp4a.40.2', 'opus'];

describe('capabilities', () => {
  it.each<[string, () => MediaEnv, Capabilities, string]>([
    ['Chromium (no H.265)', () => ({ MediaSource: checker(CHROMIUM), canPlayType: noNative }), { video: ['h264'], audio: ['aac', 'opus'], mse: 'MediaSource', nativeHls: false }, 'h264,aac,opus'],
    [
      'Chrome or Edge with an HEVC decoder (hev1 only)',
      () => ({ MediaSource: checker([...CHROMIUM, 'hev1.1.6.L153.B0']), canPlayType: noNative }),
      { video: ['h264', 'h265'], audio: ['aac', 'opus'], mse: 'MediaSource', nativeHls: false },
      'h264,h265,aac,opus',
    ],
    [
      'Firefox (no H.265, Baseline H.264 only on this machine)',
      () => ({ MediaSource: checker(['avc1.42E01E', 'mp4a.40.2', 'opus']), canPlayType: noNative }),
      { video: ['h264'], audio: ['aac', 'opus'], mse: 'MediaSource', nativeHls: false },
      'h264,aac,opus',
    ],
    [
      'iPhone, iOS 17.1+ (ManagedMediaSource only)',
      () => ({ ManagedMediaSource: checker(APPLE), canPlayType: nativeHls([]) }),
      { video: ['h264', 'h265'], audio: ['aac', 'opus'], mse: 'ManagedMediaSource', nativeHls: true },
      'h264,h265,aac,opus',
    ],
    [
      'iPhone before 17.1 (native HLS only)',
      () => ({ canPlayType: nativeHls(['avc1.640029', 'hvc1.1.6.L153.B0', 'mp4a.40.2']) }),
      { video: ['h264', 'h265'], audio: ['aac'], mse: null, nativeHls: true },
      'h264,h265,aac',
    ],
    ['a browser with neither', () => ({ canPlayType: noNative }), { video: [], audio: [], mse: null, nativeHls: false }, ''],
  ])('%s', (_name, env, expected, decodes) => {
    const caps = capabilities(env());
    expect(caps).toEqual(expected);
    expect(decodesParam(caps)).toBe(decodes);
  });

  it('asks MediaSource when both exist (desktop Safari 17), ManagedMediaSource never', () => {
    const ms = checker(['avc1.640029']);
    const mms = checker(APPLE);
    expect(capabilities({ MediaSource: ms, ManagedMediaSource: mms, canPlayType: nativeHls(APPLE) })).toEqual({ video: ['h264'], audio: [], mse: 'MediaSource', nativeHls: true });
    expect(mms.asked).toEqual([]);
    expect(ms.asked).toContain('video/mp4; codecs="hvc1.1.6.L153.B0"');
    expect(ms.asked).toContain('audio/mp4; codecs="mp4a.40.2"');
    expect(ms.asked).toContain('audio/mp4; codecs="opus"');
  });

  it('without MSE and without native HLS, canPlayType of a codec alone does not count', () => {
    const canPlayType = (mime: string) => (mime.includes('avc1') ? 'probably' : '');
    expect(capabilities({ canPlayType })).toEqual({ video: [], audio: [], mse: null, nativeHls: false });
  });
});
