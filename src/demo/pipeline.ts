import type { Logger } from 'pino';
import * as v from 'valibot';
import { createPipelineService } from '../control/pipelines.js';
import { generatedTransmissionId, pipelinePublicationId } from '../domain/ids.js';
import { PUBLISH_NODE_TYPE, pipelineInputSchema, type PipelineInput } from '../domain/pipeline.js';
import { QUALITY_PROFILES } from '../domain/quality.js';
import { isFirstStart, type SettingsStore } from '../store/settings-store.js';

const DEMO_PIPELINE_NAME = 'demo';
const DEMO_NODE_ID = 'video';
/** The generated transmission of the demo's publish node (a name-based id: the same on every start). */
export const DEMO_TRANSMISSION_ID = generatedTransmissionId(pipelinePublicationId(DEMO_PIPELINE_NAME, DEMO_NODE_ID));
export const DEMO_WRITER_ID = 'demo';
/** The lowest writer priority: frames a real writer pushes into the demo stream win over the test pattern. */
export const DEMO_WRITER_PRIORITY = -1000;
/** 640x360 at 10 fps: what the demo renders and what its output publishes. */
const DEMO_QUALITY_PROFILE = 'sd';
export const DEMO_FRAMES = QUALITY_PROFILES[DEMO_QUALITY_PROFILE]!;

/** The demo pipeline as `PUT /api/streams/pipelines/demo` would receive it, defaults filled in by the API's schema. */
function demoPipelineInput(): PipelineInput {
  return v.parse(pipelineInputSchema, {
    description: 'Demo: a test pattern generated on this server, so the panel shows moving video before any camera is added. Delete this pipeline to remove it.',
    nodes: [
      {
        id: DEMO_NODE_ID,
        type: PUBLISH_NODE_TYPE,
        config: {
          publication_enabled: true,
          publication_role: 'main',
          publication_label: 'Demo',
          publication_quality_profile_id: DEMO_QUALITY_PROFILE,
          writer_priority: DEMO_WRITER_PRIORITY,
        },
      },
    ],
  });
}

/**
 * On the very first start only (no settings file existed), registers the demo pipeline through the
 * same service as the API, so it reconciles into a generated transmission like any pipeline. Once
 * settings exist it is never added again: deleting the pipeline removes the demo for good.
 */
export async function addDemoOnFirstStart(store: SettingsStore, logger: Logger): Promise<boolean> {
  if (!isFirstStart(store.status())) return false;
  await createPipelineService(store).put(DEMO_PIPELINE_NAME, demoPipelineInput());
  logger.info({ pipeline: DEMO_PIPELINE_NAME, transmission_id: DEMO_TRANSMISSION_ID }, 'first start: demo stream added (delete the "demo" pipeline to remove it)');
  return true;
}
