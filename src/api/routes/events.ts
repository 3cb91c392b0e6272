import { Hono } from 'hono';
import * as v from 'valibot';
import { EVENT_CLIENTS, EVENT_TRANSPORTS, PLAYBACK_EVENTS, type PlaybackEventInput, type PlaybackEvents } from '../../playback/events.js';
import { CONTEXTS } from '../../playback/plan.js';
import { ApiError } from '../../shared/errors.js';
import { issueToError, parseWith } from '../../shared/schema.js';
import { readJson } from '../validate.js';

const MAX_EVENTS_PER_REQUEST = 50;

const listQuerySchema = v.object({
  limit: v.optional(v.pipe(v.string(), v.regex(/^\d{1,4}$/, 'must be an integer from 0 to 1000'), v.transform(Number), v.maxValue(1000, 'must be an integer from 0 to 1000')), '50'),
});

const id = (max: number) => v.pipe(v.string(), v.regex(new RegExp(`^[A-Za-z0-9_.:-]{1,${max}}$`), `must be 1-${max} letters, digits, "_", ".", ":" or "-"`));

const playbackEventSchema = v.pipe(
  v.strictObject({
    transmission_id: id(128),
    output_id: v.optional(v.nullable(id(64))),
    client: v.picklist(EVENT_CLIENTS),
    context: v.optional(v.nullable(v.picklist(CONTEXTS))),
    event: v.picklist(PLAYBACK_EVENTS),
    transport: v.picklist(EVENT_TRANSPORTS),
    from_transport: v.optional(v.nullable(v.picklist(EVENT_TRANSPORTS))),
    ttff_ms: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(600_000)))),
    reason: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(500)))),
    session_id: v.optional(v.nullable(id(64))),
  }),
  v.forward(
    v.check((e) => (e.event !== 'fell_back' && e.event !== 'climbed') || (e.from_transport !== undefined && e.from_transport !== null), 'required for "fell_back" and "climbed"'),
    ['from_transport'],
  ),
);

/**
 * Validates a request body: one event object or an array of at most 50, every event before any is
 * kept (all or nothing). A bad one is a 422 whose `field` names it, e.g. `event` for a single object
 * or `[3].ttff_ms` for the fourth of an array.
 */
export function parsePlaybackEvents(body: unknown): PlaybackEventInput[] {
  const list = Array.isArray(body) ? body : [body];
  if (Array.isArray(body)) {
    if (body.length === 0) throw new ApiError(422, 'invalid_field', 'body: an array of events must not be empty', 'body');
    if (body.length > MAX_EVENTS_PER_REQUEST) throw new ApiError(422, 'invalid_field', `body: at most ${MAX_EVENTS_PER_REQUEST} events per request`, 'body');
  }
  return list.map((item, i) => {
    const prefix = Array.isArray(body) ? `[${i}]` : '';
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new ApiError(422, 'invalid_field', `${prefix || 'body'}: expected an event object`, prefix || 'body');
    }
    const r = v.safeParse(playbackEventSchema, item);
    if (!r.success) throw issueToError(r.issues[0], prefix);
    return r.output;
  });
}

/**
 * Playback events, mounted under /api/streams:
 * - `POST /runtime/playback-events`: one event or an array of at most 50 → 202 `{accepted}`; 400 when
 *   the body is not JSON, 422 naming the field otherwise (nothing kept then).
 * - `GET /runtime/playback-events?limit=`: the summary and the last `limit` events (newest first).
 */
export function playbackEventRoutes(events: PlaybackEvents) {
  return new Hono()
    .post('/runtime/playback-events', async (c) => {
      return c.json(events.record(parsePlaybackEvents(await readJson(c, 'a JSON event or array of events'))), 202);
    })
    .get('/runtime/playback-events', (c) => {
      const { limit } = parseWith(listQuerySchema, c.req.query());
      return c.json({ summary: events.summary(), recent: events.recent(limit) });
    });
}
