import { Hono, type Context } from 'hono';
import { planQuerySchema, type PlaybackService, type RequestOrigin } from '../../playback/service.js';
import { hostOf, ingressPrefix } from '../../playback/urls.js';
import { peerCaller } from '../peer-auth.js';
import { queryWith } from '../validate.js';

const origin = (c: Context): RequestOrigin => ({ prefix: ingressPrefix(c.req.header('x-ingress-path')), host: hostOf(c.req.header('host')) });

/** Plan and URL resolution, mounted under /api/streams. */
export function playbackRoutes(playback: PlaybackService, peerSecret: (id: string) => string | null) {
  return (
    new Hono()
      .get('/transmissions/:id/playback-plan', async (c) => c.json(await playback.plan(c.req.param('id'), queryWith(c, planQuerySchema), origin(c))))
      .get('/live-views/:id/playback-plan', async (c) => c.json(await playback.liveViewPlan(c.req.param('id'), queryWith(c, planQuerySchema), origin(c))))
      .get('/transmissions/:id/urls', async (c) => c.json(await playback.urls(c.req.param('id'), origin(c))))
      // A peer (its id and shared secret in the headers) also gets where it reaches the media of what this server hosts for it.
      .get('/internal/transmissions/:id/urls', async (c) => c.json(await playback.internalUrls(c.req.param('id'), { peer: peerCaller(c, peerSecret), host: origin(c).host })))
  );
}
