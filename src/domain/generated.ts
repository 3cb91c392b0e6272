import * as v from 'valibot';
import { ROLES } from './ids.js';

/** Metadata on every artifact the reconciler owns; its presence makes the artifact read-only. */
export const generatedMetaSchema = v.object({
  generated_by: v.literal('stream_publication'),
  publication_id: v.nullable(v.string()),
  owner_kind: v.picklist(['camera_source', 'pipeline_output', 'live_view']),
  camera_id: v.nullable(v.string()),
  camera_source_id: v.nullable(v.string()),
  role: v.nullable(v.picklist(ROLES)),
  pipeline_name: v.nullable(v.string()),
  publish_node_id: v.nullable(v.string()),
});
export type GeneratedMeta = v.InferOutput<typeof generatedMetaSchema>;

export interface Owner {
  kind: 'camera_source' | 'pipeline_output' | 'live_view';
  /** Where to edit instead, as an API path the client can follow. */
  edit: string;
  description: string;
}

/** Names the owner a user must edit instead of a generated artifact. */
export function ownerOf(meta: GeneratedMeta): Owner {
  if (meta.owner_kind === 'camera_source' && meta.camera_id) {
    return {
      kind: 'camera_source',
      edit: `/api/cameras/${meta.camera_id}`,
      description: `camera source "${meta.camera_source_id}" of camera "${meta.camera_id}"`,
    };
  }
  if (meta.owner_kind === 'pipeline_output' && meta.pipeline_name) {
    return {
      kind: 'pipeline_output',
      edit: `/api/streams/pipelines/${meta.pipeline_name}`,
      description: `stream.publish_video node "${meta.publish_node_id}" of pipeline "${meta.pipeline_name}"`,
    };
  }
  return { kind: 'live_view', edit: '/api/streams/publications', description: 'the publications of this live view' };
}
