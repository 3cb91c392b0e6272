import { Hono } from 'hono';
import { pipelineInputSchema } from '../../domain/pipeline.js';
import type { PipelineService } from '../../control/pipelines.js';
import { jsonBody } from '../validate.js';

export function pipelineRoutes(pipelines: PipelineService) {
  return new Hono()
    .get('/pipelines', (c) => c.json(pipelines.list()))
    .get('/pipelines/:name', (c) => c.json(pipelines.get(c.req.param('name'))))
    .put('/pipelines/:name', async (c) => {
      const { pipeline, created } = await pipelines.put(c.req.param('name'), await jsonBody(c, pipelineInputSchema));
      return c.json(pipeline, created ? 201 : 200);
    })
    .delete('/pipelines/:name', async (c) => {
      await pipelines.remove(c.req.param('name'));
      return c.body(null, 204);
    })
    .get('/runtime/pipelines', (c) => c.json(pipelines.ownership()));
}
