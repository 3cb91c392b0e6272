import { cameraPublicationId } from '../domain/ids.js';
import type { Publication, PublicationUpdate } from '../domain/publication.js';
import { notFound } from '../shared/errors.js';
import type { SettingsStore } from '../store/settings-store.js';
import { findCamera } from './cameras.js';
import { commit } from './commit.js';

export function createPublicationService(store: SettingsStore) {
  return {
    list(cameraId?: string): Publication[] {
      const pubs = store.get().publications;
      return cameraId === undefined ? pubs : pubs.filter((p) => p.camera_id === cameraId);
    },

    /**
     * The camera source owns enabled/role/label (they are its "Transmitir esta fonte", role and
     * label), so those are written to the source; the rest are per-publication overrides.
     */
    async updateCameraSource(cameraId: string, sourceId: string, update: PublicationUpdate): Promise<Publication> {
      const id = cameraPublicationId(cameraId, sourceId);
      const { doc } = await commit(store, (draft) => {
        const source = findCamera(draft, cameraId).sources.find((s) => s.id === sourceId);
        if (!source) throw notFound('camera source', `${cameraId}/${sourceId}`);
        if (update.enabled !== undefined) source.publish = update.enabled;
        if (update.role !== undefined) source.role = update.role;
        if (update.label !== undefined) source.label = update.label;
        const index = draft.publications.findIndex((p) => p.id === id);
        const pub = draft.publications[index];
        // Every source has a publication after a reconcile; a new one is made by the reconciler below.
        if (!pub) return;
        draft.publications[index] = {
          ...pub,
          live_view_id: update.live_view_id !== undefined ? update.live_view_id : pub.live_view_id,
          quality_policy: update.quality_policy ?? pub.quality_policy,
          transport_policy: update.transport_policy ?? pub.transport_policy,
          host_server_id: update.host_server_id ?? pub.host_server_id,
          show_in_dashboard: update.show_in_dashboard ?? pub.show_in_dashboard,
          show_in_home_assistant: update.show_in_home_assistant ?? pub.show_in_home_assistant,
        };
      });
      return doc.publications.find((p) => p.id === id)!;
    },

    reconcile: () => commit(store, () => undefined),
  };
}
export type PublicationService = ReturnType<typeof createPublicationService>;
