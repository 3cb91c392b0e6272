/**
 * Playlist rewriting for the HLS proxy. A pure function, no I/O.
 *
 * The browser asks for `<prefix>/api/streams/media/hls/<engine path>/<file>?media_token=...`; every
 * URI in a playlist the proxy hands back is a bare file name (relative to the playlist's own URL, so
 * it resolves under whatever prefix the page used) carrying the same `media_token` and nothing that
 * MediaMTX put there (its `session` parameter stays server-side).
 */

/** The only file names the proxy ever requests from MediaMTX. */
export const HLS_FILE_RE = /^[A-Za-z0-9_.-]+\.(m3u8|ts|mp4|m4s)$/;

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
