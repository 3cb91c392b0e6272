import { Hono } from 'hono';
import { cameraInputSchema } from '../../domain/camera.js';
import type { CameraService } from '../../control/cameras.js';
import { jsonBody } from '../validate.js';

export function cameraRoutes(cameras: CameraService) {
  return new Hono()
    .get('/', (c) => c.json(cameras.list()))
    .post('/', async (c) => c.json(await cameras.create(await jsonBody(c, cameraInputSchema)), 201))
    .get('/:camera_id', (c) => c.json(cameras.get(c.req.param('camera_id'))))
    .put('/:camera_id', async (c) => c.json(await cameras.replace(c.req.param('camera_id'), await jsonBody(c, cameraInputSchema))))
    .delete('/:camera_id', async (c) => {
      await cameras.remove(c.req.param('camera_id'));
      return c.body(null, 204);
    });
}
