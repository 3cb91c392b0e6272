/**
 * HLS of a transmission another server hosts (issue 14): the browser holds this server's media token
 * and only ever talks to this server; each request goes to the host, for the same file in the
 * output's HLS folder there, with the host's own token from the resolution. Playlists come back
 * rewritten to carry the browser's token (the host's never reaches the browser); segments stream
 * through as they arrive. An answer of the host that is not media (its JSON error) is passed on as is.
 */
import { ApiError } from '../../shared/errors.js';
import { PlaylistRewriteError, rewritePlaylist } from '../hls-playlist.js';
import type { HlsRequest } from '../hls-serve.js';
import type { PeerLinks } from './peer-links.js';

export type RemoteHlsRequest = Pick<HlsRequest, 'scope' | 'token' | 'target' | 'llhls' | 'range' | 'signal'>;

const LLHLS_KEYS = ['_HLS_msn', '_HLS_part', '_HLS_skip'] as const;
const PASSED_HEADERS = ['content-type', 'content-length', 'content-range', 'cache-control'] as const;
const MAX_PLAYLIST_BYTES = 1024 * 1024;

/** The whole body as text, refused beyond `limit` bytes (a playlist, from a peer that could send anything). */
async function boundedText(res: Response, limit: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = (res.body as ReadableStream<Uint8Array> | null)?.getReader();
  for (let r = await reader?.read(); r && !r.done; r = await reader?.read()) {
    size += r.value.byteLength;
    if (size > limit) {
      await reader?.cancel();
      throw new ApiError(502, 'host_refused', `the transmission host sent a playlist larger than ${limit} bytes`);
    }
    chunks.push(r.value);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/** Above the host's own playlist limit (20 s, src/playback/hls-proxy.ts), so the host's answer arrives first. */
const PLAYLIST_TIMEOUT_MS = 25_000;

export function createRemoteHls({ links }: { links: Pick<PeerLinks, 'resolve' | 'toHost' | 'baseOf'> }) {
  /** The host's path of the requested file: the output's HLS folder there, the host's token, the LL-HLS parameters. */
  async function hostPath(req: RemoteHlsRequest, fresh: boolean): Promise<string> {
    const { scope, target } = req;
    const resolution = await links.resolve(scope.transmission_id, fresh);
    const out = resolution.outputs.find((o) => o.output_id === scope.output_id);
    if (!out) throw new ApiError(404, 'not_found', `the transmission host does not serve output "${scope.output_id}"`, 'path');
    const hls = new URL(out.hls, 'http://host.invalid');
    const query = new URLSearchParams({ media_token: hls.searchParams.get('media_token') ?? '' });
    for (const k of LLHLS_KEYS) {
      const value = req.llhls?.[k];
      if (value !== undefined) query.set(k, value);
    }
    return `${hls.pathname.slice(0, hls.pathname.lastIndexOf('/') + 1)}${target.file}?${query.toString()}`;
  }

  async function fetchFromHost(req: RemoteHlsRequest, fresh: boolean): Promise<{ res: Response; path: string }> {
    const path = await hostPath(req, fresh);
    // The host holds a first playlist until a segment exists, and a blocking reload until its part does.
    const timeoutMs = req.target.file.endsWith('.m3u8') ? PLAYLIST_TIMEOUT_MS : undefined;
    const res = await links.toHost(req.scope.transmission_id, path, { headers: req.range ? { range: req.range } : {}, signal: req.signal, ...(timeoutMs ? { timeoutMs } : {}) });
    return { res, path };
  }

  async function serve(req: RemoteHlsRequest): Promise<Response> {
    const { scope, target, token } = req;
    if (scope.path !== target.path) throw new ApiError(403, 'token_scope', 'media_token is not valid for this path', 'media_token');
    try {
      let { res, path } = await fetchFromHost(req, false);
      // The host's token expired, or the host restarted with a new key: ask it for fresh URLs, once.
      if (res.status === 401) {
        await res.body?.cancel();
        ({ res, path } = await fetchFromHost(req, true));
      }
      const headers: Record<string, string> = { 'x-content-type-options': 'nosniff' };
      for (const h of PASSED_HEADERS) {
        const value = res.headers.get(h);
        if (value !== null) headers[h] = value;
      }
      if (res.status !== 200 || !target.file.endsWith('.m3u8')) return new Response(res.body, { status: res.status, headers });
      const upstreamUrl = `${links.baseOf(scope.transmission_id)}${path}`;
      const text = rewritePlaylist(await boundedText(res, MAX_PLAYLIST_BYTES), upstreamUrl, token).text;
      return new Response(text, {
        status: 200,
        headers: { ...headers, 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(text)) },
      });
    } catch (err) {
      // Not the rewrite's own words: they may quote a URI, and the host's URIs carry its token.
      if (err instanceof PlaylistRewriteError) throw new ApiError(502, 'host_refused', "the transmission host's playlist names something other than files of its stream folder");
      // The browser went away while the host was still answering: nobody reads this answer.
      if (req.signal?.aborted && !(err instanceof ApiError)) throw new ApiError(400, 'client_closed_request', 'the client closed the request');
      throw err;
    }
  }

  return { serve };
}
export type RemoteHls = ReturnType<typeof createRemoteHls>;
