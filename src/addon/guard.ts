import { Hono, type MiddlewareHandler } from 'hono';
import { onApiError } from '../api/errors.js';
import type { UpgradeGate } from '../api/ws/router.js';

/** What one port serves: its fetch handler and the check its WebSocket upgrades pass first. */
export interface Listener {
  fetch: (req: Request, env?: unknown) => Response | Promise<Response>;
  upgradeGate: UpgradeGate | null;
}

/**
 * The app behind a guard. The app stays one object shared by every port; each port only differs
 * in who may reach it. The node server's bindings (socket, response) are passed through, so
 * connection info and streamed responses keep working behind the guard.
 */
export function guarded(app: Hono, guard: MiddlewareHandler): Listener['fetch'] {
  // The guard throws its refusal; the API's one error writer answers it (the app's own onError never sees it).
  return new Hono()
    .use(guard)
    .all('*', (c) => app.fetch(c.req.raw, c.env))
    .onError(onApiError(null)).fetch;
}
