import { Hono } from 'hono';
import type { HaCameras } from './ha-cameras.js';
import type { Provisioner } from './provision.js';

export interface AddonRouteDeps {
  /** The add-on status for a request carrying this X-Ingress-Path (if any). */
  status: (ingressPath: string | undefined) => Promise<unknown>;
  cameras: HaCameras;
  provisioner: Provisioner;
}

/** Mounted under /api/streams. */
export function addonRoutes({ status, cameras, provisioner }: AddonRouteDeps) {
  return new Hono()
    .get('/addon', async (c) => c.json(await status(c.req.header('x-ingress-path'))))
    .get('/home-assistant/cameras', async (c) => c.json(await cameras.list()))
    .post('/home-assistant/cameras/:publication_id/provision', async (c) => c.json(await provisioner.provision(c.req.param('publication_id')), 201))
    .delete('/home-assistant/cameras/entries/:entry_id', async (c) => c.json(await provisioner.remove(c.req.param('entry_id'))));
}
