/**
 * The HLS proxy: the browser's only way to MediaMTX's HLS (design principle 5).
 *
 * `GET <prefix>/api/streams/media/hls/<engine path>/<file>?media_token=...` is checked (token for
 * transport `hls`, the engine path one of the planned outputs and exactly the token's), then fetched
 * from the engine's loopback HLS listener. MediaMTX's cookie check (a 302 to `?cookieCheck=1` on the
 * first playlist request) and its `session` parameter are handled here, server-side: the session is
 * kept per (token, path) in a small bounded cache that expires before MediaMTX forgets it (30 s), and
 * a session MediaMTX has dropped is re-opened transparently. Playlists are rewritten (see
 * hls-playlist.ts) and always go to MediaMTX per viewer: they keep each viewer's session, hence its
 * reader count, alive. Segments come from a shared cache (segment-cache.ts): the first viewer's
 * request fetches one from MediaMTX, concurrent ones wait for that fetch, later ones get the cached
 * bytes (a single Range from them too). A Range request for a segment not cached, or a segment too
 * large for the cache, is streamed through from MediaMTX as is. Nothing of the browser's request but
 * `Range` and the LL-HLS `_HLS_*` parameters reaches MediaMTX (no cookies, no Authorization, no Origin).
 *
 * MediaMTX serves Low-Latency HLS (see engine/config.ts): a blocking playlist reload (`_HLS_msn`,
 * `_HLS_part`, `_HLS_skip`) goes to MediaMTX as it came, per viewer, never cached, and is answered
 * when MediaMTX answers (it holds it until the part exists, within the playlist timeout). The init
 * segment (EXT-X-MAP), parts (EXT-X-PART) and the preload hint's part (EXT-X-PRELOAD-HINT: MediaMTX
 * holds that request until the part exists) are immutable files like segments and share their cache:
 * the first viewer's hint request is the one upstream fetch, the others wait for it.
 */
import { hash } from 'node:crypto';
import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Logger } from 'pino';
import type { EngineManager, EngineState } from '../engine/engine.js';
import { ApiError } from '../shared/errors.js';
import type { PlannedOutput } from '../runtime/path-plan.js';
import { PlaylistRewriteError, rewritePlaylist, type HlsTarget, type RewrittenPlaylist } from './hls-playlist.js';
import { createSegmentCache, singleRange, type CachedSegment } from './segment-cache.js';
import type { MediaTokens } from './tokens.js';

