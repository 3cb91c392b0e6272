/**
 * HLS request paths and playlist rewriting for the HLS proxy. Pure functions, no I/O.
 *
 * The browser asks for `<prefix>/api/streams/media/hls/<engine path>/<file>?media_token=...`; every
 * URI in a playlist the proxy hands back is a bare file name (relative to the playlist's own URL, so
 * it resolves under whatever prefix the page used) carrying the same `media_token` and nothing that
 * MediaMTX put there (its `session` parameter stays server-side).
 */
import { pathNameError } from '../domain/engine-path.js';
import { ApiError } from '../shared/errors.js';

/** Where the media routes live (after any ingress prefix). */
export const HLS_MEDIA_PREFIX = '/api/streams/media/hls/';

/** The only file names the proxy ever requests from MediaMTX. */
export const HLS_FILE_RE = /^[A-Za-z0-9_.-]+\.(m3u8|ts|mp4|m4s)$/;

/** What may appear, undecoded, after the prefix: engine path characters and `/`; no `%`, `\`, `:`, `?`. */
const RAW_REST_RE = /^[A-Za-z0-9_.\-/]+$/;

/** `%2e`, `%2f`, `%5c`, `%25` (double encoding), `%00` anywhere in the raw request path. */
const ENCODED_TRICK_RE = /%(2e|2f|5c|25|00)/i;
const DOT_SEGMENT_RE = /(^|\/)\.\.?(\/|$)/;

export interface HlsTarget {
  /** The engine path (a MediaMTX path name). */
  path: string;
  /** The file inside it, e.g. `index.m3u8`, `main_stream.m3u8`, `0a1b2c_main_seg3.ts`. */
  file: string;
}

const badPath = (message: string) => new ApiError(400, 'invalid_media_path', message, 'path');
const noFile = (message: string) => new ApiError(404, 'not_found', message, 'path');

/**
 * Splits what follows `/api/streams/media/hls/` (raw, not percent-decoded) into engine path and file.
 * 400 for anything that could address something else (encodings, backslashes, dot or empty
 * segments, an invalid engine path); 404 for a file name that is not an HLS playlist or segment.
 */
export function parseHlsTarget(rest: string): HlsTarget {
  if (rest === '' || !RAW_REST_RE.test(rest)) {
    throw badPath('the HLS URL may contain only letters, digits, "_", ".", "-" and "/" after /api/streams/media/hls/ (no percent-encoding, backslashes or absolute URIs)');
  }
  const segments = rest.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) throw badPath('empty, "." and ".." segments are not allowed in an HLS URL');
  const file = segments.pop() as string;
  if (segments.length === 0) throw noFile('an HLS URL is /api/streams/media/hls/<engine path>/<file>');
  if (!HLS_FILE_RE.test(file)) throw noFile(`"${file}" is not an HLS playlist or segment name`);
  const path = segments.join('/');
  const problem = pathNameError(path);
  if (problem) throw badPath(`invalid engine path: ${problem}`);
  return { path, file };
}

/**
 * The target of a raw HTTP request-target (`/prefix/api/streams/media/hls/cam/x/main/index.m3u8?...`),
 * checked before anything normalised it, and its query.
 */
export function parseHlsRequestTarget(target: string): { target: HlsTarget; query: URLSearchParams } {
  if (!target.startsWith('/') || target.startsWith('//')) throw badPath('absolute request URIs are not accepted');
  const hash = target.indexOf('#');
  const noHash = hash === -1 ? target : target.slice(0, hash);
  const q = noHash.indexOf('?');
  const rawPath = q === -1 ? noHash : noHash.slice(0, q);
  const rawQuery = q === -1 ? '' : noHash.slice(q + 1);
  if (rawPath.includes('\\') || ENCODED_TRICK_RE.test(rawPath) || DOT_SEGMENT_RE.test(rawPath) || rawPath.includes('//')) {
    throw badPath('encoded dots, slashes or backslashes, "." and ".." segments and empty segments are not allowed in an HLS URL');
  }
  const at = rawPath.indexOf(HLS_MEDIA_PREFIX);
  if (at === -1) throw noFile('not an HLS media URL');
  return { target: parseHlsTarget(rawPath.slice(at + HLS_MEDIA_PREFIX.length)), query: new URLSearchParams(rawQuery) };
}

