import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiError } from '../../shared/errors.js';
import type { RequestGuard } from '../request-guard.js';
import { refuseUpgrade } from '../upgrade.js';

/** A port's own check of an upgrade (the add-on's ingress trust, its direct port): false means it refused the socket. */
export type UpgradeGate = (req: IncomingMessage, socket: Duplex) => boolean;

/** What a service answers to an authorised upgrade: how it takes the socket once the handshake is done. */
interface Admitted {
  open(ws: WebSocket): void;
  /** The client went away before the handshake completed (a slot taken for it is given back). */
  abandon?(): void;
}

/** An upgrade request as a route sees it. */
interface UpgradeRequest {
  req: IncomingMessage;
  /** The part of the path the route captured. */
  param: string;
  /** The query, first value of each name. */
  query: Record<string, string>;
}

export interface UpgradeRoute {
  /** Names the endpoint in the log ("writer upgrade refused"). */
  name: string;
  /** The variable part of the path when the path is this route's, else null. */
  match(pathname: string): string | null;
  /** Largest message accepted from the client; ws closes with 1009 beyond it. */
  maxPayload: number;
  /** The edge's checks (path, query, token), then the service's admission; throws ApiError to refuse. */
  admit(request: UpgradeRequest): Admitted;
  /** Told of every refusal (a service that counts them). */
  onRefused?(): void;
}

export interface UpgradeRouterOptions {
  routes: readonly UpgradeRoute[];
  logger: Logger;
  /** The Host and Origin checks every upgrade passes first; none where a test drives one route. */
  guard?: Pick<RequestGuard, 'upgradeGate'>;
}

export interface UpgradeRouter {
  /** True when the socket was taken (refused, or upgraded for a route); false: no route has this path. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer, gate?: UpgradeGate | null): boolean;
}

/** The query as it may be logged: without the token (or anything that looks like a secret). */
function loggableQuery(params: URLSearchParams): string {
  const safe = new URLSearchParams();
  for (const [k, val] of params) {
    if (/token|secret|password|auth/i.test(k)) safe.append(k, '[redacted]');
    else safe.append(k, val.slice(0, 128));
  }
  const s = safe.toString();
  return s ? `?${s}` : '';
}

function firstValues(params: URLSearchParams): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [k, val] of params) if (!Object.hasOwn(query, k)) query[k] = val;
  return query;
}

/**
 * The one edge of the WebSocket endpoints: the port's gate, the request guard, the path, then the
 * route's checks. A refusal is the API's JSON error on the raw socket, before any handshake; an
 * admitted request is upgraded and the service gets the WebSocket with its scope already checked.
 */
export function createUpgradeRouter({ routes, logger, guard }: UpgradeRouterOptions): UpgradeRouter {
  const log = logger.child({ component: 'upgrades' });
  const entries = routes.map((route) => ({
    route,
    wss: new WebSocketServer({ noServer: true, maxPayload: route.maxPayload, perMessageDeflate: false, clientTracking: false }),
  }));

  return {
    handle(req, socket, head, gate) {
      if (gate && !gate(req, socket)) return true;
      if (guard && !guard.upgradeGate(req, socket)) return true;
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://upgrade.invalid');
      } catch {
        return false;
      }
      for (const { route, wss } of entries) {
        const param = route.match(url.pathname);
        if (param === null) continue;
        // A reset connection before the handshake must not become an uncaught error.
        socket.on('error', () => {});
        try {
          const admitted = route.admit({ req, param, query: firstValues(url.searchParams) });
          let opened = false;
          socket.once('close', () => {
            if (!opened) admitted.abandon?.();
          });
          wss.handleUpgrade(req, socket, head, (ws) => {
            opened = true;
            admitted.open(ws);
          });
        } catch (caught) {
          route.onRefused?.();
          const seen = { path: url.pathname.slice(0, 200), query: loggableQuery(url.searchParams), remote: req.socket.remoteAddress };
          if (!(caught instanceof ApiError)) log.error({ ...seen, err: caught instanceof Error ? caught.message : String(caught) }, `${route.name} upgrade failed`);
          const err = caught instanceof ApiError ? caught : new ApiError(500, 'internal_error', `the ${route.name} connection could not be set up`);
          log[err.status === 401 || err.status === 403 ? 'warn' : 'info']({ ...seen, status: err.status, code: err.code, field: err.field }, `${route.name} upgrade refused`);
          refuseUpgrade(socket, err);
        }
        return true;
      }
      return false;
    },
  };
}
