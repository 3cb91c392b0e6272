import type { WebSocket } from 'ws';
import { clipReason } from '../close-reason.js';

/** Close codes a JSMpeg viewer gets from the server (see sessions.ts). */
export const JSMPEG_CLOSE = {
  SHUTDOWN: 1001,
  ENCODER_FAILED: 1011,
  GONE: 4404,
  TOO_SLOW: 4008,
  LIMIT: 4429,
} as const;

/** How long a peer gets to answer the close handshake before its socket is destroyed. */
const CLOSE_GRACE_MS = 2_000;

/** Closes an open socket with a code and reason; a peer that never answers the close handshake is cut off. */
export function closeSocket(ws: WebSocket | null, code: number, reason: string): void {
  if (!ws || ws.readyState === ws.CLOSED || ws.readyState === ws.CLOSING) return;
  ws.close(code, clipReason(reason));
  setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
}

/** Accepts a socket only to close it at once with the limit's reason: a browser reads a close reason, never a refused handshake's status. */
export function closeAtLimit(ws: WebSocket, reason: string): void {
  ws.on('error', () => {});
  closeSocket(ws, JSMPEG_CLOSE.LIMIT, reason);
}

/** One socket the keepalive watches; `alive` is set by any pong or message. */
export interface Pinged {
  ws: WebSocket | null;
  alive: boolean;
}

/**
 * Pings every open socket each `intervalMs`; one that did not answer since the last ping is
 * terminated (its close ends the session). Returns the stop function; 0 disables.
 */
export function startKeepalive({ intervalMs, sockets, onMissed }: { intervalMs: number; sockets: () => Iterable<Pinged>; onMissed: (p: Pinged) => void }): () => void {
  if (intervalMs <= 0) return () => {};
  const timer = setInterval(() => {
    for (const p of sockets()) {
      const ws = p.ws;
      if (!ws || ws.readyState !== ws.OPEN) continue;
      if (!p.alive) {
        onMissed(p);
        ws.terminate();
        continue;
      }
      p.alive = false;
      ws.ping();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
