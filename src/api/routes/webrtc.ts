import { Hono } from 'hono';
import * as v from 'valibot';
import { ApiError } from '../../shared/errors.js';
import { CONTEXTS } from '../../playback/plan.js';
import { offerBodySchema, type WebrtcOffers } from '../../playback/webrtc.js';
import { parseWith } from '../../shared/schema.js';
import { jsonBody } from '../validate.js';

const offerQuerySchema = v.object({
  output_id: v.optional(v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be an output id (a-z, 0-9, "_" or "-")'))),
  context: v.optional(v.picklist(CONTEXTS)),
});

/**
 * `POST /transmissions/{id}/webrtc/offer`, mounted under /api/streams. The answer's format follows
 * the request's: a JSON body gets JSON `{type, sdp, location, output_id, path}` (200); a raw
 * `application/sdp` body (WHEP style, `?output_id=` in the query) gets the answer SDP itself (201,
 * `application/sdp`). Any other content type: 415.
 */
export function webrtcRoutes(offers: WebrtcOffers) {
  return new Hono().post('/transmissions/:id/webrtc/offer', async (c) => {
    const id = c.req.param('id');
    const query = parseWith(offerQuerySchema, c.req.query());
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === 'application/sdp') {
      const answer = await offers.offer(id, { sdp: await c.req.text(), output_id: query.output_id, context: query.context });
      c.header('cache-control', 'no-store');
      return c.body(answer.sdp, 201, { 'content-type': 'application/sdp' });
    }
    if (type !== 'application/json' && type !== '') {
      throw new ApiError(415, 'unsupported_media_type', 'send the offer as application/json {"sdp": ...} or as application/sdp', 'content-type');
    }
    const body = await jsonBody(c, offerBodySchema);
    if (body.output_id !== undefined && query.output_id !== undefined && body.output_id !== query.output_id) {
      throw new ApiError(422, 'invalid_field', 'output_id: the body and the query name different outputs', 'output_id');
    }
    const answer = await offers.offer(id, { sdp: body.sdp, output_id: body.output_id ?? query.output_id, context: body.context ?? query.context });
    c.header('cache-control', 'no-store');
    return c.json(answer, 200);
  });
}
