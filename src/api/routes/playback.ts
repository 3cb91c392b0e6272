import { Hono, type Context } from 'hono';
import { planQuerySchema, type PlaybackService, type RequestOrigin } from '../../playback/service.js';
import { hostOf, ingressPrefix } from '../../playback/urls.js';
import { queryWith } from '../validate.js';

const origin = (c: Context): RequestOrigin => ({ prefix: ingressPrefix(c.req.header('x-ingress-path')), host: hostOf(c.req.header('host')) });

/** Plan and URL resolution, mounted under /api/streams. */
export function playbackRoutes(playback: PlaybackService) {
  return new Hono()
    .get('/transmissions/:id/playback-plan', async (c) => c.json(await playback.plan(c.req.param('id'), queryWith(c, planQuerySchema), origin(c))))
    .get('/live-views/:id/playback-plan', async (c) => c.json(await playback.liveViewPlan(c.req.param('id'), queryWith(c, planQuerySchema), origin(c))))
    .get('/transmissions/:id/urls', (c) => c.json(playback.urls(c.req.param('id'), origin(c))))
    .get('/internal/transmissions/:id/urls', (c) => c.json(playback.internalUrls(c.req.param('id'))));
}
