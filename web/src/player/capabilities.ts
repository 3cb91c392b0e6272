/**
 * What this browser decodes, asked the way each player client will play it: through MediaSource
 * (hls.js, MSE, mpegts.js), else through ManagedMediaSource (iPhone, iOS 17.1 and later), else through
 * the element's own HLS (older iPhones). The plan request carries the answer (`decodes=`), so the
 * server serves the camera's copy where it plays here and its H.264 output otherwise.
 */

export type VideoCodec = 'h264' | 'h265';
export type AudioCodec = 'aac' | 'opus';
type MseKind = 'MediaSource' | 'ManagedMediaSource';

/** The slice of a MediaSource class asked here (ManagedMediaSource has the same static). */
interface TypeChecker {
  isTypeSupported(mime: string): boolean;
}

/** The browser as this module sees it; injected so the decision is tested without a DOM. */
export interface MediaEnv {
  MediaSource?: TypeChecker | undefined;
  ManagedMediaSource?: TypeChecker | undefined;
  /** `HTMLVideoElement.canPlayType` of a fresh <video>. */
  canPlayType(mime: string): string;
}

export interface Capabilities {
  video: VideoCodec[];
  audio: AudioCodec[];
  /** The MediaSource class the MSE clients use; null when there is none. */
  mse: MseKind | null;
  /** The element plays HLS itself (Safari). */
  nativeHls: boolean;
}

const HLS_MIME = 'application/vnd.apple.mpegurl';

/** Codec strings per codec, any one of which is enough: Main/High and Baseline H.264, both HEVC sample entries. */
const VIDEO_PROBES: Record<VideoCodec, string[]> = {
  h264: ['avc1.640029', 'avc1.42E01E'],
  h265: ['hvc1.1.6.L153.B0', 'hev1.1.6.L153.B0'],
};
const AUDIO_PROBES: Record<AudioCodec, string> = { aac: 'mp4a.40.2', opus: 'opus' };

export function capabilities(env: MediaEnv): Capabilities {
  const mse: MseKind | null = env.MediaSource ? 'MediaSource' : env.ManagedMediaSource ? 'ManagedMediaSource' : null;
  const nativeHls = env.canPlayType(HLS_MIME) !== '';
  const checker = env.MediaSource ?? env.ManagedMediaSource;
  const decodes = (kind: 'video' | 'audio', codec: string): boolean => {
    if (checker) return checker.isTypeSupported(`${kind}/mp4; codecs="${codec}"`);
    return nativeHls && env.canPlayType(`${HLS_MIME}; codecs="${codec}"`) !== '';
  };
  return {
    video: (['h264', 'h265'] as const).filter((c) => VIDEO_PROBES[c].some((s) => decodes('video', s))),
    audio: (['aac', 'opus'] as const).filter((c) => decodes('audio', AUDIO_PROBES[c])),
    mse,
    nativeHls,
  };
}

/** The `decodes` query value: `h264,h265,aac,opus` minus what this browser lacks. */
export const decodesParam = (c: Capabilities): string => [...c.video, ...c.audio].join(',');

/** This page's browser. ManagedMediaSource is not in TypeScript's DOM library yet. */
function browserEnv(): MediaEnv {
  const g = globalThis as { MediaSource?: TypeChecker; ManagedMediaSource?: TypeChecker };
  const video = document.createElement('video');
  return { MediaSource: g.MediaSource, ManagedMediaSource: g.ManagedMediaSource, canPlayType: (mime) => video.canPlayType(mime) };
}

let cached: Capabilities | null = null;
/** Asked once per page: the answers do not change while it is open. */
export const browserCapabilities = (): Capabilities => (cached ??= capabilities(browserEnv()));
