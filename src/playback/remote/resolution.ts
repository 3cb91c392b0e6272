import * as v from 'valibot';

const relative = v.pipe(v.string(), v.startsWith('/api/streams/', 'must be a path of the host'));

/**
 * What the host of a transmission tells the peer the browser talks to
 * (`GET /api/streams/internal/transmissions/{id}/urls`, peer-authenticated, the `peer` member): where
 * each output's media is on the host (paths relative to its base URL, with media tokens the host
 * minted for this peer) and the facts the peer's playback plan needs.
 */
export const peerResolutionSchema = v.object({
  transmission_id: v.string(),
  /** The media tokens in these paths stop working after this. */
  expires_in_s: v.pipe(v.number(), v.integer(), v.minValue(1)),
  engine: v.picklist(['running', 'missing', 'stopped', 'starting', 'crashed', 'failed']),
  webrtc_lan_unknown: v.boolean(),
  sidecar: v.picklist(['running', 'disabled', 'missing', 'stopped', 'starting', 'failed']),
  jsmpeg: v.object({ enabled: v.boolean(), sessions: v.number(), max_sessions: v.number(), transmission_sessions: v.number(), max_per_transmission: v.number() }),
  outputs: v.array(
    v.object({
      output_id: v.string(),
      engine_path: v.string(),
      video_codec: v.picklist(['h264', 'h265', 'unknown']),
      audio_codec: v.nullable(v.string()),
      hls: relative,
      mse: relative,
      jsmpeg: relative,
      /** The host's RTSP address of the output as the peer reached the host (its reader's credentials in it), or null. */
      rtsp: v.nullable(v.string()),
    }),
  ),
});
export type PeerResolution = v.InferOutput<typeof peerResolutionSchema>;
