import { Hono } from 'hono';
import { isIP } from 'node:net';
import * as v from 'valibot';
import { slugSchema } from '../../domain/ids.js';
import type { OnvifService } from '../../onvif/service.js';
import { jsonBody } from '../validate.js';

const int = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
const HOSTNAME_RE = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
/** A URL path of plain characters (no query, no fragment): it is written into the device URL as it is. */
const PATH_RE = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/;
const credential = v.pipe(v.string(), v.maxLength(256));

const discoverSchema = v.strictObject({ timeout_ms: v.optional(int(500, 15_000), 3000) });

const importSchema = v.strictObject({
  host: v.pipe(
    v.string(),
    v.trim(),
    // An IPv6 literal may come in brackets, as URLs write it.
    v.transform((s) => (s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s)),
    v.check((s) => isIP(s) !== 0 || HOSTNAME_RE.test(s), 'must be a host name or an IP address, without a scheme, port or path'),
  ),
  port: v.optional(int(1, 65_535), 80),
  device_path: v.optional(v.pipe(v.string(), v.maxLength(256), v.regex(PATH_RE, 'must be a URL path starting with "/" (no query)')), '/onvif/device_service'),
  username: v.optional(v.nullable(credential), null),
  password: v.optional(v.nullable(credential), null),
  name: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1, 'must not be empty'), v.maxLength(120))),
  id: v.optional(slugSchema),
  dry_run: v.optional(v.boolean(), false),
});

/** Mounted under /api/cameras: WS-Discovery scans (polled) and imports of a camera's ONVIF profiles. */
export function onvifRoutes(onvif: OnvifService) {
  return new Hono()
    .post('/discover', async (c) => {
      // The body is optional: an empty one takes the default time limit.
      const body = (await c.req.raw.clone().text()).trim() === '' ? v.parse(discoverSchema, {}) : await jsonBody(c, discoverSchema);
      return c.json(onvif.discover(body.timeout_ms), 202);
    })
    .get('/discover/:scan_id', (c) => c.json(onvif.scan(c.req.param('scan_id'))))
    .post('/onvif/import', async (c) => {
      const { dry_run, ...input } = await jsonBody(c, importSchema);
      return dry_run ? c.json(await onvif.preview(input), 200) : c.json(await onvif.import(input), 201);
    });
}
