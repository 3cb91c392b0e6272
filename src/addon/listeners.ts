import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { Listener } from './guard.js';
import type { AddonServer } from './server.js';

export interface ListenOptions {
  host: string;
  /** The ingress/API port; 0 picks a free one (tests). */
  port: number;
}

export interface Listening {
  ingress: Server;
  /** The direct port's server, when the add-on config has one. */
  direct: Server | null;
  /** Stops accepting connections on both. */
  close(): void;
}

async function open(fetch: Listener['fetch'], port: number, host: string): Promise<Server> {
  const server = serve({ fetch, port, hostname: host }) as Server;
  await new Promise<void>((resolve, reject) => {
    if (server.listening) return resolve();
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return server;
}

/** Serves the ingress port and, when configured, the direct port, each with its own guard and WebSocket upgrades. */
export async function listen({ streaming, listeners }: AddonServer, { host, port }: ListenOptions): Promise<Listening> {
  const { ingress, direct } = listeners;
  const servers: Server[] = [];
  try {
    const main = await open(ingress.fetch, port, host);
    servers.push(main);
    streaming.attach(main, ingress.upgradeGate);
    const second = direct ? await open(direct.fetch, direct.port, host) : null;
    if (second && direct) {
      servers.push(second);
      streaming.attach(second, direct.upgradeGate);
    }
    return { ingress: main, direct: second, close: () => servers.forEach((s) => s.close()) };
  } catch (err) {
    servers.forEach((s) => s.close());
    throw err;
  }
}
