import type { StoredCamera } from '../domain/camera.js';
import type { SettingsDoc } from '../domain/settings.js';
import type { Output, Transmission } from '../domain/transmission.js';
import { BROWSER_AUDIO_CODECS } from '../domain/source-facts.js';
import { isWellFormed } from '../domain/unicode.js';

/** The subset of MediaMTX's PathConf the server sets. */
interface PlannedPathConf {
  source: string;
  sourceOnDemand?: boolean;
  rtspTransport?: 'tcp' | 'udp' | 'automatic';
  sourceFingerprint?: string;
  runOnDemand?: string;
  runOnDemandStartTimeout?: string;
  runOnDemandCloseAfter?: string;
}

/**
 * How an RTSP reader starts a publisher path's publisher (src/runtime/on-demand.ts): the notifier
 * command MediaMTX runs, how long MediaMTX holds the reader for the publisher, and how long after
 * the last reader it stops the notifier (releasing the demand it holds).
 */
export interface OnDemandHook {
  command: string;
  startTimeout: string;
  closeAfter: string;
}

/**
 * How an output's engine path gets its video:
 * - `camera_pull`: the engine pulls the camera itself, on demand (copy);
 * - `alias`: the engine re-reads another of its own paths, on demand (a second copy of a camera);
 * - `transcode`: an FFmpeg publisher reads the camera's engine path and publishes another size/rate/codec, only with demand;
 * - `writers`: an FFmpeg publisher encodes the frames writers push (or the placeholder), only with demand.
 */
type OutputFeed =
  | { kind: 'camera_pull'; camera_id: string; source_id: string }
  | { kind: 'alias'; from: string }
  /** `copyAudio`: the camera's last probe found AAC or Opus sound, which the transcode copies along. */
  | { kind: 'transcode'; from: string; copyAudio: boolean }
  | { kind: 'writers' };

export interface PlannedOutput {
  transmission_id: string;
  output_id: string;
  path: string;
  feed: OutputFeed;
  output: Output;
  /**
   * A transcode beside a copy of the same camera (an H.264 twin of an H.265 camera, a smaller size):
   * only demand that names this output starts it, never a viewer of the whole transmission who may be
   * playing the copy.
   */
  onRequest: boolean;
}

/** The one place a camera source is read from. */
export interface CameraSourceRead {
  camera_id: string;
  source_id: string;
  /** Engine path that pulls the camera (the only connection to it while the engine runs). */
  path: string;
  /** The camera's URL with its credentials: only for the engine's path config or a direct read. */
  url: string;
  transmission_ids: string[];
}

/** A camera source that cannot be read (its transmissions get no outputs); `problem` never holds a secret. */
interface UnusableSource {
  camera_id: string;
  source_id: string;
  problem: string;
  transmission_ids: string[];
}

export interface EnginePlan {
  paths: Map<string, PlannedPathConf>;
  outputs: PlannedOutput[];
  sources: CameraSourceRead[];
  unusable: UnusableSource[];
}

/** A camera source's own engine path when none of its outputs is a plain copy. */
const cameraSourcePath = (cameraId: string, sourceId: string) => `cam/${cameraId}/${sourceId}/src`;

/**
 * `rtsp://host/x` + credentials, escaped; the engine and a direct reader need them in the URL. Never
 * throws: a credential with no UTF-8 spelling (a lone surrogate an older version stored) is a
 * problem to report, and one source must not stop the others from being planned.
 */
export function cameraUrlWithCredentials(source: StoredCamera['sources'][number]): { url: string } | { problem: string } {
  for (const field of ['username', 'password'] as const) {
    const value = source[field];
    if (value !== null && !isWellFormed(value)) return { problem: `${field} is not well-formed Unicode (a lone UTF-16 surrogate); set it again` };
  }
  if (!source.username && !source.password) return { url: source.url };
  // MediaMTX v1.20.1 refuses a source URL with one and not the other (conf.validateURL): "username
  // and password must be both provided". A camera with an empty password cannot be pulled by it.
  if (!source.password) return { problem: 'has a username but no password; the engine (MediaMTX) needs both: set the password, or clear the username' };
  if (!source.username) return { problem: 'has a password but no username; the engine (MediaMTX) needs both: set the username, or clear the password' };
  try {
    const u = new URL(source.url);
    u.username = encodeURIComponent(source.username);
    u.password = encodeURIComponent(source.password);
    return { url: u.toString() };
  } catch {
    return { problem: 'its url cannot carry credentials' };
  }
}

const isCopy = (o: Output) => o.codec === 'copy';

/**
 * How the engine pulls a camera: on demand; RTSP over TCP (interleaved, through NATs and firewalls);
 * a TLS source trusting the certificate the user accepted (MediaMTX otherwise checks it against the
 * system CAs, which a camera's self-signed one never passes).
 */
