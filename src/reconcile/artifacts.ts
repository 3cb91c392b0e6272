import equal from 'fast-deep-equal';
import type { StoredCamera } from '../domain/camera.js';
import type { GeneratedMeta } from '../domain/generated.js';
import { CAMERA_SOURCE_NODE_TYPE, PUBLISH_NODE_TYPE, type Pipeline } from '../domain/pipeline.js';
import { ROLES, cameraEnginePath, generatedTransmissionId, implicitPipelineName, pipelineEnginePath } from '../domain/ids.js';
import type { CameraLiveView, Variant } from '../domain/live-view.js';
import type { Publication } from '../domain/publication.js';
import { resolveQuality } from '../domain/quality.js';
import type { Output, Transmission } from '../domain/transmission.js';
import { liveViewIdOf } from './publications.js';

const GENERATED_OUTPUT_ID = 'default';
/** The H.264 version of an H.265 camera, for browsers without HEVC (encoded only while watched). */
const H264_OUTPUT_ID = 'h264';
/** Wider sources are scaled down for it: an encode this server can keep up with, and every browser decodes 1080p. */
const H264_MAX_WIDTH = 1920;
/** Writers push frames of any size; without a quality policy their stream is 720p at 15 fps. */
const WRITER_DEFAULT = { width: 1280, height: 720, fps: 15 };

/** Generated names combine user strings; they are clipped to the stored limits rather than refused. */
const clip = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

function metaOf(pub: Publication): GeneratedMeta {
  return {
    generated_by: 'stream_publication',
    publication_id: pub.id,
    owner_kind: pub.owner_kind,
    camera_id: pub.camera_id,
    camera_source_id: pub.camera_source_id,
    role: pub.role,
    pipeline_name: pub.pipeline_name,
    publish_node_id: pub.publish_node_id,
  };
}

export function generatedTransmission(pub: Publication, camera: StoredCamera | undefined, enginePath: string): Transmission {
  const fromCamera = pub.owner_kind === 'camera_source';
  const q = resolveQuality(pub.quality_policy);
  // A camera stream is remuxed as delivered unless the policy asks for another size or rate.
  const copy = fromCamera && q.width === null && q.height === null && q.fps === null;
  const output: Output = {
    id: GENERATED_OUTPUT_ID,
    name: clip(pub.label, 120),
    enabled: true,
    engine_path: enginePath,
    codec: copy ? 'copy' : 'h264',
    width: fromCamera ? q.width : (q.width ?? WRITER_DEFAULT.width),
    height: fromCamera ? q.height : (q.height ?? WRITER_DEFAULT.height),
    fps: fromCamera ? q.fps : (q.fps ?? WRITER_DEFAULT.fps),
    bitrate_kbps: q.bitrate_kbps,
    enable_rtsp: true,
    enable_hls: true,
    enable_webrtc: pub.role === 'zoom' || pub.transport_policy.enable_webrtc === true,
  };
  const probed = camera?.sources.find((s) => s.id === pub.camera_source_id)?.probe?.video;
  const outputs = copy && probed?.codec === 'h265' ? [output, h264Version(output, probed.width)] : [output];
  return {
    id: generatedTransmissionId(pub.id),
    name: clip(`${camera?.name ?? pub.pipeline_name ?? pub.camera_id ?? pub.id} · ${pub.label}`, 160),
    description: '',
    enabled: pub.enabled,
    host_server_id: pub.host_server_id,
    input: fromCamera ? 'camera_source' : 'writers',
    camera_id: fromCamera ? pub.camera_id : null,
    camera_source_id: fromCamera ? pub.camera_source_id : null,
    outputs,
    metadata: metaOf(pub),
  };
}

/** An H.265 copy's H.264 twin: same rate, at most 1080p wide, on its own engine path under the copy's. */
function h264Version(copy: Output, width: number | null): Output {
  return {
    ...copy,
    id: H264_OUTPUT_ID,
    name: clip(`${copy.name} (H.264)`, 120),
    engine_path: `${copy.engine_path}/${H264_OUTPUT_ID}`,
    codec: 'h264',
    width: width !== null && width > H264_MAX_WIDTH ? H264_MAX_WIDTH : null,
  };
}

