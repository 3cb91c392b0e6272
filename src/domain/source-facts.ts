import * as v from 'valibot';
import { isPlainHttpUrl } from './http-url.js';

const int = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
const codecName = v.pipe(v.string(), v.maxLength(32));

/**
 * What one ffprobe of a camera source found (src/control/probe.ts). Video codecs are spelled as the
 * playback plan speaks them (`h264`, `h265`, `mjpeg`, else ffprobe's own name); audio codecs as
 * ffprobe names them (`aac`, `opus`, `pcm_mulaw`, ...). A failed probe keeps `error` in plain words.
 */
export const sourceProbeSchema = v.object({
  /** ISO 8601 time of the probe. */
  probed_at: v.pipe(v.string(), v.maxLength(40)),
  /** The URL probed (without credentials): facts of another URL are stale. */
  url: v.pipe(v.string(), v.maxLength(2048)),
  /** Where ffprobe read: the engine's path of this source, or one short connection to the camera. */
  via: v.picklist(['engine', 'camera']),
  error: v.nullable(v.pipe(v.string(), v.maxLength(500))),
  video: v.nullable(
    v.object({
      codec: codecName,
      profile: v.nullable(v.pipe(v.string(), v.maxLength(64))),
      width: v.nullable(int(1, 16384)),
      height: v.nullable(int(1, 16384)),
      fps: v.nullable(v.pipe(v.number(), v.minValue(0), v.maxValue(1000))),
    }),
  ),
  audio: v.nullable(
    v.object({
      codec: codecName,
      sample_rate: v.nullable(int(1, 384_000)),
      channels: v.nullable(int(1, 64)),
    }),
  ),
});
export type SourceProbe = v.InferOutput<typeof sourceProbeSchema>;

/** Audio codecs the browser transports can carry as they are (copied, never transcoded). */
export const BROWSER_AUDIO_CODECS = ['aac', 'opus'] as const;

/** ffprobe's `hevc` is the plan's `h265`. */
export const normaliseVideoCodec = (name: string): string => (name === 'hevc' ? 'h265' : name);

/** An HTTP(S) URL the camera serves still images at (ONVIF GetSnapshotUri), credentials kept out. */
export const snapshotUrlSchema = v.pipe(
  v.string(),
  v.maxLength(2048),
  v.check((s) => isPlainHttpUrl(s), 'must be an http:// or https:// URL without credentials in it'),
);

/** The ONVIF media profile a source was imported from (its token), so a re-import updates it. */
export const onvifProfileSchema = v.pipe(v.string(), v.minLength(1), v.maxLength(64));
