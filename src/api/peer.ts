import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

/** The socket peer's address, or undefined when no socket serves the request (Hono's app.request in tests). */
export function socketPeer(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}
