import { Hono } from 'hono';
import { outputInputSchema, transmissionInputSchema } from '../../domain/transmission.js';
import type { TransmissionService } from '../../control/transmissions.js';
import { jsonBody } from '../validate.js';

export function transmissionRoutes(tx: TransmissionService) {
  return new Hono()
    .get('/', (c) => c.json(tx.list()))
    .post('/', async (c) => c.json(await tx.create(await jsonBody(c, transmissionInputSchema)), 201))
    .get('/:id', (c) => c.json(tx.get(c.req.param('id'))))
    .put('/:id', async (c) => c.json(await tx.replace(c.req.param('id'), await jsonBody(c, transmissionInputSchema))))
    .delete('/:id', async (c) => {
      await tx.remove(c.req.param('id'));
      return c.body(null, 204);
    })
    .get('/:id/outputs', (c) => c.json(tx.listOutputs(c.req.param('id'))))
    .post('/:id/outputs', async (c) => c.json(await tx.addOutput(c.req.param('id'), await jsonBody(c, outputInputSchema)), 201))
    .put('/:id/outputs/:output_id', async (c) => c.json(await tx.replaceOutput(c.req.param('id'), c.req.param('output_id'), await jsonBody(c, outputInputSchema))))
    .delete('/:id/outputs/:output_id', async (c) => {
      await tx.removeOutput(c.req.param('id'), c.req.param('output_id'));
      return c.body(null, 204);
    });
}
