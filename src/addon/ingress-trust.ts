import type { IncomingMessage } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import { refuseUpgrade } from '../api/upgrade.js';
import { ApiError } from '../shared/errors.js';
import { ingressPrefix } from '../playback/urls.js';
import type { UpgradeGate } from '../api/ws/router.js';
import { socketPeer } from '../api/peer.js';

/** Home Assistant's ingress proxy on the Supervisor network, and the same address as an IPv4-mapped IPv6 peer. */
export const INGRESS_PEERS = ['172.30.32.2', '::ffff:172.30.32.2'] as const;

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Distinct refused peers logged at warn; after that, debug (the image's health check knocks every 30 s). */
const WARNED_PEERS_MAX = 64;

export interface IngressTrustOptions {
  logger: Logger;
  /** The only socket peers answered. Default {@link INGRESS_PEERS}; tests put a loopback stand-in here. */
  peers?: readonly string[];
}

export interface IngressTrust {
  /** Refuses (403 JSON) every request whose socket peer is not trusted; logs who wrote what. */
  middleware: MiddlewareHandler;
  /** The same check for WebSocket upgrades; a trusted upgrade is remembered for {@link isTrustedUpgrade}. */
  upgradeGate: UpgradeGate;
  /** True for an upgrade request this gate let through (the writer API then needs no token). */
  isTrustedUpgrade(req: IncomingMessage): boolean;
  /** The last X-Ingress-Path prefix the proxy sent, for the add-on status. */
  lastPrefix(): string | null;
}

const refusal = () => new ApiError(403, 'not_ingress', "this port answers only Home Assistant's ingress proxy; open the add-on panel in Home Assistant, or use the direct port with a token");

/** A header value as it may be logged: bounded, single line. */
const header = (value: string | undefined) => (value === undefined ? null : value.replace(/[\r\n]/g, ' ').slice(0, 128));

/**
 * Ingress trust: only the socket peer counts. X-Forwarded-For and friends are set by whoever sends
 * the request, so they are never read here.
 */
export function createIngressTrust({ logger, peers = INGRESS_PEERS }: IngressTrustOptions): IngressTrust {
  if (peers.length === 0) throw new Error('ingress trust: at least one trusted peer is needed');
  const trusted = new Set(peers);
  const log = logger.child({ component: 'ingress' });
  const warned = new Set<string>();
  const upgrades = new WeakSet<IncomingMessage>();
  let prefix: string | null = null;

  const logRefusal = (peer: string | undefined, what: Record<string, unknown>) => {
    const key = peer ?? 'unknown';
    const first = !warned.has(key) && warned.size < WARNED_PEERS_MAX;
    if (first) warned.add(key);
    log[first ? 'warn' : 'debug']({ peer: key, ...what }, 'refused a connection that is not from the ingress proxy');
  };

  return {
    async middleware(c, next) {
      const peer = socketPeer(c);
      if (peer === undefined || !trusted.has(peer)) {
        logRefusal(peer, { method: c.req.method, path: c.req.path });
        throw refusal();
      }
      const seen = ingressPrefix(c.req.header('x-ingress-path'));
      if (seen) prefix = seen;
      await next();
      if (WRITE_METHODS.has(c.req.method)) {
        log.info(
          {
            method: c.req.method,
            path: c.req.path,
            status: c.res.status,
            user_id: header(c.req.header('x-remote-user-id')),
            user_name: header(c.req.header('x-remote-user-name')),
            user_display_name: header(c.req.header('x-remote-user-display-name')),
          },
          'write by a Home Assistant user',
        );
      }
    },
    upgradeGate(req, socket) {
      const peer = req.socket.remoteAddress;
      if (peer === undefined || !trusted.has(peer)) {
        logRefusal(peer, { upgrade: (req.url ?? '').split('?')[0] });
        socket.on('error', () => {});
        refuseUpgrade(socket, refusal());
        return false;
      }
      upgrades.add(req);
      return true;
    },
    isTrustedUpgrade: (req) => upgrades.has(req),
    lastPrefix: () => prefix,
  };
}
