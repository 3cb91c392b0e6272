import * as v from 'valibot';
import type { StoredCamera } from '../domain/camera.js';
import { DEFAULT_ROLE_LABELS, cameraPublicationId, pipelinePublicationId } from '../domain/ids.js';
import { PUBLISH_NODE_TYPE, publishNodeConfigSchema, type Pipeline, type PublishNodeConfig } from '../domain/pipeline.js';
import type { Publication } from '../domain/publication.js';

/** Reads a publish node's config with the operator's defaults; a config that does not parse publishes nothing. */
export function publishConfig(config: Record<string, unknown>): PublishNodeConfig | null {
  const parsed = v.safeParse(publishNodeConfigSchema, config);
  return parsed.success ? parsed.output : null;
}

/**
 * One publication per camera source. The source owns enabled/role/label ("Transmitir esta fonte",
 * its role and visible label); the rest is the user's per-publication overrides, kept from before.
 */
export function cameraPublications(cameras: readonly StoredCamera[], previous: ReadonlyMap<string, Publication>, defaultHost: string): Publication[] {
  const out: Publication[] = [];
  for (const camera of cameras) {
    for (const source of camera.sources) {
      const id = cameraPublicationId(camera.id, source.id);
      const prev = previous.get(id);
      out.push({
        id,
        owner_kind: 'camera_source',
        camera_id: camera.id,
        camera_source_id: source.id,
        pipeline_name: null,
        publish_node_id: null,
        enabled: source.publish,
        role: source.role,
        label: source.label || DEFAULT_ROLE_LABELS[source.role],
        live_view_id: prev?.live_view_id ?? null,
        host_server_id: prev?.host_server_id ?? defaultHost,
        quality_policy: prev?.quality_policy ?? {},
        transport_policy: prev?.transport_policy ?? {},
        show_in_dashboard: prev?.show_in_dashboard ?? true,
        show_in_home_assistant: prev?.show_in_home_assistant ?? true,
      });
    }
  }
  return out;
}

/** One publication per `stream.publish_video` node with `publication_enabled`, in a registered pipeline. */
export function pipelinePublications(pipelines: readonly Pipeline[]): Publication[] {
  const out: Publication[] = [];
  for (const pipeline of pipelines) {
    if (pipeline.metadata) continue; // implicit pipelines publish through their camera source
    for (const node of pipeline.nodes) {
      if (node.type !== PUBLISH_NODE_TYPE) continue;
      const cfg = publishConfig(node.config);
      if (!cfg?.publication_enabled) continue;
      out.push({
        id: pipelinePublicationId(pipeline.name, node.id),
        owner_kind: 'pipeline_output',
        camera_id: cfg.publication_camera_id || null,
        camera_source_id: cfg.publication_camera_source_id || null,
        pipeline_name: pipeline.name,
        publish_node_id: node.id,
        enabled: pipeline.enabled,
        role: cfg.publication_role,
        label: cfg.publication_label || `${pipeline.name} · ${node.id}`.slice(0, 120),
        live_view_id: cfg.publication_live_view_id || null,
        host_server_id: pipeline.processing_server_id,
        quality_policy: cfg.publication_quality_profile_id ? { profile_id: cfg.publication_quality_profile_id } : {},
        transport_policy: {},
        show_in_dashboard: cfg.publication_show_in_dashboard,
        show_in_home_assistant: cfg.publication_show_in_home_assistant,
      });
    }
  }
  return out;
}

/** The live view a publication belongs to: the explicit override, else its camera, else its pipeline. */
export function liveViewIdOf(pub: Publication): string {
  return pub.live_view_id ?? pub.camera_id ?? `pipeline-${(pub.pipeline_name ?? '').toLowerCase().replace(/[^a-z0-9_-]/g, '-')}`;
}
