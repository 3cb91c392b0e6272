/**
 * HLS media URLs at the edge: `<prefix>/api/streams/media/hls/<engine path>/<file>?...`, checked
 * raw, before anything normalised it, so that no encoding, backslash or dot segment can address
 * another engine path or anything but an HLS playlist or segment.
 */
import { pathNameError } from '../domain/engine-path.js';
import { HLS_FILE_RE } from '../playback/hls-playlist.js';
import type { HlsTarget } from '../playback/hls-proxy.js';
import { ApiError } from '../shared/errors.js';

/** Where the media routes live (after any ingress prefix). */
const HLS_MEDIA_PREFIX = '/api/streams/media/hls/';

/** What may appear, undecoded, after the prefix: engine path characters and `/`; no `%`, `\`, `:`, `?`. */
const RAW_REST_RE = /^[A-Za-z0-9_.\-/]+$/;

/** `%2e`, `%2f`, `%5c`, `%25` (double encoding), `%00` anywhere in the raw request path. */
const ENCODED_TRICK_RE = /%(2e|2f|5c|25|00)/i;
const DOT_SEGMENT_RE = /(^|\/)\.\.?(\/|$)/;

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
  const file = segments.pop()!;
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
