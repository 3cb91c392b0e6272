import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';
import { createCameraService } from '../control/cameras.js';
import { createDistributedService } from '../control/distributed.js';
import type { ProbeService } from '../control/probe.js';
import { createPipelineService } from '../control/pipelines.js';
import { createPublicationService } from '../control/publications.js';
import { createSettingsService } from '../control/settings.js';
import { createTransmissionService } from '../control/transmissions.js';
import { createWizardService } from '../control/wizard.js';
import { createOnvifService, type OnvifOptions } from '../onvif/service.js';
import { ApiError } from '../shared/errors.js';
import type { SettingsStore } from '../store/settings-store.js';
import { errorResponse, onApiError } from './errors.js';
import { createRequestGuard, type RequestGuard } from './request-guard.js';
import { distributedRoutes } from './routes/distributed.js';
import { cameraRoutes } from './routes/cameras.js';
import { liveViewRoutes } from './routes/live-views.js';
import { onvifRoutes } from './routes/onvif.js';
import { pipelineRoutes } from './routes/pipelines.js';
import { publicationRoutes } from './routes/publications.js';
import { settingsRoutes } from './routes/settings.js';
import { transmissionRoutes } from './routes/transmissions.js';
import { wellFormedUrl } from './validate.js';

export interface AppOptions {
  store: SettingsStore;
  logger: Logger;
  /** Route groups of the runtime (engine, demand, playback), as [prefix, routes]. */
  mount?: readonly (readonly [string, Hono])[];
  /** Largest accepted request body. */
  maxBodyBytes?: number;
  /** Called after every successful write, so the runtime applies a change now rather than on its next tick. */
  onWrite?: () => void;
  /** Host, Origin and content-type checks; the server shares it with its WebSocket upgrades. Default: loopback names and IP literals only. */
  guard?: RequestGuard;
  /** Camera source probes (POST .../sources/{id}/probe, and the background ones after a save); without it the route is absent. */
  probes?: ProbeService;
  /** ONVIF discovery and import (under /api/cameras); without it the routes are absent. */
  onvif?: OnvifOptions;
}

export function createApp({ store, logger, mount = [], maxBodyBytes = 1024 * 1024, onWrite, guard = createRequestGuard({ allowedHosts: [] }), probes, onvif }: AppOptions): Hono {
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1024) throw new Error('createApp: maxBodyBytes must be an integer >= 1024');
  const app = new Hono();

  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    if (onWrite && c.req.method !== 'GET' && c.req.method !== 'HEAD' && c.res.status < 300) onWrite();
    // Only the path: query strings may carry media tokens.
    logger.info({ method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) }, 'request');
  });
  // Before anything reads a body: a page on another site must not get a write in (issue 10).
  app.use(guard.middleware);
  // Percent-escapes that are not UTF-8 never reach a route as text nobody sent (issue 10).
  app.use(wellFormedUrl);
  const limit = bodyLimit({
    maxSize: maxBodyBytes,
    onError: () => {
      throw new ApiError(413, 'body_too_large', `request body is larger than ${maxBodyBytes} bytes`, 'body');
    },
  });
  // GET and HEAD carry no body; skipping the check spares every media segment a request copy.
  const limitBodies: MiddlewareHandler = (c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limit(c, next));
  app.use('/api/*', limitBodies);

  const cameras = createCameraService(store, probes ? { onSaved: probes.saved } : {});
  app.route('/api/cameras', cameraRoutes(cameras, probes ?? null));
  // Imports write through the same camera service, so an imported camera is probed like one typed in.
  if (onvif) app.route('/api/cameras', onvifRoutes(createOnvifService(cameras, onvif)));
  app.route('/api/streams', publicationRoutes(createPublicationService(store)));
  app.route('/api/streams', pipelineRoutes(createPipelineService(store)));
  app.route('/api/streams', settingsRoutes(createSettingsService(store), createWizardService(store)));
  app.route('/api/streams', distributedRoutes(createDistributedService(store)));
  app.route('/api/streams/transmissions', transmissionRoutes(createTransmissionService(store)));
  app.route('/api/streams/live-views', liveViewRoutes(store));
  for (const [prefix, routes] of mount) app.route(prefix, routes);

  app.notFound((c) => errorResponse(c, new ApiError(404, 'not_found', `no route for ${c.req.method} ${c.req.path}`)));
  app.onError(onApiError(logger));
  return app;
}
