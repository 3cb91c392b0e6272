/**
 * Serving one browser request of the HLS proxy. The token must be for transport `hls`, the engine
 * path one of the planned outputs and exactly the token's. Playlists always go to MediaMTX per
 * viewer: they keep each viewer's session, hence its reader count, alive; a blocking playlist reload
 * (`_HLS_msn`, `_HLS_part`, `_HLS_skip`) goes as it came, never cached, and is answered when MediaMTX
 * answers. Segments, the init segment, parts and the preload hint's part are immutable files and come
 * from a shared cache (segment-cache.ts): the first viewer's request fetches one from MediaMTX,
 * concurrent ones wait for that fetch, later ones get the cached bytes (a single Range from them
 * too). A Range request for a segment not cached, or a segment too large for the cache, is streamed
 * through from MediaMTX as is.
 */
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Logger } from 'pino';
import type { EngineManager } from '../engine/engine.js';
import type { PlannedOutput } from '../runtime/path-plan.js';
import { ApiError } from '../shared/errors.js';
import { rewriteUpstream, type HlsSessions, type SessionScope } from './hls-sessions.js';
import { readBytes, readLimited, unlessAborted, UpstreamError, upstreamFailure } from './hls-upstream.js';
import { singleRange, type CachedSegment, type SegmentCache } from './segment-cache.js';
import type { MediaScope } from './tokens.js';

/** What a media URL names, checked by the edge. */
export interface HlsTarget {
  /** The engine path (a MediaMTX path name). */
  path: string;
  /** The file inside it, e.g. `index.m3u8`, `main_stream.m3u8`, `0a1b2c_main_seg3.ts`. */
  file: string;
}

/** The LL-HLS blocking-reload parameters of a media playlist request, validated at the edge. */
interface LlHlsParams {
  _HLS_msn?: string | undefined;
  _HLS_part?: string | undefined;
  _HLS_skip?: string | undefined;
}

/** One browser request, already parsed and validated by the route, its token verified. */
export interface HlsRequest {
  target: HlsTarget;
  /** The `media_token` (the playlists' URIs carry it on). */
  token: string;
  /** What the token, verified for transport `hls`, opens. */
  scope: MediaScope;
  /** For a media playlist: the LL-HLS parameters passed on to MediaMTX. */
  llhls?: LlHlsParams | undefined;
  range: string | null;
  signal?: AbortSignal | undefined;
  /**
   * The node response under the route (@hono/node-server's `c.env.outgoing`): a segment is then
   * piped straight into it from MediaMTX's socket, with no web stream in between, and serve()
   * answers RESPONSE_ALREADY_SENT. Without it the segment is a streamed Response body.
   */
  outgoing?: ServerResponse | undefined;
}