export interface HlsProxyOptions {
  tokens: MediaTokens;
  engine: Pick<EngineManager, 'internalHttpBase' | 'status'>;
  /** The planned outputs (`runtime.plan().outputs`): the only engine paths the proxy serves. */
  outputs: () => readonly PlannedOutput[];
  logger?: Logger;
  fetch?: typeof fetch;
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

/** One browser request, already parsed by the route. */
export interface HlsRequest {
  target: HlsTarget;
  query: URLSearchParams;
  range: string | null;
  signal?: AbortSignal | undefined;
  /**
   * The node response under the route (@hono/node-server's `c.env.outgoing`): a segment is then
   * piped straight into it from MediaMTX's socket, with no web stream in between, and serve()
   * answers RESPONSE_ALREADY_SENT. Without it the segment is a streamed Response body.
   */
  outgoing?: ServerResponse | undefined;
}

export interface HlsProbeStage {
  ok: boolean;
  /** MediaMTX's HTTP status; null when nothing answered. */
  status: number | null;
  ms: number;
  error: string | null;
}

export interface HlsProbeReport {
  transmission_id: string;
  output_id: string;
  path: string;
  engine_state: EngineState;
  playlist: HlsProbeStage;
  segment: HlsProbeStage & { bytes: number };
}

export interface HlsProxy {
  /** Answers one media request; throws ApiError (401/403 token, 404, 400, 502, 503). */
  serve(request: HlsRequest): Promise<Response>;
  /** Fetches the playlist and first segment of a transmission's HLS output, server-side. */
  probe(transmissionId: string, outputId?: string): Promise<HlsProbeReport>;
  /** Upstream sessions currently cached (diagnostics, tests). */
  sessionCount(): number;
  /** The shared segment cache's size (diagnostics, tests). */
  segmentCacheStats(): { entries: number; bytes: number; inFlight: number };
}

interface UpstreamSession {
  /** MediaMTX's `session` query value, or null when it set the `hlsSession` cookie instead. */
  secret: string | null;
  cookie: string | null;
}

const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';
const MAX_PLAYLIST_BYTES = 1024 * 1024;
const MAX_PROBE_SEGMENT_BYTES = 64 * 1024 * 1024;
const SEGMENT_TYPES: Record<string, string> = { ts: 'video/mp2t', mp4: 'video/mp4', m4s: 'video/iso.segment' };
const PASSED_SEGMENT_HEADERS = ['content-length', 'content-range', 'accept-ranges'] as const;
const SEGMENT_HEADERS = { 'cache-control': 'private, no-cache', 'x-content-type-options': 'nosniff' } as const;
const segmentType = (file: string) => SEGMENT_TYPES[file.slice(file.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
const LLHLS_PARAMS: Record<string, RegExp> = { _HLS_msn: /^\d{1,10}$/, _HLS_part: /^\d{1,10}$/, _HLS_skip: /^(YES|v2)$/ };

/** What the proxy reads of an upstream answer (a WHATWG `Response` satisfies it). */
interface UpstreamResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body: ReadableStream<Uint8Array> | null;
}

/** A node:http answer as an {@link UpstreamResponse}; its body stream is made only when read. */
class NodeUpstreamResponse implements UpstreamResponse {
  #body: ReadableStream<Uint8Array> | null = null;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  constructor(readonly msg: IncomingMessage) {
    this.status = msg.statusCode ?? 0;
    const h = msg.headers;
    this.headers = {
      get(name: string): string | null {
        const v = h[name.toLowerCase()];
        if (v === undefined) return null;
        return Array.isArray(v) ? v.join(', ') : v;
      },
    };
  }
  get body(): ReadableStream<Uint8Array> {
    if (this.#body) return this.#body;
    const msg = this.msg;
    // A plain pull-free stream over the socket's chunks: node's own flow control (pause/resume)
    // stops reading from MediaMTX when the consumer's queue is full.
    let finished = false;
    this.#body = new ReadableStream<Uint8Array>(
      {
        start(c) {
          msg.on('data', (chunk: Buffer) => {
            if (finished) return;
            c.enqueue(chunk);
            if ((c.desiredSize ?? 0) <= 0) msg.pause();
          });
          msg.once('end', () => {
            if (finished) return;
            finished = true;
            c.close();
          });
          msg.once('error', (err) => {
            if (finished) return;
            finished = true;
            c.error(err);
          });
          msg.once('close', () => {
            if (finished) return;
            finished = true;
            c.error(new Error('MediaMTX closed the connection before the end of the answer'));
          });
        },
        pull() {
          if (msg.isPaused()) msg.resume();
        },
        cancel() {
          finished = true;
          msg.destroy();
        },
      },
      { highWaterMark: 4 },
    );
    return this.#body;
  }
}

/** An upstream answer the browser gets as an ApiError. */
class UpstreamError extends Error {
  constructor(
    readonly apiError: ApiError,
    readonly upstreamStatus: number | null,
  ) {
    super(apiError.message);
  }
}

const isPlaylist = (file: string) => file.endsWith('.m3u8');

/** A small LRU with expiry: (token, path) → MediaMTX session. */
function createSessionCache(max: number, ttlMs: number, now: () => number) {
  const map = new Map<string, UpstreamSession & { expires: number }>();
  return {
    get(key: string): UpstreamSession | null {
      const hit = map.get(key);
      if (!hit) return null;
      map.delete(key);
      if (hit.expires <= now()) return null;
      hit.expires = now() + ttlMs;
      map.set(key, hit);
      return hit;
    },
    set(key: string, s: UpstreamSession) {
      map.delete(key);
      map.set(key, { ...s, expires: now() + ttlMs });
      for (const [k, v] of map) {
        if (map.size <= max && v.expires > now()) break;
        map.delete(k);
      }
    },
    delete: (key: string) => void map.delete(key),
    size: () => {
      for (const [k, v] of map) if (v.expires <= now()) map.delete(k);
      return map.size;
    },
  };
}

/** Reads a body up to `limit` bytes, within `timeoutMs` if given; null (the rest unread) when it is larger. */
async function readBytes(res: UpstreamResponse, limit: number, timeoutMs?: number): Promise<Buffer | null> {
  const reader = res.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  let timedOut = false;
  const timer = timeoutMs === undefined ? null : setTimeout(() => {
    timedOut = true;
    void reader.cancel().catch(() => undefined);
  }, timeoutMs);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => undefined);
        return null;
      }
      chunks.push(value);
    }
  } catch (err) {
    throw new UpstreamError(new ApiError(502, 'hls_upstream_failed', `MediaMTX broke off its answer (${(err as Error).message})`), res.status);
  } finally {
    if (timer) clearTimeout(timer);
  }
  // A cancelled read ends like a finished one: only the flag tells a cut body from a whole one.
  if (timedOut) throw new UpstreamError(new ApiError(502, 'hls_upstream_timeout', `MediaMTX did not send the whole answer within ${timeoutMs} ms`), res.status);
  return Buffer.concat(chunks, size);
}

