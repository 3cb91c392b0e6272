import type { Logger } from 'pino';
import type { PublicCamera, StoredSource } from '../domain/camera.js';
import type { SettingsDoc } from '../domain/settings.js';
import type { SourceProbe } from '../domain/source-facts.js';
import { ApiError, notFound } from '../shared/errors.js';
import type { SettingsStore } from '../store/settings-store.js';
import { findCamera } from './cameras.js';
import { commit } from './commit.js';

export interface ProbeServiceOptions {
  store: SettingsStore;
  /** One read of the source (ffprobe, src/runtime/probe-reader.ts); a camera's failure comes back as `error`, not as a throw. */
  read: (cameraId: string, source: StoredSource) => Promise<SourceProbe>;
  /** Probe the sources a save left without facts (added, or given another URL), in the background. */
  auto: boolean;
  logger: Logger;
}

export interface ProbeAnswer {
  camera_id: string;
  source_id: string;
  probe: SourceProbe;
}

function findSource(doc: SettingsDoc, cameraId: string, sourceId: string): StoredSource {
  const source = findCamera(doc, cameraId).sources.find((s) => s.id === sourceId);
  if (!source) throw notFound('source', sourceId);
  return source;
}

/** What a probe read: facts found with other credentials or at another URL are not this source's. */
const sameTarget = (a: StoredSource, b: StoredSource) => a.url === b.url && a.username === b.username && a.password === b.password;

/**
 * Probes camera sources and stores what was found on the source, through the same commit as every
 * other write, and only while the source still reads what was probed. Probes of one source as it
 * stands share one run; a camera's sources saved together are probed one after another (a cheap
 * camera accepts one or two connections).
 */
export function createProbeService({ store, read, auto, logger }: ProbeServiceOptions) {
  const running = new Map<string, Promise<ProbeAnswer>>();
  const log = logger.child({ component: 'probe' });

  async function probeAndStore(cameraId: string, probed: StoredSource): Promise<ProbeAnswer> {
    const probe = await read(cameraId, probed);
    await commit(store, (draft) => {
      const source = findSource(draft, cameraId, probed.id);
      if (!sameTarget(source, probed)) throw new ApiError(409, 'source_changed', `source "${probed.id}" was edited while it was probed; probe it again`, 'url');
      source.probe = probe;
    });
    log.info({ camera_id: cameraId, source_id: probed.id, via: probe.via, error: probe.error, video: probe.video?.codec ?? null, audio: probe.audio?.codec ?? null }, 'source probed');
    return { camera_id: cameraId, source_id: probed.id, probe };
  }

  async function probeSource(cameraId: string, sourceId: string): Promise<ProbeAnswer> {
    const source = findSource(store.get(), cameraId, sourceId);
    // Held in memory only, as the store holds the credentials anyway.
    const key = JSON.stringify([cameraId, sourceId, source.url, source.username, source.password]);
    let pending = running.get(key);
    if (!pending) {
      pending = probeAndStore(cameraId, source).finally(() => running.delete(key));
      running.set(key, pending);
    }
    return pending;
  }

  /** Probes these sources in the background, one after another (cheap cameras accept few connections). */
  function inBackground(sources: readonly { camera_id: string; source_id: string }[]): void {
    void (async () => {
      for (const { camera_id, source_id } of sources) {
        await probeSource(camera_id, source_id).catch((err: unknown) => {
          // Edited or removed meanwhile: the save that did it probes anew.
          if (err instanceof ApiError && (err.status === 404 || err.status === 409)) log.debug({ camera_id, source_id, code: err.code }, 'background probe dropped');
          else log.warn({ camera_id, source_id, err }, 'background probe failed');
        });
      }
    })();
  }

  return {
    probeSource,
    /** After a camera was saved: its sources with no facts are probed in the background, when `auto` is on. */
    saved(camera: PublicCamera): void {
      if (auto) inBackground(camera.sources.filter((s) => s.probe === null).map((s) => ({ camera_id: camera.id, source_id: s.id })));
    },
    /**
     * At start-up, when `auto` is on: the sources saved without facts (by a version that did not probe)
     * are probed once, so an H.265 camera gets its H.264 version without an edit.
     */
    unprobed(): void {
      if (auto) inBackground(store.get().cameras.flatMap((c) => c.sources.filter((s) => !s.probe).map((s) => ({ camera_id: c.id, source_id: s.id }))));
    },
  };
}
export type ProbeService = ReturnType<typeof createProbeService>;
