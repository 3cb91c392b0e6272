import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Context, MiddlewareHandler } from 'hono';
import { ApiError } from '../shared/errors.js';
import { refuseUpgrade } from './upgrade.js';
import { socketPeer } from './peer.js';

export interface RequestGuardOptions {
  /**
   * Host names the server answers for besides loopback names and IP literals (the configured
   * listen host, TOPOSYNC_STREAMING_ALLOWED_HOSTS). `'any'` skips the Host check: add-on mode,
   * where the ingress port answers only the ingress proxy (whose Host is the user's Home Assistant
   * address) and the direct port only tokens (Home Assistant Core uses the add-on's host name).
   */
  allowedHosts: readonly string[] | 'any';
  /** Socket peers of the ingress proxy: their X-Forwarded-Host also names the page's origin. */
  ingressPeers?: readonly string[];
}

export interface RequestGuard {
  /** Refuses a request (403 host/origin, 415 content-type) before any route runs. */
  middleware: MiddlewareHandler;
  /** The same Host and Origin checks for a WebSocket upgrade, before the handshake: false means the socket got the JSON error. */
  upgradeGate(req: IncomingMessage, socket: Duplex): boolean;
}

/** What the checks read of a request, the same for fetch requests and upgrades. */
interface Seen {
  /** A write or a WebSocket: what a page elsewhere must never do here. */
  unsafe: boolean;
  header(name: string): string | undefined;
  peer: string | undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const JSON_TYPE = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;
/** Bodies that are not JSON, by route. Neither type is one a cross-site form can send without a preflight. */
const RAW_BODIES: readonly { path: RegExp; type: string }[] = [
  // WHEP: the offer SDP itself (the player and WHEP clients).
  { path: /^\/api\/streams\/transmissions\/[^/]+\/webrtc\/offer$/, type: 'application/sdp' },
];

/**
 * A host name as the checks compare it (lower case, IDNA, no trailing dot, IPv6 in brackets), or
 * null when `value` is not a bare host name or IP literal (a port, scheme, path or wildcard).
 */
export function hostName(value: string): string | null {
  const bare = value.trim();
  const v6 = isIP(bare.replace(/^\[(.*)\]$/, '$1')) === 6;
  if (bare === '' || (!v6 && /[/:@?#*%\\[\]\s]/.test(bare))) return null;
  try {
    return new URL(`http://${v6 && !bare.startsWith('[') ? `[${bare}]` : bare}/`).hostname.replace(/\.$/, '');
  } catch {
    return null;
  }
}

/** The host name of a Host header value (`name[:port]`), or null when it is not one. */
function hostOfHeader(value: string): string | null {
  try {
    const url = new URL(`http://${value.trim()}/`);
    return url.username || url.password || url.pathname !== '/' ? null : url.hostname.replace(/\.$/, '');
  } catch {
    return null;
  }
}

/** localhost and *.localhost resolve to loopback by specification; an IP literal cannot be rebound. */
function answersAlways(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || isIP(host.replace(/^\[|\]$/g, '')) !== 0;
}

/** `host[:port]` of `authority` as a browser would write it for `scheme` (default port dropped), or null. */
function authorityFor(scheme: string, authority: string): string | null {
  try {
    const url = new URL(`${scheme}//${authority.trim()}/`);
    return url.pathname === '/' && !url.username && !url.password ? url.host : null;
  } catch {
    return null;
  }
}

/** The web page's scheme and `host[:port]` from an Origin header; null for `null` (opaque) and anything not http(s). */
function pageOrigin(origin: string): { scheme: string; host: string } | null {
  try {
    const url = new URL(origin.trim());
    return url.protocol === 'http:' || url.protocol === 'https:' ? { scheme: url.protocol, host: url.host } : null;
  } catch {
    return null;
  }
}

const hostRefusal = (host: string | null) =>
  new ApiError(
    403,
    'host_not_allowed',
    `this server does not answer for the host ${host === null ? '(malformed)' : JSON.stringify(host.slice(0, 100))}; add it to TOPOSYNC_STREAMING_ALLOWED_HOSTS if it is yours`,
    'host',
  );
const originRefusal = () => new ApiError(403, 'cross_origin', 'requests from another web site are refused: use the panel this server serves, or call the API without an Origin header', 'origin');

/**
 * The one check against requests a web page the user visits makes to this server: cross-site
 * writes (CSRF), cross-site WebSockets (hijacking) and DNS rebinding (a foreign name resolving to
 * this address). Programs (curl, frame writers, Home Assistant Core) send no Origin and pass.
 */
export function createRequestGuard({ allowedHosts, ingressPeers = [] }: RequestGuardOptions): RequestGuard {
  const named = new Set<string>();
  if (allowedHosts !== 'any') {
    for (const entry of allowedHosts) {
      const name = hostName(entry);
      if (name === null) throw new Error(`request guard: allowed host ${JSON.stringify(entry)} is not a host name or IP address`);
      named.add(name);
    }
  }
  const ingress = new Set(ingressPeers);

  function check({ unsafe, header, peer }: Seen): ApiError | null {
    const host = header('host');
    // Browsers always send Host; a program without one is not a page being rebound.
    if (allowedHosts !== 'any' && host !== undefined) {
      const name = hostOfHeader(host);
      if (name === null || !(answersAlways(name) || named.has(name))) return hostRefusal(name ?? null);
    }
    const origin = header('origin');
    if (origin !== undefined) {
      const page = pageOrigin(origin);
      // Same origin: the page came from this Host (through ingress, the user's Home Assistant address,
      // or the address the ingress proxy says it was asked for). The scheme is the page's: TLS may end before this server.
      const hosts = [host, ...(peer !== undefined && ingress.has(peer) ? (header('x-forwarded-host') ?? '').split(',') : [])];
      if (page === null || !hosts.some((h) => h !== undefined && h.trim() !== '' && authorityFor(page.scheme, h) === page.host)) return originRefusal();
    }
    // A top-level navigation from a link elsewhere carries no Origin and may open the panel; nothing else from another site.
    if (unsafe && header('sec-fetch-site')?.toLowerCase() === 'cross-site') return originRefusal();
    return null;
  }

  return {
    async middleware(c, next) {
      const peer = socketPeer(c);
      const unsafe = !SAFE_METHODS.has(c.req.method);
      const refused = check({ unsafe, header: (n) => c.req.header(n), peer });
      if (refused) throw refused;
      if (unsafe) await checkBodyType(c);
      await next();
    },
    upgradeGate(req, socket) {
      const header = (name: string) => {
        const v = req.headers[name];
        return Array.isArray(v) ? v.join(',') : v;
      };
      // A WebSocket handshake is a GET, but what it opens is a two-way channel: judged like a write.
      const refused = check({ unsafe: true, header, peer: req.socket.remoteAddress });
      if (!refused) return true;
      socket.on('error', () => {});
      refuseUpgrade(socket, refused);
      return false;
    },
  };
}

/** A write with a body must say it is JSON (or the one raw type its route takes): text/plain is what a cross-site form sends. */
async function checkBodyType(c: Context): Promise<void> {
  // No body, nothing parsed: body-less writes (engine stop, prime, delete) need no content type.
  if (!(await hasBody(c))) return;
  const type = c.req.header('content-type');
  const trimmed = type?.trim() ?? '';
  if (JSON_TYPE.test(trimmed)) return;
  const raw = RAW_BODIES.find((r) => r.path.test(c.req.path));
  if (raw && trimmed.split(';')[0]?.trim().toLowerCase() === raw.type) return;
  throw new ApiError(
    415,
    'unsupported_media_type',
    `send the body as application/json${raw ? ` or ${raw.type}` : ''} (got ${type === undefined ? 'no content type' : JSON.stringify(trimmed.slice(0, 100))})`,
    'content-type',
  );
}

async function hasBody(c: Context): Promise<boolean> {
  if (c.req.header('transfer-encoding') !== undefined) return true;
  const length = c.req.header('content-length');
  if (length !== undefined) return length.trim() !== '0';
  if (c.req.raw.body === null) return false;
  // Neither header (a request built in-process): look, on a copy, so the route still reads the body.
  return (await c.req.raw.clone().arrayBuffer()).byteLength > 0;
}
