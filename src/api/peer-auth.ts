import type { Context } from 'hono';
import { PEER_HEADER } from '../domain/peers.js';
import { ApiError } from '../shared/errors.js';
import { bearerToken, tokenMatches } from './api-token.js';

/** An unknown, disabled or wrongly authenticated peer is told the same thing. */
export const peerUnauthorized = (serverId: string) =>
  new ApiError(401, 'peer_unauthorized', `no enabled peer "${serverId}" with this secret: send Authorization: Bearer <the secret both servers share>`, 'authorization');

/** True when `authorization` carries the secret this server shares with the enabled peer `serverId`. */
export const peerAuthenticated = (authorization: string | undefined, serverId: string, peerSecret: (id: string) => string | null): boolean =>
  tokenMatches(bearerToken(authorization), peerSecret(serverId));

/**
 * The peer calling, when the request says it is one (`X-Toposync-Peer` and its shared secret as Bearer);
 * null for a request that does not say so; 401 for one whose secret does not match.
 */
export function peerCaller(c: Context, peerSecret: (id: string) => string | null): string | null {
  const id = c.req.header(PEER_HEADER);
  if (id === undefined) return null;
  if (!peerAuthenticated(c.req.header('authorization'), id, peerSecret)) throw peerUnauthorized(id);
  return id;
}
