import { Hono, type Context } from 'hono';
import { parseStillQuery, type Still, type StillService } from '../../playback/still.js';

/**
 * The still image as an HTTP response: `image/jpeg`, never cached by clients (`no-store`: the
 * server has its own short cache), `x-still-source: frame|grab|placeholder`, `x-frame-age-ms` (age
 * of the picture now; absent for a placeholder) and, for a placeholder, `x-still-reason`.
 * Shared with the token-checked variant for Home Assistant.
 */
export function stillResponse(c: Context, still: Still, ageMs: number | null): Response {
  c.header('content-type', 'image/jpeg');
  c.header('cache-control', 'no-store');
  c.header('x-still-source', still.source);
  if (ageMs !== null) c.header('x-frame-age-ms', String(Math.max(0, Math.round(ageMs))));
  if (still.reason !== null) c.header('x-still-reason', still.reason);
  c.header('x-still-cache', still.cached ? 'hit' : 'miss');
  // A copy into a plain ArrayBuffer (what Hono takes); a still is small.
  return c.body(new Uint8Array(still.jpeg));
}

/** `GET /transmissions/{id}/still.jpg?width=&height=&output_id=`, mounted under /api/streams (no media token: a regular API route). */
export function stillRoutes(still: StillService) {
  return new Hono().get('/transmissions/:id/still.jpg', async (c) => {
    const req = parseStillQuery(c.req.query());
    const s = await still.get(c.req.param('id'), req);
    return stillResponse(c, s, still.ageMs(s));
  });
}