/** The engine path of a publication; pipeline names are case-folded, so clashes get a suffix. */
export function enginePathFor(pub: Publication, taken: Set<string>): string {
  const base = pub.owner_kind === 'camera_source' ? cameraEnginePath(pub.camera_id!, pub.camera_source_id!) : pipelineEnginePath(pub.pipeline_name!, pub.publish_node_id!);
  let path = base;
  for (let i = 2; taken.has(path); i++) path = `${base}-${i}`;
  taken.add(path);
  return path;
}

/** `camera.source -> stream.publish_video`, continuous: the camera stream as a pipeline. */
export function implicitPipeline(pub: Publication, transmissionId: string): Pipeline {
  return {
    name: implicitPipelineName(transmissionId),
    enabled: pub.enabled,
    description: `Continuous stream of camera "${pub.camera_id}" source "${pub.camera_source_id}"`,
    processing_server_id: pub.host_server_id,
    nodes: [
      { id: 'source', type: CAMERA_SOURCE_NODE_TYPE, inputs: [], config: { camera_id: pub.camera_id, source_id: pub.camera_source_id } },
      {
        id: 'publish',
        type: PUBLISH_NODE_TYPE,
        inputs: ['source'],
        config: { transmission_id: transmissionId, writer_priority: 0, resize_mode: 'contain', bypass_mode: 'auto' },
      },
    ],
    metadata: metaOf(pub),
  };
}

const ROLE_ORDER = new Map(ROLES.map((r, i) => [r, i]));

/** Which publications and camera a live view was built from, so an unchanged group is reused as is. */
const viewSources = new WeakMap<CameraLiveView, { pubs: Publication[]; camera: StoredCamera | undefined }>();

/** Groups the enabled publications into live views, variants ordered main, sub, zoom, custom. */
export function liveViews(pubs: readonly Publication[], cameras: ReadonlyMap<string, StoredCamera>, previous: ReadonlyMap<string, CameraLiveView>): CameraLiveView[] {
  const groups = new Map<string, Publication[]>();
  for (const pub of pubs) {
    if (!pub.enabled) continue;
    const id = liveViewIdOf(pub);
    const group = groups.get(id);
    if (group) group.push(pub);
    else groups.set(id, [pub]);
  }
  const views: CameraLiveView[] = [];
  for (const [id, group] of groups) {
    const camera = cameras.get(id);
    const prev = previous.get(id);
    const built = prev && viewSources.get(prev);
    if (prev && built && built.camera === camera && sameItems(built.pubs, group)) {
      views.push(prev);
      continue;
    }
    const view = liveView(id, group, camera);
    const kept = prev && equal(prev, view) ? prev : view;
    viewSources.set(kept, { pubs: group, camera });
    views.push(kept);
  }
  return views;
}

function liveView(id: string, group: readonly Publication[], camera: StoredCamera | undefined): CameraLiveView {
  const variants: Variant[] = group.map((pub) => ({
    publication_id: pub.id,
    owner_kind: pub.owner_kind,
    role: pub.role,
    label: pub.label,
    transmission_id: generatedTransmissionId(pub.id),
    output_id: GENERATED_OUTPUT_ID,
    show_in_dashboard: pub.show_in_dashboard,
    show_in_home_assistant: pub.show_in_home_assistant,
  }));
  // Stable sort keeps publication order among variants of the same role.
  variants.sort((a, b) => ROLE_ORDER.get(a.role)! - ROLE_ORDER.get(b.role)!);
  return {
    id,
    // A pipeline's view is named for the pipeline (its id has a `pipeline-` prefix).
    name: camera?.name ?? group[0]?.pipeline_name ?? id,
    camera_id: camera ? camera.id : null,
    variants,
    metadata: {
      generated_by: 'stream_publication',
      publication_id: null,
      owner_kind: 'live_view',
      camera_id: camera ? camera.id : null,
      camera_source_id: null,
      role: null,
      pipeline_name: null,
      publish_node_id: null,
    },
  };
}

const sameItems = <T>(a: readonly T[], b: readonly T[]) => a.length === b.length && a.every((x, i) => x === b[i]);
