import * as v from 'valibot';
import { ROLES } from './ids.js';
import { generatedMetaSchema } from './generated.js';

const variantSchema = v.object({
  publication_id: v.string(),
  owner_kind: v.picklist(['camera_source', 'pipeline_output']),
  role: v.picklist(ROLES),
  label: v.string(),
  transmission_id: v.string(),
  output_id: v.string(),
  show_in_dashboard: v.boolean(),
  show_in_home_assistant: v.boolean(),
});
export type Variant = v.InferOutput<typeof variantSchema>;

export const liveViewSchema = v.object({
  id: v.string(),
  name: v.string(),
  camera_id: v.nullable(v.string()),
  variants: v.array(variantSchema),
  metadata: generatedMetaSchema,
});
export type CameraLiveView = v.InferOutput<typeof liveViewSchema>;
