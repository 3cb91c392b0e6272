import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

export type Proto = 'tcp' | 'udp';

/** Binds (then releases) `port`; 0 asks the OS for a free one. Resolves with the bound port or null when taken. */
function probeTcp(port: number, host: string | null): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(null));
    const onListening = () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : null;
      server.close(() => resolve(bound));
    };
    // No host: every interface, dual-stack when IPv6 exists (like Go's ":port").
    if (host === null) server.listen({ port, exclusive: true }, onListening);
    else server.listen({ port, host, exclusive: true }, onListening);
  });
}

function probeUdpOnce(port: number, host: string | null, type: 'udp4' | 'udp6'): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = createSocket({ type, ipv6Only: false });
    socket.unref();
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.close();
      resolve(err.code === 'EAFNOSUPPORT' || err.code === 'EADDRNOTAVAIL' ? -1 : null);
    });
    socket.bind({ port, address: host ?? (type === 'udp6' ? '::' : '0.0.0.0'), exclusive: true }, () => {
      const bound = socket.address().port;
      socket.close(() => resolve(bound));
    });
  });
}

async function probeUdp(port: number, host: string | null): Promise<number | null> {
  if (host === null) {
    const v6 = await probeUdpOnce(port, null, 'udp6');
    if (v6 !== -1) return v6;
    const v4 = await probeUdpOnce(port, null, 'udp4');
    return v4 === -1 ? null : v4;
  }
  const r = await probeUdpOnce(port, host, host.includes(':') ? 'udp6' : 'udp4');
  return r === -1 ? null : r;
}

/**
 * Binds (then releases) `port` with that protocol on `host` (null: every interface); 0 asks the OS
 * for a free one. The bound port, or null when it is taken. A snapshot: a child that binds later
 * can still find it taken.
 */
export const probePort = (proto: Proto, port: number, host: string | null): Promise<number | null> => (proto === 'tcp' ? probeTcp(port, host) : probeUdp(port, host));

/** Whether `port` can be bound right now with that protocol and bind address. */
export async function portFree(proto: Proto, port: number, host: string | null): Promise<boolean> {
  return (await probePort(proto, port, host)) === port;
}

/** The preferred TCP port when it is free on 127.0.0.1, else one the OS picks. */
export async function pickLoopbackPort(preferred: number, what: string): Promise<{ port: number; changed: boolean }> {
  if (await portFree('tcp', preferred, '127.0.0.1')) return { port: preferred, changed: false };
  for (let i = 0; i < 20; i++) {
    const p = await probePort('tcp', 0, '127.0.0.1');
    if (p !== null) return { port: p, changed: true };
  }
  throw new Error(`no free loopback port for ${what}`);
}
