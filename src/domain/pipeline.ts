import * as v from 'valibot';
import { PIPELINE_NAME_RE, ROLES, slugSchema } from './ids.js';
import { generatedMetaSchema } from './generated.js';
import { serverIdSchema } from './publication.js';
import { QUALITY_PROFILE_IDS } from './quality.js';

export const PUBLISH_NODE_TYPE = 'stream.publish_video';
export const CAMERA_SOURCE_NODE_TYPE = 'camera.source';

export const pipelineNameSchema = v.pipe(v.string(), v.regex(PIPELINE_NAME_RE, 'must be 1-128 characters of letters, digits, "_", "." or "-", starting with a letter or digit'));

/** The reference's `stream.publish_video` operator config, with its defaults. */
export const publishNodeConfigSchema = v.strictObject({
  transmission_id: v.optional(v.pipe(v.string(), v.maxLength(64)), ''),
  input_artifact_name: v.optional(v.pipe(v.string(), v.maxLength(120)), ''),
  resize_mode: v.optional(v.picklist(['contain']), 'contain'),
  writer_priority: v.optional(v.pipe(v.number(), v.integer(), v.minValue(-1000), v.maxValue(1000)), 0),
  bypass_mode: v.optional(v.picklist(['auto', 'off', 'force']), 'auto'),
  publication_enabled: v.optional(v.boolean(), false),
  publication_camera_id: v.optional(v.union([v.literal(''), slugSchema]), ''),
  publication_camera_source_id: v.optional(v.union([v.literal(''), slugSchema]), ''),
  publication_live_view_id: v.optional(v.union([v.literal(''), slugSchema]), ''),
  publication_role: v.optional(v.picklist(ROLES), 'custom'),
  publication_label: v.optional(v.pipe(v.string(), v.maxLength(120)), ''),
  publication_show_in_dashboard: v.optional(v.boolean(), true),
  publication_show_in_home_assistant: v.optional(v.boolean(), false),
  publication_quality_profile_id: v.optional(v.union([v.literal(''), v.picklist(QUALITY_PROFILE_IDS)]), ''),
});
export type PublishNodeConfig = v.InferOutput<typeof publishNodeConfigSchema>;

const MAX_CONFIG_DEPTH = 8;
const MAX_CONFIG_BYTES = 16 * 1024;

function depthWithin(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (limit === 0) return false;
  return Object.values(value).every((x) => depthWithin(x, limit - 1));
}

/** Operator configs are free-form JSON, kept small and shallow so storing and cloning them stays cheap. */
const jsonConfig = v.pipe(
  v.record(v.pipe(v.string(), v.maxLength(64)), v.unknown()),
  // One check, depth first: serialising a pathologically deep value would overflow the stack.
  v.check((c) => depthWithin(c, MAX_CONFIG_DEPTH) && JSON.stringify(c).length <= MAX_CONFIG_BYTES, `must nest at most ${MAX_CONFIG_DEPTH} levels and be at most ${MAX_CONFIG_BYTES} bytes as JSON`),
);

const nodeSchema = v.object({
  id: slugSchema,
  type: v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/, 'must be a dotted operator name such as "stream.publish_video"')),
  inputs: v.array(slugSchema),
  config: jsonConfig,
});
export type PipelineNode = v.InferOutput<typeof nodeSchema>;

export const pipelineSchema = v.object({
  name: v.string(),
  enabled: v.boolean(),
  description: v.string(),
  processing_server_id: v.string(),
  nodes: v.array(nodeSchema),
  metadata: v.nullable(generatedMetaSchema),
});
export type Pipeline = v.InferOutput<typeof pipelineSchema>;

const nodeInputSchema = v.strictObject({
  id: slugSchema,
  type: nodeSchema.entries.type,
  inputs: v.optional(v.pipe(v.array(slugSchema), v.maxLength(16)), []),
  config: v.optional(jsonConfig, {}),
});

export const pipelineInputSchema = v.strictObject({
  enabled: v.optional(v.boolean(), true),
  description: v.optional(v.pipe(v.string(), v.maxLength(1000)), ''),
  processing_server_id: v.optional(serverIdSchema, 'local'),
  nodes: v.pipe(v.array(nodeInputSchema), v.maxLength(64)),
});
export type PipelineInput = v.InferOutput<typeof pipelineInputSchema>;
