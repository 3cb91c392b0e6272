/**
 * The HLS proxy's shared segment cache. MediaMTX's segments, parts and init segments are immutable
 * once they exist (gohlslib names each one uniquely per muxer), so the first viewer's fetch of `<engine path>/<segment>` can
 * serve every other viewer of that path: one upstream request per segment instead of one per viewer.
 * Keys are engine path + file name only (the MediaMTX session is per viewer, the bytes are not).
 * Bounded in bytes (least recently used go first) and in age (counted from the fetch: a segment
 * drops out of the playlist after a few seconds and is not asked for again).
 */

export interface CachedSegment {
  body: Buffer;
  contentType: string;
}

export interface SegmentCacheOptions {
  maxBytes: number;
  maxAgeMs: number;
  now?: () => number;
}

export interface SegmentCache {
  readonly maxBytes: number;
  /** The cached segment, if fresh. */
  get(key: string): CachedSegment | null;
  /**
   * Single flight: the one `fetch` under way for `key` is shared by every concurrent caller. Its
   * segment is cached; null (not cacheable) and errors are handed to the callers, never kept.
   */
  load(key: string, fetch: () => Promise<CachedSegment | null>): Promise<CachedSegment | null>;
  stats(): { entries: number; bytes: number; inFlight: number };
}

const positiveInteger = (name: string, value: number) => {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
};

export function createSegmentCache(options: SegmentCacheOptions): SegmentCache {
  const { maxBytes, maxAgeMs } = options;
  positiveInteger('segment cache size (bytes)', maxBytes);
  positiveInteger('segment cache age (ms)', maxAgeMs);
  const now = options.now ?? Date.now;
  // Map order is the LRU order: a hit moves its entry to the end.
  const entries = new Map<string, { segment: CachedSegment; expires: number }>();
  const flights = new Map<string, Promise<CachedSegment | null>>();
  let bytes = 0;

  const drop = (key: string, size: number) => {
    entries.delete(key);
    bytes -= size;
  };

  function get(key: string): CachedSegment | null {
    const hit = entries.get(key);
    if (!hit) return null;
    entries.delete(key);
    if (hit.expires <= now()) {
      bytes -= hit.segment.body.length;
      return null;
    }
    entries.set(key, hit);
    return hit.segment;
  }

  function put(key: string, segment: CachedSegment) {
    const size = segment.body.length;
    if (size > maxBytes) return;
    const old = entries.get(key);
    if (old) drop(key, old.segment.body.length);
    const t = now();
    entries.set(key, { segment, expires: t + maxAgeMs });
    bytes += size;
    // Expiry is not in LRU order, so look at every entry (a few hundred at most, once per new segment).
    for (const [k, e] of entries) if (e.expires <= t) drop(k, e.segment.body.length);
    for (const [k, e] of entries) {
      if (bytes <= maxBytes) break;
      drop(k, e.segment.body.length);
    }
  }

  function load(key: string, fetch: () => Promise<CachedSegment | null>): Promise<CachedSegment | null> {
    let flight = flights.get(key);
    if (flight) return flight;
    flight = fetch().then((segment) => {
      if (segment) put(key, segment);
      return segment;
    });
    flights.set(key, flight);
    void flight.finally(() => flights.delete(key)).catch(() => undefined);
    return flight;
  }

  return { maxBytes, get, load, stats: () => ({ entries: entries.size, bytes, inFlight: flights.size }) };
}

/**
 * One `bytes=` range (RFC 9110) of a body of `size` bytes: 'unsatisfiable' for a 416, null when
 * the header is not one plain range (the caller passes such a request on to MediaMTX).
 */
export function singleRange(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}
