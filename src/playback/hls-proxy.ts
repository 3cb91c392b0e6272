/**
 * The HLS proxy: the browser's only way to MediaMTX's HLS (design principle 5).
 *
 * `GET <prefix>/api/streams/media/hls/<engine path>/<file>?media_token=...`, parsed and validated by
 * the route (src/api/routes/hls.ts), is checked and served (hls-serve.ts) from the engine's loopback
 * HLS listener (hls-upstream.ts) on a MediaMTX session the proxy holds for the viewer
 * (hls-sessions.ts); playlists are rewritten (hls-playlist.ts) so that every URI carries the token
 * and stays under the page's prefix; segments are shared between viewers (segment-cache.ts).
 *
 * MediaMTX serves Low-Latency HLS (see engine/config.ts): a blocking playlist reload (`_HLS_msn`,
 * `_HLS_part`, `_HLS_skip`) goes to MediaMTX as it came, per viewer, never cached, and is answered
 * when MediaMTX answers (it holds it until the part exists, within the playlist timeout). The init
 * segment (EXT-X-MAP), parts (EXT-X-PART) and the preload hint's part (EXT-X-PRELOAD-HINT: MediaMTX
 * holds that request until the part exists) are immutable files like segments and share their cache:
 * the first viewer's hint request is the one upstream fetch, the others wait for it.
 */
import type { Logger } from 'pino';
import type { EngineManager } from '../engine/engine.js';
import type { PlannedOutput } from '../runtime/path-plan.js';
import { createHlsProbe, type HlsProbeReport } from './hls-probe.js';
import { createHlsServe, type HlsRequest } from './hls-serve.js';
import { createHlsSessions } from './hls-sessions.js';
import { createHlsUpstream } from './hls-upstream.js';
import { createSegmentCache } from './segment-cache.js';

export type { HlsProbeReport } from './hls-probe.js';
export type { HlsRequest, HlsTarget } from './hls-serve.js';

export interface HlsProxyOptions {
  engine: Pick<EngineManager, 'internalHttpBase' | 'status'>;
  /** The planned outputs (`runtime.plan().outputs`): the only engine paths the proxy serves. */
  outputs: () => readonly PlannedOutput[];
  logger?: Logger;
  /** Upper bound for a playlist answer (MediaMTX holds the first one until a segment exists). Default 20 s. */
  playlistTimeoutMs?: number;
  /** Upper bound for a segment's response headers (the body then streams as long as it takes). Default 10 s. */
  segmentTimeoutMs?: number;
  /** Each probe stage. Default 10 s. */
  probeTimeoutMs?: number;
  /** How long an idle upstream session is reused; below MediaMTX's 30 s. Default 25 s. */
  sessionTtlMs?: number;
  /** Sessions kept at most (least recently used go first). Default 1000. */
  maxSessions?: number;
  /** Bytes of segments kept in the shared cache (a positive integer, else createHlsProxy throws). Default 32 MiB. */
  segmentCacheBytes?: number;
  /** How long a cached segment is served after its fetch. Default 60 s. */
  segmentCacheMaxAgeMs?: number;
  now?: () => number;
}

export interface HlsProxy {
  /** Answers one media request; throws ApiError (403 token scope, 404, 400, 502, 503). */
  serve(request: HlsRequest): Promise<Response>;
  /** Fetches the playlist and first segment of a transmission's HLS output, server-side. */
  probe(transmissionId: string, outputId?: string): Promise<HlsProbeReport>;
  /** Upstream sessions currently cached (diagnostics, tests). */
  sessionCount(): number;
  /** The shared segment cache's size (diagnostics, tests). */
  segmentCacheStats(): { entries: number; bytes: number; inFlight: number };
}

export function createHlsProxy(options: HlsProxyOptions): HlsProxy {
  const { engine, outputs } = options;
  const logger = options.logger?.child({ component: 'hls-proxy' });
  const playlistTimeoutMs = options.playlistTimeoutMs ?? 20_000;
  const now = options.now ?? Date.now;
  const upstream = createHlsUpstream();
  const sessions = createHlsSessions({ upstream, playlistTimeoutMs, ttlMs: options.sessionTtlMs ?? 25_000, max: options.maxSessions ?? 1000, now, logger });
  const segments = createSegmentCache({ maxBytes: options.segmentCacheBytes ?? 32 * 1024 * 1024, maxAgeMs: options.segmentCacheMaxAgeMs ?? 60_000, now });
  return {
    serve: createHlsServe({ engine, outputs, sessions, segments, playlistTimeoutMs, segmentTimeoutMs: options.segmentTimeoutMs ?? 10_000, now, logger }),
    probe: createHlsProbe({ engine, outputs, upstream, timeoutMs: options.probeTimeoutMs ?? 10_000, now }),
    sessionCount: () => sessions.size(),
    segmentCacheStats: () => segments.stats(),
  };
}