const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';
const SEGMENT_TYPES: Record<string, string> = { ts: 'video/mp2t', mp4: 'video/mp4', m4s: 'video/iso.segment' };
const PASSED_SEGMENT_HEADERS = ['content-length', 'content-range', 'accept-ranges'] as const;
const SEGMENT_HEADERS = { 'cache-control': 'private, no-cache', 'x-content-type-options': 'nosniff' } as const;
const LLHLS_KEYS = ['_HLS_msn', '_HLS_part', '_HLS_skip'] as const;
const segmentType = (file: string) => SEGMENT_TYPES[file.slice(file.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
const isPlaylist = (file: string) => file.endsWith('.m3u8');

const playlistResponse = (text: string) => new Response(text, { status: 200, headers: { 'content-type': PLAYLIST_TYPE, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } });

/** A cached segment, whole or one range of it; null for a Range header that is not one plain range. */
function cachedAnswer(segment: CachedSegment, range: string | null, outgoing: ServerResponse | undefined): Response | null {
  const size = segment.body.length;
  const slice = range === null ? { start: 0, end: size - 1 } : singleRange(range, size);
  if (slice === null) return null;
  const headers: Record<string, string> = { ...SEGMENT_HEADERS, 'content-type': segment.contentType, 'accept-ranges': 'bytes' };
  let status = 200;
  let body = segment.body;
  if (slice === 'unsatisfiable') {
    status = 416;
    body = Buffer.alloc(0);
    headers['content-range'] = `bytes */${size}`;
  } else if (range !== null) {
    status = 206;
    body = segment.body.subarray(slice.start, slice.end + 1);
    headers['content-range'] = `bytes ${slice.start}-${slice.end}/${size}`;
  }
  headers['content-length'] = String(body.length);
  if (outgoing) {
    outgoing.writeHead(status, headers);
    outgoing.end(body);
    return RESPONSE_ALREADY_SENT;
  }
  return new Response(status === 416 ? null : body, { status, headers });
}

export interface HlsServeOptions {
  engine: Pick<EngineManager, 'internalHttpBase' | 'status'>;
  outputs: () => readonly PlannedOutput[];
  sessions: HlsSessions;
  segments: SegmentCache;
  playlistTimeoutMs: number;
  segmentTimeoutMs: number;
  now: () => number;
  logger?: Logger | undefined;
}

export function createHlsServe(options: HlsServeOptions): (req: HlsRequest) => Promise<Response> {
  const { engine, outputs, sessions, segments, playlistTimeoutMs, segmentTimeoutMs, now } = options;
  const log = options.logger;

  function engineBase(): string {
    const base = engine.internalHttpBase('hls');
    if (base) return base;
    const state = engine.status().state;
    throw new ApiError(503, 'engine_not_running', `the streaming engine (MediaMTX) is ${state}; HLS needs it running`, null, { engine_state: state });
  }

  /** Resolves the request's output and checks the token's scope against it. */
  function authorize(target: HlsTarget, scope: MediaScope): PlannedOutput {
    const out = outputs().find((o) => o.path === target.path);
    if (!out) throw new ApiError(404, 'not_found', `no stream is published on engine path "${target.path}"`, 'path');
    if (scope.path !== out.path) throw new ApiError(403, 'token_scope', 'media_token is not valid for this path', 'media_token');
    if (scope.transmission_id !== out.transmission_id || scope.output_id !== out.output_id) {
      throw new ApiError(403, 'token_scope', 'media_token is not valid for this transmission output', 'media_token');
    }
    if (!out.output.enable_hls) throw new ApiError(404, 'hls_disabled', `HLS is turned off for output "${out.output_id}"`, 'path');
    return out;
  }

  /**
   * The whole segment for the cache, on the scope's session, bound to no viewer's request (the
   * others wait for it). Null when it is larger than the cache: each caller then streams it through.
   */
  async function fetchSegment(scope: SessionScope, file: string): Promise<CachedSegment | null> {
    const { res } = await sessions.get(scope, { file, timeoutMs: segmentTimeoutMs });
    if (res.status !== 200) throw await upstreamFailure(res, file);
    const body = await readBytes(res, segments.maxBytes, segmentTimeoutMs);
    return body && { body, contentType: res.headers.get('content-type') ?? segmentType(file) };
  }

  async function mediaPlaylist(scope: SessionScope, req: HlsRequest): Promise<Response> {
    const query = new URLSearchParams();
    for (const k of LLHLS_KEYS) {
      const value = req.llhls?.[k];
      if (value !== undefined) query.set(k, value);
    }
    const { file } = req.target;
    const { res, url } = await sessions.get(scope, { file, query, signal: req.signal, timeoutMs: playlistTimeoutMs });
    if (res.status !== 200) throw await upstreamFailure(res, file);
    return playlistResponse(rewriteUpstream(await readLimited(res), url, scope.token).text);
  }

  async function segment(scope: SessionScope, req: HlsRequest): Promise<Response> {
    const { target } = req;
    const range = req.range && /^bytes=[0-9,\s-]{1,200}$/.test(req.range) ? req.range : null;
    // Engine path + file: the same bytes for every viewer of the path, whatever its session.
    const cacheKey = `${target.path}/${target.file}`;
    const cached = segments.get(cacheKey);
    if (cached) {
      const answer = cachedAnswer(cached, range, req.outgoing);
      if (answer) return answer;
    } else if (!range) {
      const fetched = await unlessAborted(
        segments.load(cacheKey, () => fetchSegment(scope, target.file)),
        req.signal,
      );
      if (fetched) return cachedAnswer(fetched, null, req.outgoing)!;
    }
    const { res } = await sessions.get(scope, { file: target.file, headers: range ? { range } : {}, signal: req.signal, timeoutMs: segmentTimeoutMs });
    if (res.status !== 200 && res.status !== 206 && res.status !== 416) throw await upstreamFailure(res, target.file);
    // A plain header record: @hono/node-server writes it as is (no Headers object to build and walk).
    const headers: Record<string, string> = { ...SEGMENT_HEADERS, 'content-type': res.headers.get('content-type') ?? segmentType(target.file) };
    for (const h of PASSED_SEGMENT_HEADERS) {
      const value = res.headers.get(h);
      if (value !== null) headers[h] = value;
    }
    if (res.status === 416) {
      await res.discard();
      return new Response(null, { status: res.status, headers });
    }
    if (req.outgoing) {
      const outgoing = req.outgoing;
      outgoing.writeHead(res.status, headers);
      // Either side failing ends both: a client gone stops the read from MediaMTX, a MediaMTX
      // failure cuts the answer short (the client sees a truncated body, as with any proxy).
      pipeline(res.msg, outgoing, (err) => {
        if (err) log?.debug({ path: target.path, file: target.file, err: err.message }, 'HLS segment stream ended early');
      });
      return RESPONSE_ALREADY_SENT;
    }
    return new Response(res.body, { status: res.status, headers });
  }

  return async function serve(req: HlsRequest): Promise<Response> {
    const { target, token } = req;
    authorize(target, req.scope);
    const scope: SessionScope = { base: engineBase(), path: target.path, token };
    const started = now();
    try {
      if (target.file === 'index.m3u8') return playlistResponse((await sessions.open(scope, req.signal)).playlist.text);
      if (isPlaylist(target.file)) return await mediaPlaylist(scope, req);
      return await segment(scope, req);
    } catch (err) {
      if (err instanceof UpstreamError) {
        log?.warn({ path: target.path, file: target.file, upstream_status: err.upstreamStatus, code: err.apiError.code, ms: now() - started }, 'HLS upstream request failed');
        throw err.apiError;
      }
      // The browser went away while MediaMTX was still answering: nobody reads this answer.
      if (req.signal?.aborted) throw new ApiError(400, 'client_closed_request', 'the client closed the request');
      throw err;
    }
  };
}
