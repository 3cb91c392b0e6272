import type { CameraInput, PublicCamera, SourceInput, StoredCamera, StoredSource } from '../domain/camera.js';
import { DEFAULT_ROLE_LABELS, cameraPublicationId, slugify, uniqueId } from '../domain/ids.js';
import type { SettingsDoc } from '../domain/settings.js';
import { ApiError, invalid, notFound } from '../shared/errors.js';
import type { SettingsStore } from '../store/settings-store.js';
import { commit } from './commit.js';
import { readTlsFingerprint, tlsEndpoint, usesTls } from './tls-fingerprint.js';

/** What the API shows of a camera: credentials are reduced to `has_credentials`. */
function publicCamera(camera: StoredCamera): PublicCamera {
  return {
    id: camera.id,
    name: camera.name,
    sources: camera.sources.map((s) => ({
      id: s.id,
      role: s.role,
      label: s.label || DEFAULT_ROLE_LABELS[s.role],
      url: s.url,
      publish: s.publish,
      has_credentials: s.username !== null || s.password !== null,
      publication_id: cameraPublicationId(camera.id, s.id),
      ...(usesTls(s.url) ? { tls_fingerprint: s.tls_fingerprint ?? null } : {}),
      probe: s.probe ?? null,
      snapshot_url: s.snapshot_url ?? null,
      onvif_profile: s.onvif_profile ?? null,
    })),
  };
}

export function findCamera(doc: SettingsDoc, id: string): StoredCamera {
  const camera = doc.cameras.find((c) => c.id === id);
  if (!camera) throw notFound('camera', id);
  return camera;
}

/** Credentials typed into the URL (`rtsp://user:pass@host/...`) are moved out of it. */
function splitUrl(raw: string, field: string): { url: string; username: string | null; password: string | null } {
  const u = new URL(raw);
  const decode = (s: string) => {
    try {
      return s ? decodeURIComponent(s) : null;
    } catch {
      throw invalid(field, 'has badly escaped credentials');
    }
  };
  const username = decode(u.username);
  const password = decode(u.password);
  if ((username?.length ?? 0) > 256 || (password?.length ?? 0) > 256) throw invalid(field, 'has credentials longer than 256 characters');
  u.username = '';
  u.password = '';
  const url = u.toString();
  // Normalising escapes characters, which can lengthen the URL past what is stored.
  if (url.length > 2048) throw invalid(field, 'is longer than 2048 characters once normalised');
  return { url, username, password };
}

/**
 * The certificate each TLS source is to trust (undefined for the others): the one the user gave,
 * else the stored one while the source's host and port stay, else the one the camera presents now
 * (trust on first use; null when it cannot be reached, then the system CAs decide).
 */
async function trustedFingerprints(inputs: SourceInput[], previous: readonly StoredSource[]): Promise<(string | null | undefined)[]> {
  return Promise.all(
    inputs.map(async (input) => {
      if (!usesTls(input.url)) return undefined;
      if (typeof input.tls_fingerprint === 'string') return input.tls_fingerprint;
      const before = input.id === undefined ? undefined : previous.find((s) => s.id === input.id);
      if (input.tls_fingerprint === undefined && before?.tls_fingerprint && tlsEndpoint(before.url) === tlsEndpoint(input.url)) return before.tls_fingerprint;
      return readTlsFingerprint(input.url);
    }),
  );
}

function toStoredSources(inputs: SourceInput[], previous: readonly StoredSource[], fingerprints: readonly (string | null | undefined)[]): StoredSource[] {
  const taken = new Set(inputs.map((s) => s.id).filter((id): id is string => id !== undefined));
  const seen = new Set<string>();
  return inputs.map((input, i) => {
    const id = input.id ?? uniqueId(input.role, taken);
    taken.add(id);
    if (seen.has(id)) throw invalid(`sources.${i}.id`, `"${id}" is used by another source of this camera`);
    seen.add(id);
    const fromUrl = splitUrl(input.url, `sources.${i}.url`);
    const before = previous.find((s) => s.id === id);
    // Omitted keeps what is stored, null clears, a string replaces; credentials in the URL count as given.
    const pick = (given: string | null | undefined, inUrl: string | null, stored: string | null | undefined) => (given !== undefined ? given : (inUrl ?? stored ?? null));
    // Facts probed from this URL stay true while the URL does; another URL is probed anew.
    const probe = before?.probe && before.url === fromUrl.url ? before.probe : null;
    return {
      id,
      role: input.role,
      label: input.label ?? '',
      url: fromUrl.url,
      username: pick(input.username, fromUrl.username, before?.username),
      password: pick(input.password, fromUrl.password, before?.password),
      publish: input.publish,
      ...(fingerprints[i] === undefined ? {} : { tls_fingerprint: fingerprints[i] }),
      probe,
      snapshot_url: input.snapshot_url !== undefined ? input.snapshot_url : (before?.snapshot_url ?? null),
      onvif_profile: input.onvif_profile !== undefined ? input.onvif_profile : (before?.onvif_profile ?? null),
    };
  });
}

interface CameraServiceOptions {
  /** Told of each camera a create or replace stored (the source probes, src/control/probe.ts); must not throw. */
  onSaved?: (camera: PublicCamera) => void;
}

export function createCameraService(store: SettingsStore, { onSaved }: CameraServiceOptions = {}) {
  const saved = (camera: PublicCamera) => {
    onSaved?.(camera);
    return camera;
  };
  return {
    list: (): PublicCamera[] => store.get().cameras.map(publicCamera),
    get: (id: string): PublicCamera => publicCamera(findCamera(store.get(), id)),

    async create(input: CameraInput): Promise<PublicCamera> {
      const fingerprints = await trustedFingerprints(input.sources, []);
      const { value } = await commit(store, (draft) => {
        const ids = new Set(draft.cameras.map((c) => c.id));
        if (input.id !== undefined && ids.has(input.id)) {
          throw new ApiError(409, 'already_exists', `camera "${input.id}" already exists`, 'id');
        }
        const camera: StoredCamera = { id: input.id ?? uniqueId(slugify(input.name, 'camera'), ids), name: input.name, sources: toStoredSources(input.sources, [], fingerprints) };
        draft.cameras.push(camera);
        return camera;
      });
      return saved(publicCamera(value));
    },

    async replace(id: string, input: CameraInput): Promise<PublicCamera> {
      if (input.id !== undefined && input.id !== id) throw invalid('id', `must match the camera in the path ("${id}")`);
      // Before the commit: it reaches the cameras, and a commit holds no network wait.
      const fingerprints = await trustedFingerprints(input.sources, store.get().cameras.find((c) => c.id === id)?.sources ?? []);
      const { value } = await commit(store, (draft) => {
        const index = draft.cameras.findIndex((c) => c.id === id);
        if (index < 0) throw notFound('camera', id);
        const camera: StoredCamera = { id, name: input.name, sources: toStoredSources(input.sources, draft.cameras[index]!.sources, fingerprints) };
        draft.cameras[index] = camera;
        return camera;
      });
      return saved(publicCamera(value));
    },

    async remove(id: string): Promise<void> {
      await commit(store, (draft) => {
        findCamera(draft, id);
        draft.cameras = draft.cameras.filter((c) => c.id !== id);
      });
    },
  };
}
export type CameraService = ReturnType<typeof createCameraService>;
