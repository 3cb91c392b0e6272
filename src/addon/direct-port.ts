import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import { bearerToken, tokenMatches } from '../api/api-token.js';
import { peerAuthenticated } from '../api/peer-auth.js';
import { PEER_HEADER } from '../domain/peers.js';
import { refuseUpgrade } from '../api/upgrade.js';
import { ApiError } from '../shared/errors.js';
import type { MediaTokens } from '../playback/tokens.js';
import type { UpgradeGate } from '../api/ws/router.js';

export interface DirectPortOptions {
  /** The streaming settings' api_token, read on every request (settings may change it). */
  apiToken: () => string | null;
  tokens: MediaTokens;
  logger: Logger;
  /** The secret shared with an enabled peer of this id, or null (settings may change it). */
  peerSecret?: (serverId: string) => string | null;
}

export interface DirectPortGuard {
  middleware: MiddlewareHandler;
  upgradeGate: UpgradeGate;
}

const STILL_PATH = /^\/api\/streams\/transmissions\/([^/]+)\/still\.jpg$/;
const HLS_PREFIX = '/api/streams/media/hls/';
/**
 * What a peer (its id in X-Toposync-Peer, its shared secret as Bearer) may reach: the distributed
 * routes, the internal URLs and media of what this server hosts for it (the media still need their
 * tokens), and the calls it forwards for its browsers (demand, WebRTC offers, the HLS probe, stills).
 */
const PEER_PATH = /^\/api\/streams\/(distributed\/|internal\/transmissions\/|media\/|transmissions\/[^/]+\/(demand(\/heartbeat|\/prime)?|webrtc\/offer|hls\/probe|still\.jpg)$)/;

const missing = () => new ApiError(401, 'missing_token', 'the direct port needs "Authorization: Bearer <api token>" or the media_token of a stream', 'authorization');
const wrongToken = () => new ApiError(401, 'invalid_token', 'the bearer token is not the API token of this add-on', 'authorization');
const outOfScope = () => new ApiError(403, 'token_scope', 'a media token opens only its own still image or stream; the rest of the API needs the API token', 'media_token');

function decoded(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/**
 * The direct port: what Home Assistant Core, frame writers and peer instances reach without the
 * ingress proxy. Nothing on it is open. The API token (a bearer header; `?token=` too on WebSocket
 * upgrades, where browsers cannot set headers) opens everything; a media token opens only the
 * still image of its transmission (`still` tokens) or its HLS stream, and on WebSockets its own
 * MSE/JSMpeg stream, whose handlers check the token's path and transport themselves.
 */
export function createDirectPortGuard({ apiToken, tokens, logger, peerSecret = () => null }: DirectPortOptions): DirectPortGuard {
  const log = logger.child({ component: 'direct-port' });

  /** The API token opens everything; a peer's secret only the peer paths. */
  function bearerOpens(bearer: string, path: string, peer: string | string[] | undefined): boolean {
    if (tokenMatches(bearer, apiToken())) return true;
    return typeof peer === 'string' && PEER_PATH.test(path) && peerAuthenticated(`Bearer ${bearer}`, peer, peerSecret);
  }

  function authorizeMedia(method: string, path: string, token: string): void {
    if (method !== 'GET' && method !== 'HEAD') throw outOfScope();
    const still = STILL_PATH.exec(path);
    const transmission = still ? decoded(still[1]!) : null;
    if (transmission !== null) {
      tokens.verify(token, { transmission_id: transmission, transport: 'still' });
      return;
    }
    // The HLS proxy checks the token against the requested engine path itself.
    if (path.startsWith(HLS_PREFIX)) {
      tokens.verify(token, { transport: 'hls' });
      return;
    }
    throw outOfScope();
  }

  return {
    async middleware(c, next) {
      try {
        const bearer = bearerToken(c.req.header('authorization'));
        if (bearer !== null) {
          if (!bearerOpens(bearer, c.req.path, c.req.header(PEER_HEADER))) throw wrongToken();
        } else {
          const media = c.req.query('media_token');
          if (!media) throw missing();
          authorizeMedia(c.req.method, c.req.path, media);
        }
      } catch (err) {
        if (err instanceof ApiError) log.info({ method: c.req.method, path: c.req.path, status: err.status, code: err.code }, 'direct port refused a request');
        throw err;
      }
      await next();
    },
    upgradeGate(req, socket) {
      const url = new URL(req.url ?? '/', 'http://direct.invalid');
      const given = bearerToken(req.headers.authorization) ?? url.searchParams.get('token');
      let err: ApiError | null = null;
      if (given !== null) err = bearerOpens(given, url.pathname, req.headers[PEER_HEADER]) ? null : wrongToken();
      else if (!url.searchParams.get('media_token')) err = missing();
      if (err === null) return true;
      log.info({ upgrade: url.pathname, status: err.status, code: err.code }, 'direct port refused an upgrade');
      socket.on('error', () => {});
      refuseUpgrade(socket, err);
      return false;
    },
  };
}
