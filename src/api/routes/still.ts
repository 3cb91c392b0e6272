import { Hono, type Context } from 'hono';
import * as v from 'valibot';
import { SLUG_RE } from '../../domain/ids.js';
import { STILL_MAX_SIDE, STILL_MIN_SIDE, type Still, type StillService } from '../../playback/still.js';
import { queryWith } from '../validate.js';

const SIDE_MESSAGE = `must be an integer from ${STILL_MIN_SIDE} to ${STILL_MAX_SIDE}`;
/** A side in decimal digits; empty is the same as absent. */
const side = v.optional(
  v.pipe(
    v.string(),
    v.check((raw) => raw === '' || /^\d{1,5}$/.test(raw), SIDE_MESSAGE),
    v.transform((raw) => (raw === '' ? undefined : Number(raw))),
    v.check((n) => n === undefined || (n >= STILL_MIN_SIDE && n <= STILL_MAX_SIDE), SIDE_MESSAGE),
  ),
);

/** `?width=&height=&output_id=`: 422 naming the field for anything else. */
const stillQuerySchema = v.object({
  width: side,
  height: side,
  output_id: v.optional(v.pipe(v.string(), v.regex(SLUG_RE, 'must be an output id (a-z, 0-9, "_" or "-")'))),
});

/**
 * The still image as an HTTP response: `image/jpeg`, never cached by clients (`no-store`: the
 * server has its own short cache), `x-still-source: frame|grab|placeholder`, `x-frame-age-ms` (age
 * of the picture now; absent for a placeholder) and, for a placeholder, `x-still-reason`.
 */
function stillResponse(c: Context, still: Still, ageMs: number | null): Response {
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
    const req = queryWith(c, stillQuerySchema);
    const s = await still.get(c.req.param('id'), req);
    return stillResponse(c, s, still.ageMs(s));
  });
}
