import { createHash } from 'node:crypto';
import type { StoredCamera } from '../domain/camera.js';
import type { Pipeline } from '../domain/pipeline.js';
import type { SettingsDoc } from '../domain/settings.js';
import type { Transmission } from '../domain/transmission.js';
import type { SettingsStore } from '../store/settings-store.js';

/** What a processing-side peer needs to run the transmissions it hosts, and nothing more. */
export interface DistributedSettings {
  server_id: string;
  /** The settings revision it was read at: grows with every change here. */
  version: number;
  /** Of the content only: unchanged while nothing the peer runs changed (its ETag). */
  digest: string;
  transmissions: Transmission[];
  /** The cameras of those transmissions with only the sources they read, credentials included. */
  cameras: StoredCamera[];
  pipelines: Pipeline[];
}

/**
 * The subset of the settings a peer hosts: its transmissions, the camera sources they read (a camera's
 * other sources, and their credentials, stay here) and the pipelines it processes. Pure.
 */
export function distributedSubset(doc: Pick<SettingsDoc, 'transmissions' | 'cameras' | 'pipelines'>, serverId: string): Pick<DistributedSettings, 'transmissions' | 'cameras' | 'pipelines'> {
  const transmissions = doc.transmissions.filter((t) => t.host_server_id === serverId);
  const reads = new Set(transmissions.filter((t) => t.input === 'camera_source').map((t) => `${t.camera_id ?? ''}/${t.camera_source_id ?? ''}`));
  const cameras = doc.cameras.flatMap((c) => {
    const sources = c.sources.filter((s) => reads.has(`${c.id}/${s.id}`));
    return sources.length > 0 ? [{ ...c, sources }] : [];
  });
  return { transmissions, cameras, pipelines: doc.pipelines.filter((p) => p.processing_server_id === serverId) };
}

export function createDistributedService(store: SettingsStore) {
  return {
    ownId: () => store.get().streaming.server_id,
    /** The secret an enabled peer of this id shares with this server, or null (no such peer, or disabled). */
    peerSecret(serverId: string): string | null {
      return store.get().streaming.peers.find((p) => p.id === serverId && p.enabled)?.secret ?? null;
    },
    settingsFor(serverId: string): DistributedSettings {
      const doc = store.get();
      const subset = distributedSubset(doc, serverId);
      const digest = createHash('sha256').update(JSON.stringify(subset)).digest('hex').slice(0, 32);
      return { server_id: serverId, version: doc.revision, digest, ...subset };
    },
  };
}
export type DistributedService = ReturnType<typeof createDistributedService>;
