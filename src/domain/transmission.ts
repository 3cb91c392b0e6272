import * as v from 'valibot';
import { ENGINE_PATH_RE } from './engine-path.js';
import { GENERATED_PATH_PREFIXES, slugSchema } from './ids.js';
import { generatedMetaSchema } from './generated.js';
import { serverIdSchema } from './publication.js';

const CODECS = ['copy', 'h264', 'h265'] as const;

const enginePath = v.pipe(v.string(), v.maxLength(200), v.regex(ENGINE_PATH_RE, 'must be letters, digits, "_", ".", "-" and "/", without a leading or trailing "/" or "." and ".." segments'));
const dimension = (max: number) => v.nullable(v.pipe(v.number(), v.integer(), v.minValue(16), v.maxValue(max)));

const outputSchema = v.object({
  id: slugSchema,
  name: v.pipe(v.string(), v.maxLength(120)),
  enabled: v.boolean(),
  engine_path: enginePath,
  /** `copy` remuxes the camera's stream; only a camera-source transmission can copy. */
  codec: v.picklist(CODECS),
  width: dimension(7680),
  height: dimension(4320),
  fps: v.nullable(v.pipe(v.number(), v.minValue(1), v.maxValue(60))),
  bitrate_kbps: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(64), v.maxValue(50_000))),
  enable_rtsp: v.boolean(),
  enable_hls: v.boolean(),
  enable_webrtc: v.boolean(),
});
export type Output = v.InferOutput<typeof outputSchema>;

export const transmissionSchema = v.object({
  id: v.string(),
  name: v.pipe(v.string(), v.maxLength(160)),
  description: v.pipe(v.string(), v.maxLength(1000)),
  enabled: v.boolean(),
  host_server_id: v.string(),
  /** Where frames come from: one camera source pulled on demand, or writers over the writer API. */
  input: v.picklist(['camera_source', 'writers']),
  camera_id: v.nullable(v.string()),
  camera_source_id: v.nullable(v.string()),
  outputs: v.array(outputSchema),
  metadata: v.nullable(generatedMetaSchema),
});
export type Transmission = v.InferOutput<typeof transmissionSchema>;

const notGeneratedPath = v.check<string, string>(
  (p) => !GENERATED_PATH_PREFIXES.some((prefix) => p.startsWith(prefix)),
  `must not start with ${GENERATED_PATH_PREFIXES.map((p) => `"${p}"`).join(' or ')} (reserved for generated streams)`,
);

export const outputInputSchema = v.strictObject({
  id: v.optional(slugSchema),
  name: v.optional(v.pipe(v.string(), v.maxLength(120))),
  enabled: v.optional(v.boolean(), true),
  engine_path: v.optional(v.pipe(enginePath, notGeneratedPath)),
  codec: v.optional(v.picklist(CODECS), 'h264'),
  width: v.optional(dimension(7680), 1280),
  height: v.optional(dimension(4320), 720),
  fps: v.optional(v.nullable(v.pipe(v.number(), v.minValue(1), v.maxValue(60))), 15),
  bitrate_kbps: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(64), v.maxValue(50_000))), null),
  enable_rtsp: v.optional(v.boolean(), true),
  enable_hls: v.optional(v.boolean(), true),
  enable_webrtc: v.optional(v.boolean(), false),
});
export type OutputInput = v.InferOutput<typeof outputInputSchema>;

export const transmissionInputSchema = v.strictObject({
  id: v.optional(
    v.pipe(
      v.string(),
      v.uuid('must be a UUID'),
      // Generated transmissions use name-based (version 5) UUIDs; a manual one must not take one of theirs.
      v.check((id) => id[14] !== '5', 'must not be a version-5 UUID (reserved for generated transmissions)'),
    ),
  ),
  name: v.pipe(v.string(), v.trim(), v.minLength(1, 'must not be empty'), v.maxLength(160)),
  description: v.optional(v.pipe(v.string(), v.maxLength(1000)), ''),
  enabled: v.optional(v.boolean(), true),
  host_server_id: v.optional(serverIdSchema, 'local'),
  input: v.optional(v.picklist(['camera_source', 'writers']), 'writers'),
  camera_id: v.optional(v.nullable(slugSchema), null),
  camera_source_id: v.optional(v.nullable(slugSchema), null),
  outputs: v.optional(v.pipe(v.array(outputInputSchema), v.maxLength(8)), []),
});
export type TransmissionInput = v.InferOutput<typeof transmissionInputSchema>;