export class PlaylistRewriteError extends Error {
  override name = 'PlaylistRewriteError';
}

export interface RewrittenPlaylist {
  text: string;
  /** MediaMTX's `session` parameter found on the playlist's URIs (kept server-side), if any. */
  session: string | null;
  /**
   * Upstream file names of the URI lines, in order (variant playlists or segments), except the
   * `#EXT-X-GAP` placeholders: Low-Latency HLS lists seven `gap.mp4` in front of a new muxer's first
   * segment, and nothing is there to fetch.
   */
  lines: string[];
  /** Upstream file names found in `URI="..."` attributes (EXT-X-MAP, EXT-X-PART, EXT-X-MEDIA, ...). */
  attributes: string[];
  /** True for a multivariant playlist (it has EXT-X-STREAM-INF). */
  multivariant: boolean;
}

/**
 * Rewrites a playlist fetched from `upstreamUrl` (MediaMTX) for the browser: every URI (URI lines
 * and every `URI="..."` attribute) must resolve to a file in the same engine-path folder on the same
 * origin; it becomes `<file>?media_token=<token>`, relative, with every upstream query parameter
 * (MediaMTX's `session`, LL-HLS `_HLS_*` echoes) dropped. Anything else (another host or path, a
 * `data:` URI, a name outside {@link HLS_FILE_RE}) throws PlaylistRewriteError: the proxy never hands
 * the browser a way around itself.
 */
export function rewritePlaylist(text: string, upstreamUrl: string, token: string): RewrittenPlaylist {
  const base = new URL(upstreamUrl);
  const folder = base.pathname.slice(0, base.pathname.lastIndexOf('/') + 1);
  const suffix = `?media_token=${encodeURIComponent(token)}`;
  let session: string | null = null;
  const lines: string[] = [];
  const attributes: string[] = [];
  let multivariant = false;
  let gap = false;

  const rewrite = (raw: string): string => {
    let u: URL;
    try {
      u = new URL(raw, base);
    } catch {
      throw new PlaylistRewriteError(`playlist URI is not a URL: ${JSON.stringify(raw.slice(0, 80))}`);
    }
    if (u.origin !== base.origin) throw new PlaylistRewriteError('playlist URI points to another origin');
    const slash = u.pathname.lastIndexOf('/');
    const name = u.pathname.slice(slash + 1);
    if (u.pathname.slice(0, slash + 1) !== folder) throw new PlaylistRewriteError('playlist URI points outside the stream folder');
    if (!HLS_FILE_RE.test(name)) throw new PlaylistRewriteError(`playlist URI names an unexpected file: ${JSON.stringify(name.slice(0, 80))}`);
    session ??= u.searchParams.get('session');
    return name;
  };

  if (!/^\uFEFF?#EXTM3U/.test(text)) throw new PlaylistRewriteError('not an M3U8 playlist (no #EXTM3U)');
  const out = text.split(/\r?\n/).map((line) => {
    const trimmed = line.trim();
    if (trimmed === '') return '';
    if (trimmed.startsWith('#')) {
      if (trimmed.startsWith('#EXT-X-STREAM-INF')) multivariant = true;
      if (trimmed === '#EXT-X-GAP') gap = true;
      return trimmed.replace(/([:,])URI="([^"]*)"/g, (_m, sep: string, uri: string) => {
        const name = rewrite(uri);
        attributes.push(name);
        return `${sep}URI="${name}${suffix}"`;
      });
    }
    const name = rewrite(trimmed);
    if (!gap) lines.push(name);
    gap = false;
    return `${name}${suffix}`;
  });
  return { text: out.join('\n'), session, lines, attributes, multivariant };
}
