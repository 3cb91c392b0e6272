import * as v from 'valibot';
import { ROLES, slugSchema } from './ids.js';
import { qualityPolicySchema } from './quality.js';

const transportPolicySchema = v.strictObject({
  enable_webrtc: v.optional(v.boolean()),
  prefer: v.optional(v.picklist(['hls', 'mse', 'webrtc', 'jsmpeg'])),
});
export const serverIdSchema = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of letters, digits, "_", "." or "-"'));

export const publicationSchema = v.object({
  id: v.string(),
  owner_kind: v.picklist(['camera_source', 'pipeline_output']),
  camera_id: v.nullable(v.string()),
  camera_source_id: v.nullable(v.string()),
  pipeline_name: v.nullable(v.string()),
  publish_node_id: v.nullable(v.string()),
  enabled: v.boolean(),
  role: v.picklist(ROLES),
  label: v.string(),
  live_view_id: v.nullable(v.string()),
  host_server_id: v.string(),
  quality_policy: qualityPolicySchema,
  transport_policy: transportPolicySchema,
  show_in_dashboard: v.boolean(),
  show_in_home_assistant: v.boolean(),
});
export type Publication = v.InferOutput<typeof publicationSchema>;

/** What `PUT /api/streams/publications/camera-sources/{camera_id}/{source_id}` may change. */
export const publicationUpdateSchema = v.strictObject({
  enabled: v.optional(v.boolean()),
  role: v.optional(v.picklist(ROLES)),
  label: v.optional(v.pipe(v.string(), v.maxLength(120))),
  live_view_id: v.optional(v.nullable(slugSchema)),
  quality_policy: v.optional(qualityPolicySchema),
  transport_policy: v.optional(transportPolicySchema),
  host_server_id: v.optional(serverIdSchema),
  show_in_dashboard: v.optional(v.boolean()),
  show_in_home_assistant: v.optional(v.boolean()),
});
export type PublicationUpdate = v.InferOutput<typeof publicationUpdateSchema>;
