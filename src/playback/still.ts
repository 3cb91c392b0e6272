import type { Logger } from 'pino';
import type { SettingsDoc } from '../domain/settings.js';
import type { Output, Transmission } from '../domain/transmission.js';
import { ApiError, notFound } from '../shared/errors.js';
import type { Supervisor } from '../process/types.js';
import type { FallbackReason } from '../runtime/arbitration.js';
import type { DemandTracker } from '../runtime/demand.js';
import { jpegSize } from '../runtime/jpeg.js';
import type { EnginePlan } from '../runtime/path-plan.js';
import type { PlaceholderReason, Placeholders } from '../runtime/placeholder.js';
import type { RuntimeRegistry } from '../runtime/transmission-state.js';

/**
 * Still images of a transmission (`GET /api/streams/transmissions/{id}/still.jpg`, and later a
 * token-checked variant for Home Assistant: both call `get()`).
 *
 * Where the picture comes from, in order:
 * 1. `frame`: the transmission's selected frame in the runtime registry, when there is one (a
 *    selected frame is always fresh: arbitration never selects a stale writer). No process runs.
 * 2. `frame` after waiting: otherwise, for a camera source, demand is acquired (the runtime then
 *    starts its low-rate frame decoder through the engine, the one camera connection) and the service
 *    waits up to `waitMs` for a frame. Writers transmissions wait (without demand: writers push frames
 *    whatever the demand) only while a writer is warming up: with no writer at all nothing will come;
 *    except those `framesOnDemand` names (the demo), which are asked and waited for like a camera.
 * 3. `grab`: a camera source with the engine running and still no frame: one FFmpeg `run()` reading
 *    one frame from the engine's internal RTSP path (resized in the same run).
 * 4. `placeholder`: the explicit placeholder with its reason (`offline` for a camera that gave
 *    nothing; the registry's reason for writers).
 *
 * Size: no width/height: the picture as it is. Both: exactly that size, "contain" (scaled to fit,
 * aspect kept, black bars). One: that side, the other from the aspect ratio (even). A picture already
 * of the asked size is not re-encoded; otherwise one FFmpeg `run()` resizes it.
 *
 * Cache: per (transmission, output, size) for `streaming.still.cache_ms`, pictures only (never a
 * placeholder, which a picture arriving a moment later must replace); concurrent requests for the
 * same key share one computation (a burst of requests starts one grab, not many). Bounded entries.
 */

export const STILL_MIN_SIDE = 16;
export const STILL_MAX_SIDE = 3840;
/** Placeholder size when neither the request nor the output says one. */
const DEFAULT_STILL_SIZE = { width: 1280, height: 720 } as const;
/** A camera source gets this long to deliver its first frame before its placeholder says `offline`. */
export const CAMERA_WARMUP_MS = 10_000;

export type StillSource = 'frame' | 'grab' | 'placeholder';

export interface StillRequest {
  width?: number | undefined;
  height?: number | undefined;
  output_id?: string | undefined;
}

export interface Still {
  jpeg: Buffer;
  source: StillSource;
  /** Age of the picture when it was taken from the registry or grabbed (0 for a grab), null for a placeholder; see `ageAt`. */
  age_ms: number | null;
  /** Why a placeholder shows (null otherwise). */
  reason: PlaceholderReason | null;
  width: number;
  height: number;
  /** When it was produced (service clock): the age now is `age_ms + now - produced_at`. */
  produced_at: number;
  /** True when it came out of the cache. */
  cached: boolean;
}

interface StillCounters {
  requests: number;
  cache_hits: number;
  from_frame: number;
  waited: number;
  grabs: number;
  grab_failures: number;
  placeholders: number;
  resizes: number;
  resize_failures: number;
}

/**
 * The placeholder reason a viewer should see. Writers transmissions: the registry's own reason. A
 * camera source has exactly one "writer" (its frame decoder, started on demand): with no picture it is
 * `warming_up` until `settled` (the decoder had its chance), then `offline`.
 */
