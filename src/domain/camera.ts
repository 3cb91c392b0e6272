import * as v from 'valibot';
import { ROLES, slugSchema } from './ids.js';
import { onvifProfileSchema, snapshotUrlSchema, sourceProbeSchema, type SourceProbe } from './source-facts.js';

/**
 * The schemes of MediaMTX v1.20.1's static sources (conf.Path.validate) that pull from a camera at
 * a network address with nothing else to configure. Left out: `udp://`, `udp+mpegts://`,
 * `udp+rtp://`, `unix+...` (sockets this machine listens on, some needing an SDP), `moqt://` (MoQ is
 * off), `rpiCamera`, `redirect`, `publisher`.
 */
const CAMERA_URL_SCHEMES = ['rtsp', 'rtsps', 'rtsp+http', 'rtsps+http', 'rtsp+ws', 'rtsps+ws', 'rtmp', 'rtmps', 'http', 'https', 'srt', 'whep', 'wheps'] as const;
const SCHEME_PROTOCOLS = new Set(CAMERA_URL_SCHEMES.map((s) => `${s}:`));

const cameraUrl = v.pipe(
  v.string(),
  v.maxLength(2048),
  v.check(
    (s) => {
      try {
        const u = new URL(s);
        return SCHEME_PROTOCOLS.has(u.protocol) && u.hostname !== '' && s.slice(u.protocol.length).startsWith('//');
      } catch {
        return false;
      }
    },
    `must be a URL with a host and one of the schemes the engine pulls a camera with: ${CAMERA_URL_SCHEMES.map((x) => `${x}://`).join(', ')}`,
  ),
);

/**
 * A certificate's SHA-256 fingerprint: 64 hex digits, colons and spaces allowed (as browsers and
 * `openssl x509 -fingerprint` print it), stored lowercase without them, as MediaMTX's
 * `sourceFingerprint` wants it.
 */
const fingerprintSchema = v.pipe(
  v.string(),
  v.maxLength(200),
  v.transform((s) => s.replace(/[\s:]/g, '').toLowerCase()),
  v.regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 fingerprint: 64 hexadecimal digits (colons allowed)'),
);

const credential = v.pipe(v.string(), v.maxLength(256));

/** A camera source as stored: credentials are kept apart from the URL and never leave the server. */
const storedSourceSchema = v.object({
  id: slugSchema,
  role: v.picklist(ROLES),
  label: v.pipe(v.string(), v.maxLength(120)),
  url: cameraUrl,
  username: v.nullable(credential),
  password: v.nullable(credential),
  publish: v.boolean(),
  /** TLS sources only: the certificate the engine trusts (first seen, or set by the user); absent or null: the system CAs decide. */
  tls_fingerprint: v.optional(v.nullable(fingerprintSchema)),
  /** The last probe of this source's URL (absent: never probed). */
  probe: v.optional(v.nullable(sourceProbeSchema)),
  snapshot_url: v.optional(v.nullable(snapshotUrlSchema)),
  onvif_profile: v.optional(v.nullable(onvifProfileSchema)),
});
export type StoredSource = v.InferOutput<typeof storedSourceSchema>;

export const storedCameraSchema = v.object({
  id: slugSchema,
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(120)),
  sources: v.array(storedSourceSchema),
});
export type StoredCamera = v.InferOutput<typeof storedCameraSchema>;

/**
 * A source as written through the API. Omitted credentials keep what is stored, null clears them.
 * `has_credentials` is accepted so a client may send back what it read.
 */
export const sourceInputSchema = v.strictObject({
  id: v.optional(slugSchema),
  role: v.optional(v.picklist(ROLES), 'main'),
  label: v.optional(v.pipe(v.string(), v.maxLength(120))),
  url: cameraUrl,
  username: v.optional(v.nullable(credential)),
  password: v.optional(v.nullable(credential)),
  publish: v.optional(v.boolean(), true),
  /** TLS sources: omitted keeps the trusted certificate (while the host and port stay), null forgets it and trusts the one seen now, a value sets it. */
  tls_fingerprint: v.optional(v.nullable(fingerprintSchema)),
  has_credentials: v.optional(v.boolean()),
  /** Server-owned facts a client may send back as it read them: ignored (the stored ones stay while the URL does). */
  probe: v.optional(v.unknown()),
  snapshot_url: v.optional(v.nullable(snapshotUrlSchema)),
  onvif_profile: v.optional(v.nullable(onvifProfileSchema)),
});
export type SourceInput = v.InferOutput<typeof sourceInputSchema>;

export const cameraInputSchema = v.strictObject({
  id: v.optional(slugSchema),
  name: v.pipe(v.string(), v.trim(), v.minLength(1, 'must not be empty'), v.maxLength(120)),
  sources: v.optional(v.pipe(v.array(sourceInputSchema), v.maxLength(16)), []),
});
export type CameraInput = v.InferOutput<typeof cameraInputSchema>;

interface PublicSource {
  id: string;
  role: StoredSource['role'];
  label: string;
  url: string;
  publish: boolean;
  has_credentials: boolean;
  publication_id: string;
  /** Only on TLS sources (`rtsps://`, ...): the SHA-256 of the certificate the engine trusts; null until one was seen. */
  tls_fingerprint?: string | null;
  /** What the last probe of this URL found; null until a probe ran. */
  probe: SourceProbe | null;
  snapshot_url: string | null;
  onvif_profile: string | null;
}
export interface PublicCamera {
  id: string;
  name: string;
  sources: PublicSource[];
}
