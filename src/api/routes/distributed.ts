import { Hono } from 'hono';
import type { Context } from 'hono';
import type { DistributedService } from '../../control/distributed.js';
import type { PeerSync } from '../../control/peer-sync.js';
import { peerAuthenticated, peerUnauthorized } from '../peer-auth.js';

/** The peer named in the path, once its shared secret (`Authorization: Bearer`) matched; 401 otherwise. */
function authorisedPeer(c: Context, service: Pick<DistributedService, 'peerSecret'>): string {
  const serverId = c.req.param('server_id') ?? '';
  if (!peerAuthenticated(c.req.header('authorization'), serverId, service.peerSecret)) throw peerUnauthorized(serverId);
  return serverId;
}

/**
 * `GET /distributed/settings/{server_id}`: what that peer hosts, for the peer itself. Its shared secret
 * (`Authorization: Bearer`) is the only way in; an unknown, disabled or wrongly authenticated peer is
 * told the same thing. `If-None-Match` with the last digest answers 304 while nothing it runs changed.
 */
export function distributedRoutes(service: DistributedService) {
  return (
    new Hono()
      // A peer checks that this server is up and still shares its secret (src/playback/remote/peer-links.ts).
      .get('/distributed/ping/:server_id', (c) => {
        authorisedPeer(c, service);
        return c.json({ server_id: service.ownId() });
      })
      .get('/distributed/settings/:server_id', (c) => {
        const serverId = authorisedPeer(c, service);
        const body = service.settingsFor(serverId);
        const etag = `"${body.digest}"`;
        c.header('etag', etag);
        c.header('cache-control', 'no-store');
        if (c.req.header('if-none-match') === etag) return c.body(null, 304);
        return c.json(body);
      })
  );
}

/**
 * The processing side: `POST /distributed/notify/{server_id}` (that peer's secret) pulls from it now;
 * `GET /distributed/status` says what was pulled from each peer and why a pull failed.
 */
export function peerSyncRoutes(sync: PeerSync, service: Pick<DistributedService, 'peerSecret'>, more: () => Record<string, unknown> = () => ({})) {
  return new Hono()
    .post('/distributed/notify/:server_id', (c) => {
      const serverId = authorisedPeer(c, service);
      // Answered at once: the peer that notifies never waits on this pull.
      void sync.notified(serverId);
      return c.json({ accepted: true }, 202);
    })
    .get('/distributed/status', (c) => c.json({ peers: sync.status(), notifications_sent: sync.sent(), ...more() }));
}
