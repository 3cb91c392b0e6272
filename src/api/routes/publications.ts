import { Hono } from 'hono';
import * as v from 'valibot';
import { publicationUpdateSchema } from '../../domain/publication.js';
import type { PublicationService } from '../../control/publications.js';
import { jsonBody, queryWith } from '../validate.js';

const listQuery = v.object({ camera_id: v.optional(v.string()) });

export function publicationRoutes(publications: PublicationService) {
  return new Hono()
    .get('/publications', (c) => c.json(publications.list(queryWith(c, listQuery).camera_id)))
    .put('/publications/camera-sources/:camera_id/:source_id', async (c) =>
      c.json(await publications.updateCameraSource(c.req.param('camera_id'), c.req.param('source_id'), await jsonBody(c, publicationUpdateSchema))),
    )
    .post('/reconcile', async (c) => {
      const { diff, doc } = await publications.reconcile();
      return c.json({ revision: doc.revision, diff });
    });
}
