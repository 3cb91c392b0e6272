import type { StoredCamera } from './camera.js';
import type { PulledSettings } from './peers.js';
import type { SettingsDoc } from './settings.js';
import type { Transmission } from './transmission.js';

/** What one peer says this server hosts for it (null before the first pull). */
export interface PulledFrom {
  peer_id: string;
  pulled: PulledSettings | null;
}

/** A pulled transmission this server does not run, and why (said in the distributed status). */
export interface HostingConflict {
  peer_id: string;
  transmission_id: string;
  reason: string;
}

/** What deciding what runs here reads of the settings. */
type HostingInput = Pick<SettingsDoc, 'revision' | 'cameras' | 'transmissions' | 'pipelines' | 'streaming'>;

/** The settings as this server runs them: its own document with only what it hosts, plus what peers gave it to host. */
export type HostedDoc<D extends HostingInput = SettingsDoc> = D & {
  /** Changes whenever what runs here changes (the runtime replans on it). */
  hosting_key: string;
  /** Transmission id → the peer it is hosted for (absent: this server's own). */
  hosted_for: ReadonlyMap<string, string>;
  conflicts: HostingConflict[];
};

/**
 * A pulled camera's id here: the peer's id and its camera id joined by ".", which no camera id of
 * this server holds (camera ids are slugs), so two servers' "front_door" never share an engine path.
 */
const pulledCameraId = (peerId: string, cameraId: string) => `${peerId}.${cameraId}`;

/**
 * What this server runs: its own transmissions whose `host_server_id` is this server, and those the
 * peers pulled for it. A pulled transmission whose id or engine path this server already uses is not
 * run (a conflict, reported), never merged. Pure.
 */
export function hostedDoc<D extends HostingInput>(doc: D, pulled: readonly PulledFrom[]): HostedDoc<D> {
  const here = doc.streaming.server_id;
  const transmissions = doc.transmissions.filter((t) => t.host_server_id === here);
  const cameras: StoredCamera[] = [...doc.cameras];
  const pipelines = doc.pipelines.filter((p) => p.processing_server_id === here);
  const hostedFor = new Map<string, string>();
  const conflicts: HostingConflict[] = [];
  const ids = new Set(transmissions.map((t) => t.id));
  const paths = new Set(transmissions.flatMap((t) => t.outputs.map((o) => o.engine_path)));
  for (const { peer_id, pulled: got } of pulled) {
    if (!got) continue;
    for (const c of got.cameras) cameras.push({ ...c, id: pulledCameraId(peer_id, c.id) });
    for (const t of got.transmissions) {
      const clash = ids.has(t.id) ? 'its id is taken here' : t.outputs.find((o) => paths.has(o.engine_path));
      if (clash) {
        conflicts.push({ peer_id, transmission_id: t.id, reason: typeof clash === 'string' ? clash : `engine path "${clash.engine_path}" is taken here` });
        continue;
      }
      ids.add(t.id);
      for (const o of t.outputs) paths.add(o.engine_path);
      hostedFor.set(t.id, peer_id);
      transmissions.push({ ...t, camera_id: t.camera_id === null ? null : pulledCameraId(peer_id, t.camera_id) });
    }
    pipelines.push(...got.pipelines);
  }
  return { ...doc, cameras, transmissions, pipelines, hosting_key: hostingKey(doc, pulled), hosted_for: hostedFor, conflicts };
}

/** What {@link hostedDoc} depends on, cheap to compute: the settings revision and each peer's digest. */
export const hostingKey = (doc: Pick<SettingsDoc, 'revision'>, pulled: readonly PulledFrom[]) => `${doc.revision}|${pulled.map((p) => `${p.peer_id}:${p.pulled?.digest ?? '-'}`).join(',')}`;

/** Transmissions of this server's document that another server hosts (played here through that server). */
export const remoteTransmissions = (doc: Pick<SettingsDoc, 'transmissions' | 'streaming'>): Transmission[] => doc.transmissions.filter((t) => t.host_server_id !== doc.streaming.server_id);
