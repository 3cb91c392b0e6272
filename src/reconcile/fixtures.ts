import type { StoredCamera, StoredSource } from '../domain/camera.js';
import type { Pipeline } from '../domain/pipeline.js';
import { emptyDoc, type ControlPlane } from '../domain/settings.js';
import type { Output, Transmission } from '../domain/transmission.js';

/** Builders for reconciler tests and benchmarks. */
export function source(id: string, over: Partial<StoredSource> = {}): StoredSource {
  return { id, role: 'main', label: '', url: `rtsp://127.0.0.1:8554/${id}`, username: null, password: null, publish: true, ...over };
}

export function camera(id: string, sources: StoredSource[], name = `Camera ${id}`): StoredCamera {
  return { id, name, sources };
}

export function plane(over: Partial<ControlPlane> = {}): ControlPlane {
  const { cameras, publications, pipelines, transmissions, live_views, streaming } = emptyDoc();
  return { cameras, publications, pipelines, transmissions, live_views, streaming, ...over };
}

export function publishPipeline(name: string, config: Record<string, unknown>, over: Partial<Pipeline> = {}): Pipeline {
  return {
    name,
    enabled: true,
    description: '',
    processing_server_id: 'local',
    nodes: [
      { id: 'cam', type: 'camera.source', inputs: [], config: {} },
      { id: 'draw', type: 'render.overlay', inputs: ['cam'], config: {} },
      { id: 'out', type: 'stream.publish_video', inputs: ['draw'], config: { publication_enabled: true, ...config } },
    ],
    metadata: null,
    ...over,
  };
}

/** An enabled H.264 output with every protocol but WebRTC, as delivered (no size or rate). */
export function fixtureOutput(id: string, enginePath: string, over: Partial<Output> = {}): Output {
  return {
    id,
    name: id,
    enabled: true,
    engine_path: enginePath,
    codec: 'h264',
    width: null,
    height: null,
    fps: null,
    bitrate_kbps: null,
    enable_rtsp: true,
    enable_hls: true,
    enable_webrtc: false,
    ...over,
  };
}

/** A manual transmission with the given outputs. */
export const fixtureTransmission = (id: string, outputs: Output[], over: Partial<Transmission> = {}): Transmission => ({ ...manualTransmission(id, over), outputs });

/** A manual transmission; each output starts as a 640x360 at 10 fps H.264 output at `m/<id>/<index>`. */
export function manualTransmission(id: string, over: Partial<Transmission> = {}, outputs: Partial<Output>[] = []): Transmission {
  return {
    id,
    name: id,
    description: '',
    enabled: true,
    host_server_id: 'local',
    input: 'writers',
    camera_id: null,
    camera_source_id: null,
    metadata: null,
    ...over,
    outputs: outputs.map((o, i) => fixtureOutput(`o${i}`, `m/${id}/${i}`, { name: '', width: 640, height: 360, fps: 10, ...o })),
  };
}