/** Reads a body up to `limit` bytes; throws when it is larger. */
async function readLimited(res: UpstreamResponse, limit: number): Promise<string> {
  const bytes = await readBytes(res, limit);
  if (!bytes) throw new UpstreamError(new ApiError(502, 'hls_upstream_failed', `MediaMTX sent a playlist larger than ${limit} bytes`), res.status);
  return bytes.toString('utf8');
}

/** `job`, or the caller's abort: the caller may give up while the job goes on for others. */
function unlessAborted<T>(job: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return job;
  return Promise.race([
    job,
    new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    }),
  ]);
}

/** MediaMTX's `{"status":"error","error":"..."}` message, if the body is one (bounded, never throws). */
async function upstreamMessage(res: UpstreamResponse): Promise<string | null> {
  try {
    const text = await readLimited(res, 16 * 1024);
    const parsed = JSON.parse(text) as { error?: unknown };
    return typeof parsed.error === 'string' ? parsed.error.slice(0, 300) : null;
  } catch {
    return null;
  }
}

export function createHlsProxy(options: HlsProxyOptions): HlsProxy {
  const { tokens, engine, outputs } = options;
  const log = options.logger?.child({ component: 'hls-proxy' });
  const fetchImpl = options.fetch ?? null;
  // Keep-alive connections to MediaMTX's loopback listener; idle ones are closed before MediaMTX would.
  const agent = fetchImpl ? null : new Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 256, timeout: 5000, scheduling: 'lifo' });
  const playlistTimeoutMs = options.playlistTimeoutMs ?? 20_000;
  const segmentTimeoutMs = options.segmentTimeoutMs ?? 10_000;
  const probeTimeoutMs = options.probeTimeoutMs ?? 10_000;
  const now = options.now ?? Date.now;
  const sessions = createSessionCache(options.maxSessions ?? 1000, options.sessionTtlMs ?? 25_000, now);
  const opening = new Map<string, Promise<{ session: UpstreamSession; playlist: RewrittenPlaylist; url: string }>>();
  const segments = createSegmentCache({ maxBytes: options.segmentCacheBytes ?? 32 * 1024 * 1024, maxAgeMs: options.segmentCacheMaxAgeMs ?? 60_000, now });

  const keyOf = (token: string, path: string) => `${hash('sha256', token, 'base64url')}\n${path}`;

  function engineBase(): string {
    const base = engine.internalHttpBase('hls');
    if (base) return base;
    const state = engine.status().state;
    throw new ApiError(503, 'engine_not_running', `the streaming engine (MediaMTX) is ${state}; HLS needs it running`, null, { engine_state: state });
  }

  function unreachable(err: unknown, timedOut: boolean, timeoutMs: number): UpstreamError {
    return new UpstreamError(
      new ApiError(502, timedOut ? 'hls_upstream_timeout' : 'hls_upstream_unreachable', timedOut ? `MediaMTX did not answer within ${timeoutMs} ms` : `MediaMTX's HLS listener could not be reached (${(err as Error).message})`),
      null,
    );
  }

  /** One GET to MediaMTX: fixed headers only, redirects handled by the caller, bounded wait for headers. */
  async function upstream(url: string, init: { headers?: Record<string, string>; signal?: AbortSignal | undefined; timeoutMs: number }): Promise<UpstreamResponse> {
    if (!fetchImpl) return nodeGet(url, init);
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new Error('timeout')), init.timeoutMs);
    const onAbort = () => ac.abort(init.signal?.reason);
    init.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await fetchImpl(url, { method: 'GET', redirect: 'manual', headers: { 'accept-encoding': 'identity', ...init.headers }, signal: ac.signal });
    } catch (err) {
      if (init.signal?.aborted) throw err;
      throw unreachable(err, ac.signal.aborted, init.timeoutMs);
    } finally {
      clearTimeout(timer);
      init.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** {@link upstream} over node:http with a keep-alive agent (far cheaper per request than fetch). */
  function nodeGet(url: string, init: { headers?: Record<string, string>; signal?: AbortSignal | undefined; timeoutMs: number }, retried = false): Promise<UpstreamResponse> {
    const signal = init.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<UpstreamResponse>((resolve, reject) => {
      let settled = false;
      let timedOut = false;
      const req = httpRequest(url, { method: 'GET', agent: agent as Agent, headers: { 'accept-encoding': 'identity', ...init.headers } });
      const done = () => {
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        if (settled) return;
        done();
        req.destroy();
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        if (settled) return;
        timedOut = true;
        req.destroy(new Error('timeout'));
      }, init.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      req.once('response', (msg) => {
        if (settled) return void msg.destroy();
        done();
        resolve(new NodeUpstreamResponse(msg));
      });
      req.once('error', (err) => {
        if (settled) return;
        done();
        // A kept-alive socket MediaMTX closed just as it was reused: try once on a fresh one.
        if (!timedOut && !retried && req.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET') {
          resolve(nodeGet(url, init, true));
          return;
        }
        reject(unreachable(err, timedOut, init.timeoutMs));
      });
      req.end();
    });
  }

  /** The ApiError for an upstream status the browser must not see as is. */
  async function failure(res: UpstreamResponse, file: string): Promise<UpstreamError> {
    const message = await upstreamMessage(res);
    const s = res.status;
    let e: ApiError;
    if (s === 404) {
      e = file === 'index.m3u8'
        ? new ApiError(404, 'hls_unavailable', `MediaMTX has no HLS stream for this path right now${message ? ` (${message})` : ''}`)
        : new ApiError(404, 'hls_file_gone', `MediaMTX no longer has ${file}`);
    } else if (s === 400) {
      e = new ApiError(400, 'hls_bad_request', `MediaMTX refused the request${message ? `: ${message}` : ''}`);
    } else if (s === 401 || s === 403) {
      e = new ApiError(502, 'hls_upstream_refused', 'MediaMTX refused the proxy (authentication error)', null, { upstream_status: s });
    } else {
      e = new ApiError(502, 'hls_upstream_failed', `MediaMTX answered HTTP ${s}${message ? `: ${message}` : ''}`, null, { upstream_status: s });
    }
    return new UpstreamError(e, s);
  }

  /**
   * Opens a MediaMTX HLS session: GET index.m3u8, follow its cookie-check 302 (same path only), and
   * read the multivariant playlist, whose URIs carry the new session.
   */
  async function openSession(base: string, path: string, token: string, signal: AbortSignal | undefined, timeoutMs: number) {
    const origin = new URL(base).origin;
    let url = `${base}/${path}/index.m3u8`;
    for (let hop = 0; ; hop++) {
      const res = await upstream(url, { signal, timeoutMs });
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel().catch(() => undefined);
        const location = res.headers.get('location');
        let next: URL | null = null;
        try {
          next = location ? new URL(location, url) : null;
        } catch {
          next = null;
        }
        if (hop >= 2 || !next || next.origin !== origin || next.pathname !== `/${path}/index.m3u8`) {
          throw new UpstreamError(new ApiError(502, 'hls_upstream_failed', 'MediaMTX redirected the playlist somewhere unexpected'), res.status);
        }
        url = next.href;
        continue;
      }
      if (res.status !== 200) throw await failure(res, 'index.m3u8');
      const text = await readLimited(res, MAX_PLAYLIST_BYTES);
      const playlist = rewrite(text, url, token);
      const cookie = /(?:^|[\s,])hlsSession=([0-9a-fA-F-]{36})/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? null;
      return { session: { secret: playlist.session, cookie }, playlist, url };
    }
  }

  function rewrite(text: string, url: string, token: string): RewrittenPlaylist {
    try {
      return rewritePlaylist(text, url, token);
    } catch (err) {
      if (err instanceof PlaylistRewriteError) throw new UpstreamError(new ApiError(502, 'hls_upstream_failed', `MediaMTX's playlist could not be proxied: ${err.message}`), 200);
      throw err;
    }
  }

  /** A fresh session for (token, path), shared by concurrent callers. */
  function establish(key: string, base: string, path: string, token: string, signal: AbortSignal | undefined, timeoutMs: number) {
    let job = opening.get(key);
    if (!job) {
      job = openSession(base, path, token, undefined, timeoutMs).then((r) => {
        sessions.set(key, r.session);
        return r;
      });
      opening.set(key, job);
      void job.finally(() => opening.delete(key)).catch(() => undefined);
    }
    return unlessAborted(job, signal);
  }

  function sessionUrl(base: string, path: string, file: string, s: UpstreamSession, extra: URLSearchParams | null): string {
    const q = new URLSearchParams();
    if (s.secret) q.set('session', s.secret);
    for (const [k, v] of extra ?? []) q.append(k, v);
    const qs = q.toString();
    return `${base}/${path}/${file}${qs ? `?${qs}` : ''}`;
  }

  /** GET a file of an established session; a session MediaMTX dropped (401) is re-opened once. */
  async function withSession(key: string, base: string, path: string, token: string, file: string, extra: URLSearchParams | null, headers: Record<string, string>, signal: AbortSignal | undefined, timeoutMs: number) {
    let session = sessions.get(key) ?? (await establish(key, base, path, token, signal, playlistTimeoutMs)).session;
    for (let attempt = 0; ; attempt++) {
      const url = sessionUrl(base, path, file, session, extra);
      const res = await upstream(url, { signal, timeoutMs, headers: { ...headers, ...(session.cookie ? { cookie: `hlsSession=${session.cookie}` } : {}) } });
      if (res.status !== 401 || attempt > 0) return { res, url };
      await res.body?.cancel().catch(() => undefined);
      sessions.delete(key);
      log?.debug({ path }, 'MediaMTX dropped the HLS session; opening a new one');
      session = (await establish(key, base, path, token, signal, playlistTimeoutMs)).session;
    }
  }

  /**
   * The whole segment for the cache, on (token, path)'s session, bound to no viewer's request (the
   * others wait for it). Null when it is larger than the cache: each caller then streams it through.
   */
  async function fetchSegment(key: string, base: string, target: HlsTarget, token: string): Promise<CachedSegment | null> {
    const { res } = await withSession(key, base, target.path, token, target.file, null, {}, undefined, segmentTimeoutMs);
    if (res.status !== 200) throw await failure(res, target.file);
    const body = await readBytes(res, segments.maxBytes, segmentTimeoutMs);
    return body && { body, contentType: res.headers.get('content-type') ?? segmentType(target.file) };
  }

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

  const playlistResponse = (text: string) =>
    new Response(text, { status: 200, headers: { 'content-type': PLAYLIST_TYPE, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } });

  /** Resolves the request's output and checks the token against it. */
  function authorize(target: HlsTarget, token: string | null): PlannedOutput {
    const scope = tokens.verify(token, { transport: 'hls' });
    const out = outputs().find((o) => o.path === target.path);
    if (!out) throw new ApiError(404, 'not_found', `no stream is published on engine path "${target.path}"`, 'path');
    if (scope.path !== out.path) throw new ApiError(403, 'token_scope', 'media_token is not valid for this path', 'media_token');
    if (scope.transmission_id !== out.transmission_id || scope.output_id !== out.output_id) {
      throw new ApiError(403, 'token_scope', 'media_token is not valid for this transmission output', 'media_token');
    }
    if (!out.output.enable_hls) throw new ApiError(404, 'hls_disabled', `HLS is turned off for output "${out.output_id}"`, 'path');
    return out;
  }

  async function serve(req: HlsRequest): Promise<Response> {
    const { target, query } = req;
    const tokenValues = query.getAll('media_token');
    if (tokenValues.length > 1) throw new ApiError(400, 'invalid_token', 'give media_token once', 'media_token');
    const token = tokenValues[0] ?? null;
    authorize(target, token);
    const base = engineBase();
    const key = keyOf(token as string, target.path);
    const started = now();
    try {
      if (target.file === 'index.m3u8') {
        // MediaMTX opens a new session for every multivariant request; it replaces the cached one.
        const { session, playlist } = await openSession(base, target.path, token as string, req.signal, playlistTimeoutMs);
        sessions.set(key, session);
        return playlistResponse(playlist.text);
      }
      if (isPlaylist(target.file)) {
        const extra = new URLSearchParams();
        for (const [k, re] of Object.entries(LLHLS_PARAMS)) {
          const v = query.get(k);
          if (v === null) continue;
          if (!re.test(v)) throw new ApiError(400, 'invalid_field', `${k}: invalid value`, k);
          extra.set(k, v);
        }
        const { res, url } = await withSession(key, base, target.path, token as string, target.file, extra, {}, req.signal, playlistTimeoutMs);
        if (res.status !== 200) throw await failure(res, target.file);
        return playlistResponse(rewrite(await readLimited(res, MAX_PLAYLIST_BYTES), url, token as string).text);
      }
      const range = req.range && /^bytes=[0-9,\s-]{1,200}$/.test(req.range) ? req.range : null;
      // Engine path + file: the same bytes for every viewer of the path, whatever its session.
      const cacheKey = `${target.path}/${target.file}`;
      const cached = segments.get(cacheKey);
      if (cached) {
        const answer = cachedAnswer(cached, range, req.outgoing);
        if (answer) return answer;
      } else if (!range) {
        const fetched = await unlessAborted(segments.load(cacheKey, () => fetchSegment(key, base, target, token as string)), req.signal);
        if (fetched) return cachedAnswer(fetched, null, req.outgoing) as Response;
      }
      const { res } = await withSession(key, base, target.path, token as string, target.file, null, range ? { range } : {}, req.signal, segmentTimeoutMs);
      if (res.status !== 200 && res.status !== 206 && res.status !== 416) throw await failure(res, target.file);
      // A plain header record: @hono/node-server writes it as is (no Headers object to build and walk).
      const headers: Record<string, string> = { ...SEGMENT_HEADERS, 'content-type': res.headers.get('content-type') ?? segmentType(target.file) };
      for (const h of PASSED_SEGMENT_HEADERS) {
        const value = res.headers.get(h);
        if (value !== null) headers[h] = value;
      }
      if (res.status === 416) {
        await res.body?.cancel().catch(() => undefined);
        return new Response(null, { status: res.status, headers });
      }
      if (req.outgoing && res instanceof NodeUpstreamResponse) {
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
    } catch (err) {
      if (err instanceof UpstreamError) {
        log?.warn({ path: target.path, file: target.file, upstream_status: err.upstreamStatus, code: err.apiError.code, ms: now() - started }, 'HLS upstream request failed');
        throw err.apiError;
      }
      // The browser went away while MediaMTX was still answering: nobody reads this answer.
      if (req.signal?.aborted) throw new ApiError(400, 'client_closed_request', 'the client closed the request');
      throw err;
    }
  }

  async function probe(transmissionId: string, outputId?: string): Promise<HlsProbeReport> {
    const mine = outputs().filter((o) => o.transmission_id === transmissionId);
    if (mine.length === 0) throw new ApiError(404, 'not_found', `transmission "${transmissionId}" does not exist, is disabled or has no enabled output`);
    let out: PlannedOutput | undefined;
    if (outputId !== undefined) {
      out = mine.find((o) => o.output_id === outputId);
      if (!out) throw new ApiError(404, 'not_found', `output "${outputId}" of transmission "${transmissionId}" does not exist or is disabled`, 'output_id');
      if (!out.output.enable_hls) throw new ApiError(404, 'hls_disabled', `HLS is turned off for output "${outputId}"`, 'output_id');
    } else {
      out = mine.find((o) => o.output.enable_hls);
      if (!out) throw new ApiError(404, 'hls_disabled', `transmission "${transmissionId}" has no output with HLS enabled`);
    }
    const report: HlsProbeReport = {
      transmission_id: transmissionId,
      output_id: out.output_id,
      path: out.path,
      engine_state: engine.status().state,
      playlist: { ok: false, status: null, ms: 0, error: null },
      segment: { ok: false, status: null, ms: 0, bytes: 0, error: null },
    };
    const base = engine.internalHttpBase('hls');
    if (!base) {
      report.playlist.error = `engine is ${report.engine_state}`;
      report.segment.error = 'not tried: no playlist';
      return report;
    }
    const describe = (err: unknown) => (err instanceof UpstreamError ? err.apiError.message : (err as Error).message);
    const statusOf = (err: unknown) => (err instanceof UpstreamError ? err.upstreamStatus : null);
    // Playlist: the multivariant playlist (a new session), then its first variant.
    let t0 = now();
    let session: UpstreamSession;
    let media: RewrittenPlaylist;
    const probeToken = 'probe';
    try {
      const opened = await openSession(base, out.path, probeToken, undefined, probeTimeoutMs);
      session = opened.session;
      media = opened.playlist;
      report.playlist.status = 200;
      if (media.multivariant) {
        const variant = media.lines[0];
        if (!variant) throw new Error('the multivariant playlist lists no variant');
        const res = await upstream(sessionUrl(base, out.path, variant, session, null), { timeoutMs: probeTimeoutMs, headers: session.cookie ? { cookie: `hlsSession=${session.cookie}` } : {} });
        report.playlist.status = res.status;
        if (res.status !== 200) throw await failure(res, variant);
        media = rewrite(await readLimited(res, MAX_PLAYLIST_BYTES), sessionUrl(base, out.path, variant, session, null), probeToken);
      }
      if (media.lines.length === 0) throw new Error('the media playlist lists no segment');
      report.playlist.ok = true;
    } catch (err) {
      report.playlist.status = statusOf(err) ?? report.playlist.status;
      report.playlist.error = describe(err);
      report.playlist.ms = now() - t0;
      report.segment.error = 'not tried: no playlist';
      return report;
    }
    report.playlist.ms = now() - t0;
    // Segment: the first one listed, read to the end and counted.
    t0 = now();
    const first = media.lines[0] as string;
    try {
      const res = await upstream(sessionUrl(base, out.path, first, session, null), { timeoutMs: probeTimeoutMs, headers: session.cookie ? { cookie: `hlsSession=${session.cookie}` } : {} });
      report.segment.status = res.status;
      if (res.status !== 200) throw await failure(res, first);
      const reader = res.body?.getReader();
      while (reader) {
        const { done, value } = await reader.read();
        if (done) break;
        report.segment.bytes += value.byteLength;
        if (report.segment.bytes > MAX_PROBE_SEGMENT_BYTES) {
          await reader.cancel().catch(() => undefined);
          break;
        }
      }
      report.segment.ok = report.segment.bytes > 0;
      if (!report.segment.ok) report.segment.error = 'the segment is empty';
    } catch (err) {
      report.segment.status = statusOf(err) ?? report.segment.status;
      report.segment.error = describe(err);
    }
    report.segment.ms = now() - t0;
    return report;
  }

  return { serve, probe, sessionCount: () => sessions.size(), segmentCacheStats: () => segments.stats() };
}