export function placeholderReasonFor(input: Transmission['input'], reason: FallbackReason | null, settled: boolean): PlaceholderReason {
  if (input === 'writers') return reason ?? 'no_writer';
  return settled ? 'offline' : 'warming_up';
}

/** FFmpeg filter for the "contain" resize of a still (pure: exported for tests). */
export function stillFilter(width: number | undefined, height: number | undefined): string {
  if (width !== undefined && height !== undefined) {
    const pix = width % 2 === 0 && height % 2 === 0 ? 'yuvj420p' : 'yuvj444p';
    return `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:color=black,format=${pix}`;
  }
  if (width !== undefined) return `scale=${width}:-2,format=${width % 2 === 0 ? 'yuvj420p' : 'yuvj444p'}`;
  if (height !== undefined) return `scale=-2:${height},format=${height % 2 === 0 ? 'yuvj420p' : 'yuvj444p'}`;
  return 'null';
}

const even = (n: number) => Math.max(STILL_MIN_SIDE, Math.round(n / 2) * 2);

/** The size a still of `source` size ends up with for a request (pure). */
export function targetSize(source: { width: number; height: number }, req: { width?: number | undefined; height?: number | undefined }): { width: number; height: number } {
  if (req.width !== undefined && req.height !== undefined) return { width: req.width, height: req.height };
  if (req.width !== undefined) return { width: req.width, height: even((req.width * source.height) / source.width) };
  if (req.height !== undefined) return { width: even((req.height * source.width) / source.height), height: req.height };
  return source;
}

function checkSide(value: unknown, field: 'width' | 'height'): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < STILL_MIN_SIDE || value > STILL_MAX_SIDE) {
    throw new ApiError(422, 'invalid_field', `${field}: must be an integer from ${STILL_MIN_SIDE} to ${STILL_MAX_SIDE}`, field);
  }
  return value;
}

export interface StillServiceOptions {
  /** The settings document (`store.get`): transmissions and `streaming.still.cache_ms`. */
  doc: () => Pick<SettingsDoc, 'transmissions' | 'streaming'>;
  registry: RuntimeRegistry;
  demand: Pick<DemandTracker, 'acquire'>;
  supervisor: Pick<Supervisor, 'run'>;
  placeholders: Placeholders;
  /** `runtime.plan`: which engine path a camera transmission's output reads. */
  plan: () => Pick<EnginePlan, 'outputs' | 'sources'>;
  engine: { running(): boolean; internalRtspUrl(path: string): string };
  /** Writers transmissions whose frames come only on demand (the demo): a still holds demand and waits for them, as for a camera. */
  framesOnDemand?: (transmissionId: string) => boolean;
  ffmpegPath?: string;
  logger: Logger;
  /** How long to wait for a frame after acquiring demand. Default 3000. */
  waitMs?: number;
  /** One grab from the engine (connect + first keyframe). Default 6000. */
  grabTimeoutMs?: number;
  /** One resize. Default 5000. */
  resizeTimeoutMs?: number;
  /** Cache entries kept at most. Default 64. */
  maxCacheEntries?: number;
  now?: () => number;
}

interface CacheEntry {
  at: number;
  settled: boolean;
  promise: Promise<Still>;
}

