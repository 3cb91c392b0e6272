import { normaliseVideoCodec, type SourceProbe } from '../domain/source-facts.js';
import { ffconcatQuote } from './ffmpeg-args.js';

/** What one ffprobe run found, before it is dated and stored. */
export type ProbeFacts = Pick<SourceProbe, 'error' | 'video' | 'audio'>;

/** How long ffprobe waits on a silent socket (RTSP `-timeout`, in µs there): shorter than the run's own limit, so a dead camera is named as such. */
export const PROBE_SOCKET_TIMEOUT_MS = 8000;

const isRtsp = (url: string) => /^rtsps?:/i.test(url);
const rtspOptions = () => [['rtsp_transport', 'tcp'] as const, ['timeout', String(PROBE_SOCKET_TIMEOUT_MS * 1000)] as const];

/** What a probe through an ffconcat file may open: the file, then the camera's own protocols. */
const PROBE_PROTOCOLS = 'file,rtsp,rtsps,tcp,udp,rtp,srtp,tls,http,https,rtmp,rtmps,srt,crypto,httpproxy';

const COMMON = ['-hide_banner', '-v', 'error', '-print_format', 'json', '-show_streams'];

/**
 * ffprobe's arguments for a URL with nothing secret in it (the engine's loopback path), or for an
 * ffconcat file holding the camera's own URL with its credentials (see `probeFfconcat`).
 */
export function ffprobeArgs(input: { url: string } | { ffconcat: string }): string[] {
  if ('ffconcat' in input) return [...COMMON, '-f', 'concat', '-safe', '0', '-protocol_whitelist', PROBE_PROTOCOLS, '-i', input.ffconcat];
  const rtsp = isRtsp(input.url) ? rtspOptions().flatMap(([k, v]) => [`-${k}`, v]) : [];
  return [...COMMON, ...rtsp, '-i', input.url];
}

/**
 * The ffconcat script of one probe of a camera: its URL (credentials included: the file is 0600),
 * then, for RTSP, the demuxer's options (`option` applies them to that input). Unlike a live
 * decoder's script, ffprobe keeps its default probing: the frame rate needs frames.
 */
export function probeFfconcat(url: string): string {
  const options = isRtsp(url) ? rtspOptions().map(([k, v]) => `option ${k} ${v}`) : [];
  return ['ffconcat version 1.0', `file ${ffconcatQuote(url)}`, ...options, ''].join('\n');
}

interface FfprobeStream {
  codec_type?: unknown;
  codec_name?: unknown;
  profile?: unknown;
  width?: unknown;
  height?: unknown;
  avg_frame_rate?: unknown;
  r_frame_rate?: unknown;
  sample_rate?: unknown;
  channels?: unknown;
}

const text = (x: unknown, max: number): string | null => (typeof x === 'string' && x !== '' && x !== 'unknown' ? x.slice(0, max) : null);

/** An integer in range, from a number or a numeric string (ffprobe writes `sample_rate` as a string); else null. */
function int(x: unknown, min: number, max: number): number | null {
  const n = typeof x === 'string' && /^\d+$/.test(x) ? Number(x) : x;
  return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max ? n : null;
}

/** `30000/1001` → 29.97 (two decimals); `0/0`, nonsense or past 1000 → null. */
export function frameRate(x: unknown): number | null {
  if (typeof x !== 'string') return null;
  const m = /^(\d+)\/(\d+)$/.exec(x);
  if (!m) return null;
  const [num, den] = [Number(m[1]), Number(m[2])];
  if (num === 0 || den === 0) return null;
  const fps = Math.round((num / den) * 100) / 100;
  return fps > 0 && fps <= 1000 ? fps : null;
}

/**
 * The facts in ffprobe's `-print_format json -show_streams` output: the first video stream and the
 * first audio stream. No video stream, or output that is not ffprobe's JSON, is an error in words.
 */
export function parseFfprobe(stdout: string): ProbeFacts {
  let streams: unknown;
  try {
    streams = (JSON.parse(stdout) as { streams?: unknown } | null)?.streams;
  } catch {
    streams = undefined;
  }
  if (!Array.isArray(streams)) return { error: 'the stream could not be read', video: null, audio: null };
  const list = streams.filter((s): s is FfprobeStream => s !== null && typeof s === 'object');
  const v = list.find((s) => s.codec_type === 'video' && text(s.codec_name, 32) !== null);
  const a = list.find((s) => s.codec_type === 'audio' && text(s.codec_name, 32) !== null);
  const video = v
    ? {
        codec: normaliseVideoCodec(text(v.codec_name, 32)!),
        profile: text(v.profile, 64),
        width: int(v.width, 1, 16384),
        height: int(v.height, 1, 16384),
        fps: frameRate(v.avg_frame_rate) ?? frameRate(v.r_frame_rate),
      }
    : null;
  const audio = a ? { codec: text(a.codec_name, 32)!, sample_rate: int(a.sample_rate, 1, 384_000), channels: int(a.channels, 1, 64) } : null;
  return { error: video ? null : 'not a video stream', video, audio };
}

/** Known causes in ffprobe's stderr, most specific first, in the words the panel shows. */
const CAUSES: readonly (readonly [RegExp, string])[] = [
  [/\b401\b|Unauthorized|authorization failed/i, 'the camera refused the user name or password'],
  [/\b403\b|Forbidden/i, 'the camera refused access to this stream'],
  [/\b404\b|Not Found/i, 'the camera has no stream at this address (check the path)'],
  [/Connection refused/i, 'the camera refused the connection (check the address and port)'],
  [/Name or service not known|Temporary failure in name resolution|Failed to resolve/i, 'the camera’s host name could not be found'],
  [/timed out|No route to host|Network is unreachable|Host is unreachable/i, 'no answer from the camera'],
  [/Invalid data found|no video|could not find codec parameters/i, 'not a video stream'],
];

/**
 * A failed run in plain words. Never the stderr itself: it can name the URL and, from a camera,
 * whatever it echoes. `via` says who did not answer: through the engine, the engine pulls the camera.
 */
export function probeError(stderr: readonly string[], timedOut: boolean, via: SourceProbe['via']): string {
  const all = stderr.join('\n');
  const found = CAUSES.find(([re]) => re.test(all))?.[1];
  // The engine answers 404 or 400 for a path whose camera it could not pull: the camera's own cause is in the engine's log.
  if (via === 'engine') return !timedOut && found === 'not a video stream' ? found : 'no picture from the camera through the engine (see the engine’s log for the camera’s answer)';
  if (timedOut) return 'no answer from the camera';
  return found ?? 'the stream could not be read';
}
