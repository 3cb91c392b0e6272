import * as v from 'valibot';
import { slugSchema } from '../domain/ids.js';
import { PUBLISH_NODE_TYPE, pipelineNameSchema, type Pipeline } from '../domain/pipeline.js';
import { serverIdSchema } from '../domain/publication.js';
import { ApiError, invalid } from '../shared/errors.js';
import type { SettingsStore } from '../store/settings-store.js';
import { commit } from './commit.js';

export const wizardInputSchema = v.strictObject({
  transmission_id: v.pipe(v.string(), v.minLength(1, 'must not be empty')),
  pipeline_name: pipelineNameSchema,
  processing_server_id: v.optional(serverIdSchema, 'local'),
  camera_id: v.optional(slugSchema),
  camera_source_id: v.optional(slugSchema),
  writer_priority: v.optional(v.pipe(v.number(), v.integer(), v.minValue(-1000), v.maxValue(1000)), 0),
  enabled: v.optional(v.boolean(), true),
});
export type WizardInput = v.InferOutput<typeof wizardInputSchema>;

/**
 * Advanced shortcut: a pipeline `camera.source -> stream.publish_video` that writes into an
 * existing transmission. The transmission must be hosted where the pipeline runs.
 */
export function createWizardService(store: SettingsStore) {
  return {
    async createPipeline(input: WizardInput): Promise<Pipeline> {
      const { value } = await commit(store, (draft) => {
        const tx = draft.transmissions.find((t) => t.id === input.transmission_id);
        if (!tx) throw invalid('transmission_id', `no transmission "${input.transmission_id}"`);
        if (tx.host_server_id !== input.processing_server_id) {
          throw invalid('processing_server_id', `must match the transmission's host_server_id ("${tx.host_server_id}")`);
        }
        if (draft.pipelines.some((p) => p.name === input.pipeline_name)) {
          throw new ApiError(409, 'already_exists', `pipeline "${input.pipeline_name}" already exists`, 'pipeline_name');
        }
        const cameraId = input.camera_id ?? tx.camera_id;
        const sourceId = input.camera_source_id ?? tx.camera_source_id;
        if (!cameraId) throw invalid('camera_id', 'is required: the transmission has no camera to read from');
        const camera = draft.cameras.find((c) => c.id === cameraId);
        if (!camera) throw invalid('camera_id', `no camera "${cameraId}"`);
        const source = sourceId ? camera.sources.find((s) => s.id === sourceId) : camera.sources[0];
        if (!source) throw invalid('camera_source_id', `camera "${cameraId}" has no source "${sourceId ?? ''}"`);
        const pipeline: Pipeline = {
          name: input.pipeline_name,
          enabled: input.enabled,
          description: `Created by the wizard from transmission "${tx.name}"`,
          processing_server_id: input.processing_server_id,
          nodes: [
            { id: 'source', type: 'camera.source', inputs: [], config: { camera_id: camera.id, source_id: source.id } },
            { id: 'publish', type: PUBLISH_NODE_TYPE, inputs: ['source'], config: { transmission_id: tx.id, writer_priority: input.writer_priority } },
          ],
          metadata: null,
        };
        draft.pipelines.push(pipeline);
        return pipeline;
      });
      return value;
    },
  };
}
export type WizardService = ReturnType<typeof createWizardService>;