function cameraPathConf(url: string, fingerprint: string | null | undefined): PlannedPathConf {
  const conf: PlannedPathConf = { source: url, sourceOnDemand: true };
  if (/^rtsps?(\+(http|ws))?:/.test(url)) conf.rtspTransport = 'tcp';
  if (fingerprint) conf.sourceFingerprint = fingerprint;
  return conf;
}

/**
 * Which engine paths exist and how each is fed. Principle: at most one connection to each
 * camera source, so every reader of a camera goes through one engine path that pulls it on
 * demand; the first enabled copy output of that source is that path, otherwise a hidden
 * `.../src` path is. Pure: settings and the engine's RTSP port in, the plan out.
 */
export function planEngine(doc: Pick<SettingsDoc, 'cameras' | 'transmissions'>, rtspPort: number, onDemand: OnDemandHook | null = null): EnginePlan {
  const cameras = new Map(doc.cameras.map((c) => [c.id, c]));
  const live = doc.transmissions.filter((t) => t.enabled);
  const keyOf = (t: Transmission) => {
    if (t.input !== 'camera_source' || !t.camera_id) return null;
    const source = cameras.get(t.camera_id)?.sources.find((s) => s.id === t.camera_source_id);
    return source ? { key: `${t.camera_id}/${source.id}`, camera_id: t.camera_id, source } : null;
  };

  // Each camera source is pulled by one engine path: its first enabled copy output (generated
  // transmissions first, so the camera's own stream stays the puller whatever manual ones come
  // and go), else a hidden one.
  const firstCopy = new Map<string, string>();
  for (const t of [...live.filter((x) => x.metadata), ...live.filter((x) => !x.metadata)]) {
    const k = keyOf(t);
    const copy = t.outputs.find((o) => o.enabled && isCopy(o));
    if (k && copy && !firstCopy.has(k.key)) firstCopy.set(k.key, copy.engine_path);
  }
  const sources = new Map<string, CameraSourceRead>();
  const unusable = new Map<string, UnusableSource>();
  const paths = new Map<string, PlannedPathConf>();
  for (const t of live) {
    const k = keyOf(t);
    if (!k) continue;
    let read = sources.get(k.key) ?? unusable.get(k.key);
    if (!read) {
      const built = cameraUrlWithCredentials(k.source);
      if ('problem' in built) {
        read = { camera_id: k.camera_id, source_id: k.source.id, problem: built.problem, transmission_ids: [] };
        unusable.set(k.key, read);
      } else {
        const path = firstCopy.get(k.key) ?? cameraSourcePath(k.camera_id, k.source.id);
        read = { camera_id: k.camera_id, source_id: k.source.id, path, url: built.url, transmission_ids: [] };
        sources.set(k.key, read);
        paths.set(path, cameraPathConf(built.url, k.source.tls_fingerprint));
      }
    }
    read.transmission_ids.push(t.id);
  }

  const outputs: PlannedOutput[] = [];
  for (const t of live) {
    const k = keyOf(t);
    const read = k ? sources.get(k.key) : undefined;
    if (t.input === 'camera_source' && !read) continue; // its camera or source is gone or unusable: nothing to play
    const hasCopy = t.outputs.some((o) => o.enabled && isCopy(o));
    for (const output of t.outputs) {
      if (!output.enabled) continue;
      const feed: OutputFeed = !read
        ? { kind: 'writers' }
        : output.engine_path === read.path
          ? { kind: 'camera_pull', camera_id: read.camera_id, source_id: read.source_id }
          : isCopy(output)
            ? { kind: 'alias', from: read.path }
            : { kind: 'transcode', from: read.path, copyAudio: k !== null && (BROWSER_AUDIO_CODECS as readonly string[]).includes(k.source.probe?.audio?.codec ?? '') };
      // Over TCP: on loopback nothing is gained by UDP, and TCP skips the UDP attempt and its port pair.
      if (feed.kind === 'alias') paths.set(output.engine_path, { source: `rtsp://127.0.0.1:${rtspPort}/${feed.from}`, sourceOnDemand: true, rtspTransport: 'tcp' });
      else if (feed.kind !== 'camera_pull') {
        // An RTSP reader (Home Assistant, VLC) of a path with no publisher yet starts it through the hook.
        const hook = onDemand ? { runOnDemand: onDemand.command, runOnDemandStartTimeout: onDemand.startTimeout, runOnDemandCloseAfter: onDemand.closeAfter } : {};
        paths.set(output.engine_path, { source: 'publisher', ...hook });
      }
      outputs.push({ transmission_id: t.id, output_id: output.id, path: output.engine_path, feed, output, onRequest: feed.kind === 'transcode' && hasCopy });
    }
  }
  return { paths, outputs, sources: [...sources.values()], unusable: [...unusable.values()] };
}