export function createStillService(opts: StillServiceOptions) {
  const { doc, registry, demand, supervisor, placeholders, plan, engine } = opts;
  const ffmpegPath = opts.ffmpegPath ?? 'ffmpeg';
  const waitMs = opts.waitMs ?? 3000;
  const grabTimeoutMs = opts.grabTimeoutMs ?? 6000;
  const resizeTimeoutMs = opts.resizeTimeoutMs ?? 5000;
  const maxCacheEntries = opts.maxCacheEntries ?? 64;
  const now = opts.now ?? Date.now;
  const log = opts.logger.child({ component: 'still' });
  const cache = new Map<string, CacheEntry>();
  const counters: StillCounters = { requests: 0, cache_hits: 0, from_frame: 0, waited: 0, grabs: 0, grab_failures: 0, placeholders: 0, resizes: 0, resize_failures: 0 };

  function resolve(txId: string, outputId: string | undefined): { t: Transmission; output: Output | null } {
    const t = doc().transmissions.find((x) => x.id === txId);
    if (!t) throw notFound('transmission', txId);
    if (!t.enabled) throw new ApiError(409, 'transmission_disabled', `transmission "${txId}" is disabled`, 'enabled');
    if (outputId === undefined) return { t, output: t.outputs.find((o) => o.enabled) ?? null };
    const output = t.outputs.find((o) => o.id === outputId);
    if (!output) throw new ApiError(404, 'not_found', `output "${outputId}" does not exist on transmission "${txId}"`, 'output_id');
    if (!output.enabled) throw new ApiError(409, 'output_disabled', `output "${outputId}" is disabled`, 'output_id');
    return { t, output };
  }

  /** Waits until the transmission has a selected frame, or `ms` pass. */
  function waitForFrame(txId: string, ms: number): Promise<void> {
    const state = registry.ensure(txId);
    return new Promise<void>((done) => {
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        off();
        clearTimeout(timer);
        done();
      };
      const off = state.onFrame(() => {
        if (state.frame(now()).jpeg) finish();
      });
      const timer = setTimeout(finish, ms);
      if (state.frame(now()).jpeg) finish();
    });
  }

  /** The engine path a grab for this transmission/output reads: a copy output's own, else the camera's pulling path. */
  function grabPath(txId: string, output: Output | null): string | null {
    const p = plan();
    if (output) {
      const planned = p.outputs.find((o) => o.transmission_id === txId && o.output_id === output.id);
      if (planned && (planned.feed.kind === 'camera_pull' || planned.feed.kind === 'alias')) return planned.path;
      if (planned?.feed.kind === 'transcode') return planned.feed.from;
    }
    return p.sources.find((s) => s.transmission_ids.includes(txId))?.path ?? null;
  }

  async function ffmpegJpeg(name: string, inputArgs: string[], input: Buffer | undefined, filter: string, timeoutMs: number): Promise<Buffer | null> {
    const args = ['-hide_banner', '-loglevel', 'error', ...inputArgs, '-an', '-frames:v', '1', '-vf', filter, '-q:v', '3', '-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1'];
    const r = await supervisor.run({ name, command: ffmpegPath, args, timeoutMs, maxStdoutBytes: 32 * 1024 * 1024, ...(input ? { input } : {}) });
    if (r.exit.kind !== 'expected' || !jpegSize(r.stdout)) {
      log.warn({ name, kind: r.exit.kind, code: r.exit.code, stderr: r.stderrTail.slice(-3) }, 'still ffmpeg run failed');
      return null;
    }
    return r.stdout;
  }

  async function resize(jpeg: Buffer, req: StillRequest, txId: string): Promise<Buffer> {
    const size = jpegSize(jpeg);
    if (!size || (req.width === undefined && req.height === undefined)) return jpeg;
    const target = targetSize(size, req);
    if (target.width === size.width && target.height === size.height) return jpeg;
    counters.resizes++;
    const out = await ffmpegJpeg(`still:resize:${txId}`, ['-f', 'image2pipe', '-c:v', 'mjpeg', '-i', 'pipe:0'], jpeg, stillFilter(req.width, req.height), resizeTimeoutMs);
    if (!out) {
      counters.resize_failures++;
      throw new ApiError(502, 'still_resize_failed', 'the still image could not be resized; see the add-on log');
    }
    return out;
  }

  function finish(jpeg: Buffer, source: StillSource, ageMs: number | null, reason: PlaceholderReason | null, at: number): Still {
    const size = jpegSize(jpeg) ?? { width: 0, height: 0 };
    return { jpeg, source, age_ms: ageMs, reason, width: size.width, height: size.height, produced_at: at, cached: false };
  }

  async function produce(t: Transmission, output: Output | null, req: StillRequest): Promise<Still> {
    const state = registry.ensure(t.id);
    let f = state.frame(now());
    if (!f.jpeg) {
      // Demand makes the runtime decode a camera (held while waiting and grabbing). Writers push frames
      // whatever the demand, so for them it would only start their RTSP publisher for nothing, except
      // for a source that renders only on demand.
      const camera = t.input === 'camera_source';
      const onDemand = camera || (opts.framesOnDemand?.(t.id) ?? false);
      const release = onDemand ? demand.acquire(t.id) : () => {};
      try {
        const worthWaiting = onDemand || f.reason === 'warming_up';
        if (worthWaiting) {
          counters.waited++;
          await waitForFrame(t.id, waitMs);
          f = state.frame(now());
        }
        if (!f.jpeg && camera && engine.running()) {
          const path = grabPath(t.id, output);
          if (path !== null) {
            counters.grabs++;
            // Probed (up to 2 s), unlike the live readers: a camera that sends its parameter sets in band
            // and not in the SDP has no picture size until a keyframe, and an unprobed grab then has no stream at all.
            const input = ['-nostdin', '-analyzeduration', '2000000', '-rtsp_transport', 'tcp', '-i', engine.internalRtspUrl(path)];
            const grabbed = await ffmpegJpeg(`still:grab:${path}`, input, undefined, stillFilter(req.width, req.height), grabTimeoutMs);
            if (grabbed) return finish(grabbed, 'grab', 0, null, now());
            counters.grab_failures++;
          }
        }
      } finally {
        release();
      }
    }
    if (f.jpeg) {
      counters.from_frame++;
      const at = now();
      return finish(await resize(f.jpeg, req, t.id), 'frame', f.ageMs ?? 0, null, at);
    }
    counters.placeholders++;
    const reason = placeholderReasonFor(t.input, f.reason, true);
    const base = output?.width && output.height ? { width: output.width, height: output.height } : DEFAULT_STILL_SIZE;
    const size = targetSize(base, req);
    // The placeholder renderer's own bounds (an extreme output aspect could exceed them).
    const jpeg = await placeholders.get(Math.min(Math.max(size.width, STILL_MIN_SIDE), 7680), Math.min(Math.max(size.height, STILL_MIN_SIDE), 4320), reason);
    return finish(jpeg, 'placeholder', null, reason, now());
  }

  function prune(t: number, cacheMs: number): void {
    for (const [key, e] of cache) if (e.settled && t - e.at >= cacheMs) cache.delete(key);
    while (cache.size > maxCacheEntries) {
      const oldest = cache.keys().next().value;
      if (oldest === undefined) break;
      cache.delete(oldest);
    }
  }

  return {
    counters,
    /** Entries in the cache right now (finished or in flight). */
    cacheSize: () => cache.size,
    /** The age of a still's picture now (null for a placeholder). */
    ageMs: (s: Still): number | null => (s.age_ms === null ? null : s.age_ms + Math.max(0, now() - s.produced_at)),

    /**
     * The still of a transmission at the asked size. Throws ApiError 404 (transmission or output
     * unknown), 409 (disabled), 422 (width/height out of range, naming the field).
     */
    async get(txId: string, req: StillRequest = {}): Promise<Still> {
      const width = checkSide(req.width, 'width');
      const height = checkSide(req.height, 'height');
      const { t, output } = resolve(txId, req.output_id);
      counters.requests++;
      const cacheMs = doc().streaming.still.cache_ms;
      const key = `${t.id}|${req.output_id ?? ''}|${width ?? ''}x${height ?? ''}`;
      const t0 = now();
      prune(t0, cacheMs);
      const hit = cache.get(key);
      if (hit && (!hit.settled || t0 - hit.at < cacheMs)) {
        counters.cache_hits++;
        return { ...(await hit.promise), cached: true };
      }
      const entry: CacheEntry = { at: t0, settled: false, promise: produce(t, output, { width, height }) };
      cache.set(key, entry);
      entry.promise.then(
        (still) => {
          entry.settled = true;
          entry.at = now();
          // A placeholder says "no picture yet": the next request looks again instead of being told so from the cache.
          if ((cacheMs <= 0 || still.source === 'placeholder') && cache.get(key) === entry) cache.delete(key);
        },
        () => {
          if (cache.get(key) === entry) cache.delete(key);
        },
      );
      return entry.promise;
    },
  };
}
export type StillService = ReturnType<typeof createStillService>;
