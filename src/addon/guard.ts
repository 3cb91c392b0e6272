import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { ApiError } from '../shared/errors.js';

/** Decides a WebSocket upgrade before the handlers see it: true lets it through, false means it refused the socket. */
export type UpgradeGate = (req: IncomingMessage, socket: Duplex) => boolean;

/** What one port serves: its fetch handler and the check its WebSocket upgrades pass first. */
export interface Listener {
  fetch: (req: Request, env?: unknown) => Response | Promise<Response>;
  upgradeGate: UpgradeGate | null;
}

/** The API's JSON error, answered by a guard in front of the app (the app's own onError never sees it). */
export function refuse(c: Context, err: ApiError): Response {
  c.header('cache-control', 'no-store');
  if (err.status === 401) c.header('www-authenticate', 'Bearer');
  return c.json(err.toJSON(), err.status);
}

/**
 * The app behind a guard. The app stays one object shared by every port; each port only differs
 * in who may reach it. The node server's bindings (socket, response) are passed through, so
 * connection info and streamed responses keep working behind the guard.
 */
export function guarded(app: Hono, guard: MiddlewareHandler): Listener['fetch'] {
  return new Hono().use(guard).all('*', (c) => app.fetch(c.req.raw, c.env)).fetch;
}
