/**
 * Free ports on the loopback interface for tests and benchmarks (real sockets, 127.0.0.1 only).
 * A port is free "a moment ago": whoever binds it next may race another process, so callers bind it
 * soon. The production port probe (src/engine/ports.ts) is a different thing: it checks a user's port.
 */
import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';

export const LOOPBACK = '127.0.0.1';

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve((server.address() as { port: number }).port));
  });
}

const close = (server: Server) => new Promise<void>((r) => server.close(() => r()));

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await close(server);
  return port;
}

/** `count` distinct TCP ports, all held at once while they are picked (so none repeats). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(servers.map(listen));
  } finally {
    await Promise.all(servers.map(close));
  }
}

async function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, LOOPBACK, () => s.close(() => resolve(true)));
  });
}

/** An even UDP port `base` such that base..base+count-1 were all free on 127.0.0.1 a moment ago. */
export async function freeUdpRange(count: number, lo = 20_000, hi = 60_000): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = lo + 2 * Math.floor((Math.random() * (hi - lo - count)) / 2);
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await udpFree(p);
    if (ok) return base;
  }
  throw new Error(`no free UDP range of ${count} ports`);
}

/** A UDP port that was free on `host` a moment ago (0.0.0.0: free on every interface, as an engine binds it). */
export async function freeUdpPort(host = LOOPBACK): Promise<number> {
  const s = createSocket('udp4');
  const port = await new Promise<number>((r) => s.bind(0, host, () => r(s.address().port)));
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
