import { Hono } from 'hono';
import { cameraInputSchema } from '../../domain/camera.js';
import type { CameraService } from '../../control/cameras.js';
import type { ProbeService } from '../../control/probe.js';
import { jsonBody } from '../validate.js';

export function cameraRoutes(cameras: CameraService, probes: ProbeService | null = null) {
  const routes = new Hono()
    .get('/', (c) => c.json(cameras.list()))
    .post('/', async (c) => c.json(await cameras.create(await jsonBody(c, cameraInputSchema)), 201))
    .get('/:camera_id', (c) => c.json(cameras.get(c.req.param('camera_id'))))
    .put('/:camera_id', async (c) => c.json(await cameras.replace(c.req.param('camera_id'), await jsonBody(c, cameraInputSchema))))
    .delete('/:camera_id', async (c) => {
      await cameras.remove(c.req.param('camera_id'));
      return c.body(null, 204);
    });
  // A probe that could not read the stream is still an answer (200, `probe.error` says why).
  if (probes) routes.post('/:camera_id/sources/:source_id/probe', async (c) => c.json(await probes.probeSource(c.req.param('camera_id'), c.req.param('source_id'))));
  return routes;
}
