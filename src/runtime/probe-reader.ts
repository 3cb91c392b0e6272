import { join } from 'node:path';
import type { StoredSource } from '../domain/camera.js';
import type { SourceProbe } from '../domain/source-facts.js';
import type { Supervisor } from '../process/types.js';
import { ffprobeArgs, parseFfprobe, probeError, probeFfconcat, PROBE_SOCKET_TIMEOUT_MS } from './ffprobe.js';
import { cameraUrlWithCredentials, type EnginePlan } from './path-plan.js';
import { createSecretInputs } from './secret-input.js';

/**
 * Where a probe reading the camera itself finds the camera's URL. Its own directory: a secret-input
 * directory is emptied by its first user, and the frame decoders' files must outlive a probe.
 */
export const probeInputDir = (dataDir: string) => join(dataDir, 'runtime', 'streaming', 'probe-inputs');

/** Where one probe reads: the engine's path that pulls this source, or the camera itself. */
export type ProbeRoute = { via: 'engine'; path: string } | { via: 'camera' };

/**
 * Through the engine when it runs and pulls this source (it then holds the one connection to the
 * camera, and its loopback URL carries no secret); else straight at the camera (a source that is
 * not published has no engine path).
 */
export function probeRoute(plan: Pick<EnginePlan, 'sources'>, engineRunning: boolean, cameraId: string, sourceId: string): ProbeRoute {
  const read = engineRunning ? plan.sources.find((s) => s.camera_id === cameraId && s.source_id === sourceId) : undefined;
  return read ? { via: 'engine', path: read.path } : { via: 'camera' };
}

export interface ProbeReaderOptions {
  supervisor: Pick<Supervisor, 'run'>;
  ffprobePath: string;
  /** `probeInputDir(dataDir)`. */
  secretDir: string;
  engine: { running(): boolean; internalRtspUrl(path: string): string };
  plan: () => Pick<EnginePlan, 'sources'>;
  /** Resolves once the engine has the paths of the current settings (a source just added has none before). */
  synced: () => Promise<void>;
  /** The whole run's limit; past it ffprobe is killed and the camera reported silent. Default 20 s. */
  timeoutMs?: number;
  now?: () => number;
}

/** One ffprobe of a camera source, run through the process layer; a camera's failure is a probe with `error`, never a throw. */
export function createProbeReader({ supervisor, ffprobePath, secretDir, engine, plan, synced, timeoutMs = 20_000, now = Date.now }: ProbeReaderOptions) {
  if (!(timeoutMs > PROBE_SOCKET_TIMEOUT_MS)) throw new Error(`probe reader: timeoutMs must be above the socket timeout (${PROBE_SOCKET_TIMEOUT_MS} ms)`);
  const secrets = createSecretInputs(secretDir);

  async function run(name: string, args: string[], via: SourceProbe['via'], redact: string[]) {
    const r = await supervisor.run({ name, command: ffprobePath, args, timeoutMs, maxStdoutBytes: 1024 * 1024, secrets: redact });
    if (r.exit.kind === 'expected') return parseFfprobe(r.stdout.toString('utf8'));
    return { error: probeError(r.stderrTail, r.exit.kind === 'forced', via), video: null, audio: null };
  }

  return {
    async read(cameraId: string, source: StoredSource): Promise<SourceProbe> {
      if (engine.running()) await synced();
      const route = probeRoute(plan(), engine.running(), cameraId, source.id);
      const name = `probe:${cameraId}/${source.id}`;
      const stamp = (facts: Pick<SourceProbe, 'error' | 'video' | 'audio'>): SourceProbe => ({ probed_at: new Date(now()).toISOString(), url: source.url, via: route.via, ...facts });
      if (route.via === 'engine') return stamp(await run(name, ffprobeArgs({ url: engine.internalRtspUrl(route.path) }), 'engine', []));
      const built = cameraUrlWithCredentials(source);
      if ('problem' in built) return stamp({ error: `this source ${built.problem}`, video: null, audio: null });
      const file = await secrets.write(probeFfconcat(built.url), '.ffconcat');
      try {
        return stamp(
          await run(
            name,
            ffprobeArgs({ ffconcat: file.file }),
            'camera',
            [source.username, source.password].filter((s): s is string => !!s),
          ),
        );
      } finally {
        await file.remove();
      }
    },
  };
}
