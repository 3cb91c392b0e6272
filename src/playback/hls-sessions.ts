/**
 * MediaMTX HLS sessions, held server-side for the browser. MediaMTX answers the first playlist
 * request with a cookie check (a 302 to `?cookieCheck=1`) and then names a `session` on every URI of
 * its playlists; the proxy follows the check and keeps the session per (token, path) in a small
 * bounded cache that expires before MediaMTX forgets it (30 s). A session MediaMTX has dropped is
 * re-opened transparently, once per request; concurrent callers share one opening.
 */
import { hash } from 'node:crypto';
import type { Logger } from 'pino';
import { ApiError } from '../shared/errors.js';
import { PlaylistRewriteError, rewritePlaylist, type RewrittenPlaylist } from './hls-playlist.js';
import { readLimited, unlessAborted, UpstreamError, upstreamFailure, type HlsUpstream, type UpstreamResponse } from './hls-upstream.js';

export interface UpstreamSession {
  /** MediaMTX's `session` query value, or null when it set the `hlsSession` cookie instead. */
  secret: string | null;
  cookie: string | null;
}

/** One viewer's stream at MediaMTX: the listener's base URL, the engine path and the viewer's media token. */
export interface SessionScope {
  base: string;
  path: string;
  token: string;
}

export interface OpenedSession {
  session: UpstreamSession;
  /** The multivariant playlist, rewritten for the browser. */
  playlist: RewrittenPlaylist;
  url: string;
}

/** A file of a session at MediaMTX. */
export interface SessionFile {
  file: string;
  /** Query parameters passed on to MediaMTX (the LL-HLS `_HLS_*`). */
  query?: URLSearchParams | undefined;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
}

/** The URL and headers of `file` in `session` (its secret in the query, or its cookie). */
export function sessionRequest(scope: Omit<SessionScope, 'token'>, session: UpstreamSession, file: string, query?: URLSearchParams): { url: string; headers: Record<string, string> } {
  const q = new URLSearchParams();
  if (session.secret) q.set('session', session.secret);
  for (const [k, v] of query ?? []) q.append(k, v);
  const qs = q.toString();
  return { url: `${scope.base}/${scope.path}/${file}${qs ? `?${qs}` : ''}`, headers: session.cookie ? { cookie: `hlsSession=${session.cookie}` } : {} };
}

/** A playlist of MediaMTX rewritten for the browser; a playlist that cannot be is MediaMTX's failure. */
export function rewriteUpstream(text: string, url: string, token: string): RewrittenPlaylist {
  try {
    return rewritePlaylist(text, url, token);
  } catch (err) {
    if (err instanceof PlaylistRewriteError) throw new UpstreamError(new ApiError(502, 'hls_upstream_failed', `MediaMTX's playlist could not be proxied: ${err.message}`), 200);
    throw err;
  }
}

/**
 * Opens a MediaMTX HLS session: GET index.m3u8, follow its cookie-check 302 (same path only), and
 * read the multivariant playlist, whose URIs carry the new session.
 */
export async function openSession(upstream: HlsUpstream, scope: SessionScope, init: { signal?: AbortSignal | undefined; timeoutMs: number }): Promise<OpenedSession> {
  const { base, path, token } = scope;
  const origin = new URL(base).origin;
  let url = `${base}/${path}/index.m3u8`;
  for (let hop = 0; ; hop++) {
    const res = await upstream.get(url, init);
    if (res.status >= 300 && res.status < 400) {
      await res.discard();
      const location = res.headers.get('location');
      let next: URL | null;
      try {
        next = location ? new URL(location, url) : null;
      } catch {
        next = null;
      }
      if (hop >= 2 || next?.origin !== origin || next.pathname !== `/${path}/index.m3u8`) {
        throw new UpstreamError(new ApiError(502, 'hls_upstream_failed', 'MediaMTX redirected the playlist somewhere unexpected'), res.status);
      }
      url = next.href;
      continue;
    }
    if (res.status !== 200) throw await upstreamFailure(res, 'index.m3u8');
    const playlist = rewriteUpstream(await readLimited(res), url, token);
    const cookie = /(?:^|[\s,])hlsSession=([0-9a-fA-F-]{36})/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? null;
    return { session: { secret: playlist.session, cookie }, playlist, url };
  }
}

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

export interface HlsSessionsOptions {
  upstream: HlsUpstream;
  /** Upper bound for opening a session (its first playlist). */
  playlistTimeoutMs: number;
  /** How long an idle session is reused. */
  ttlMs: number;
  /** Sessions kept at most (least recently used go first). */
  max: number;
  now: () => number;
  logger?: Logger | undefined;
}

export function createHlsSessions(options: HlsSessionsOptions) {
  const { upstream, playlistTimeoutMs } = options;
  const cache = createSessionCache(options.max, options.ttlMs, options.now);
  const opening = new Map<string, Promise<OpenedSession>>();
  // The token only as a hash: the cache holds no usable token.
  const keyOf = (scope: SessionScope) => `${hash('sha256', scope.token, 'base64url')}\n${scope.path}`;

  /** A fresh session for the scope, shared by concurrent callers. */
  function establish(scope: SessionScope, signal: AbortSignal | undefined): Promise<OpenedSession> {
    const key = keyOf(scope);
    let job = opening.get(key);
    if (!job) {
      job = openSession(upstream, scope, { timeoutMs: playlistTimeoutMs }).then((r) => {
        cache.set(key, r.session);
        return r;
      });
      opening.set(key, job);
      void job.finally(() => opening.delete(key)).catch(() => undefined);
    }
    return unlessAborted(job, signal);
  }

  return {
    /** Opens a new session for the viewer (a multivariant request: MediaMTX opens one each time); it replaces the cached one. */
    async open(scope: SessionScope, signal: AbortSignal | undefined): Promise<OpenedSession> {
      const opened = await openSession(upstream, scope, { signal, timeoutMs: playlistTimeoutMs });
      cache.set(keyOf(scope), opened.session);
      return opened;
    },

    /** GET a file of the scope's session (opened first if needed); a session MediaMTX dropped (401) is re-opened once. */
    async get(scope: SessionScope, req: SessionFile): Promise<{ res: UpstreamResponse; url: string }> {
      const key = keyOf(scope);
      let session = cache.get(key) ?? (await establish(scope, req.signal)).session;
      for (let attempt = 0; ; attempt++) {
        const { url, headers } = sessionRequest(scope, session, req.file, req.query);
        const res = await upstream.get(url, { signal: req.signal, timeoutMs: req.timeoutMs, headers: { ...req.headers, ...headers } });
        if (res.status !== 401 || attempt > 0) return { res, url };
        await res.discard();
        cache.delete(key);
        options.logger?.debug({ path: scope.path }, 'MediaMTX dropped the HLS session; opening a new one');
        session = (await establish(scope, req.signal)).session;
      }
    },

    size: () => cache.size(),
  };
}
export type HlsSessions = ReturnType<typeof createHlsSessions>;
