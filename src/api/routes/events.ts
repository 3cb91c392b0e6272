import { Hono } from 'hono';
import * as v from 'valibot';
import type { PlaybackEvents } from '../../playback/events.js';
import { parseWith } from '../../shared/schema.js';
import { readJson } from '../validate.js';

const listQuerySchema = v.object({
  limit: v.optional(v.pipe(v.string(), v.regex(/^\d{1,4}$/, 'must be an integer from 0 to 1000'), v.transform(Number), v.maxValue(1000, 'must be an integer from 0 to 1000')), '50'),
});

/**
 * Playback events, mounted under /api/streams:
 * - `POST /runtime/playback-events`: one event or an array of at most 50 → 202 `{accepted}`; 400 when
 *   the body is not JSON, 422 naming the field otherwise (nothing kept then).
 * - `GET /runtime/playback-events?limit=`: the summary and the last `limit` events (newest first).
 */
export function playbackEventRoutes(events: PlaybackEvents) {
  return new Hono()
    .post('/runtime/playback-events', async (c) => {
      return c.json(events.record(await readJson(c, 'a JSON event or array of events')), 202);
    })
    .get('/runtime/playback-events', (c) => {
      const { limit } = parseWith(listQuerySchema, c.req.query());
      return c.json({ summary: events.summary(), recent: events.recent(limit) });
    });
}
