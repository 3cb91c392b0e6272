import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/** The engine listeners whose ports the settings choose. */
export type PortName = 'rtsp' | 'hls' | 'webrtc' | 'webrtc_udp' | 'api';
export const PORT_NAMES: readonly PortName[] = ['rtsp', 'hls', 'webrtc', 'webrtc_udp', 'api'];

export interface PortAssignment {
  preferred: number;
  actual: number;
  /** The preferred port was taken and another free one is used instead. */
  changed: boolean;
}

export type PortPlan = Record<PortName, PortAssignment> & {
  /** RTSP over UDP needs an even RTP port and RTCP = RTP + 1 (MediaMTX's defaults: 8000/8001). */
  rtp: PortAssignment;
  rtcp: PortAssignment;
};

type Proto = 'tcp' | 'udp';

/**
 * Where MediaMTX binds each listener in the rendered config: RTSP, RTP/RTCP and WebRTC's ICE
 * (UDP, and TCP on the same number: `webrtcLocalTCPAddress`) on every interface (LAN clients and
 * HA core read RTSP; browsers send WebRTC media), HLS, WHEP signalling and the API on loopback only
 * (the node server proxies them). A port must be free on every protocol listed: MediaMTX binds them all
 * and exits when one bind fails.
 */
export const BIND: Record<PortName, { protos: readonly Proto[]; host: string | null }> = {
  rtsp: { protos: ['tcp'], host: null },
  hls: { protos: ['tcp'], host: '127.0.0.1' },
  webrtc: { protos: ['tcp'], host: '127.0.0.1' },
  webrtc_udp: { protos: ['udp', 'tcp'], host: null },
  api: { protos: ['tcp'], host: '127.0.0.1' },
};

/**
 * Ports fetch() refuses to connect to ("bad ports" of the Fetch standard, as Node's undici lists
 * them). The server calls MediaMTX's API and its WHEP endpoint with fetch, so those two listeners
 * cannot sit on one of these: the engine would start and never be reachable. The settings API
 * refuses them; a stored one (an older version, a hand-edited file) is replaced like a taken port.
 */
export const FETCH_BAD_PORTS = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137,
  139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723,
  2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);
/** Listeners the server calls with fetch(). */
const FETCHED: ReadonlySet<PortName> = new Set(['api', 'webrtc']);

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

const probe = (proto: Proto, port: number, host: string | null) => (proto === 'tcp' ? probeTcp(port, host) : probeUdp(port, host));

/** Whether `port` can be bound right now with that protocol and bind address. */
export async function portFree(proto: Proto, port: number, host: string | null): Promise<boolean> {
  return (await probe(proto, port, host)) === port;
}

/** Whether `port` is unused by the plan so far and can be bound now on every protocol in `protos`. */
async function usable(protos: readonly Proto[], port: number, host: string | null, used: Record<Proto, Set<number>>): Promise<boolean> {
  for (const proto of protos) if (used[proto].has(port) || !(await portFree(proto, port, host))) return false;
  return true;
}

/** A port that is free on `host` (and on 127.0.0.1) for every protocol in `protos`, chosen by the OS, unused by the plan. */
async function freePort(protos: readonly Proto[], host: string | null, used: Record<Proto, Set<number>>): Promise<number> {
  const [first] = protos as [Proto, ...Proto[]];
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = await probe(first, 0, '127.0.0.1');
    if (candidate === null) continue;
    if (await usable(protos, candidate, host, used)) return candidate;
  }
  throw new Error(`no free ${protos.map((p) => p.toUpperCase()).join('+')} port found`);
}

async function rtpPair(avoid: Set<number>): Promise<[number, number]> {
  const pairFree = async (p: number) => p % 2 === 0 && p < 65535 && !avoid.has(p) && !avoid.has(p + 1) && (await portFree('udp', p, null)) && (await portFree('udp', p + 1, null));
  if (await pairFree(8000)) return [8000, 8001];
  for (let attempt = 0; attempt < 50; attempt++) {
    const p = await probe('udp', 0, '127.0.0.1');
    if (p === null) continue;
    const even = p % 2 === 0 ? p : p - 1;
    if (await pairFree(even)) return [even, even + 1];
  }
  throw new Error('no free even/odd UDP port pair found for RTP/RTCP');
}

/**
 * The ports MediaMTX will listen on: each preferred port when it can be bound on its bind address,
 * otherwise a free one (and `changed: true`). Ports are distinct per protocol. Probing is a
 * snapshot: a port taken between this check and MediaMTX's start makes MediaMTX exit; the engine
 * manager then asks {@link takenListener} and picks ports again rather than restart into the clash.
 */
export async function resolvePorts(preferred: Record<PortName, number>): Promise<PortPlan> {
  const used: Record<Proto, Set<number>> = { tcp: new Set(), udp: new Set() };
  const out: Partial<PortPlan> = {};
  for (const name of PORT_NAMES) {
    const { protos, host } = BIND[name];
    const want = preferred[name];
    const callable = !(FETCHED.has(name) && FETCH_BAD_PORTS.has(want));
    const actual = callable && (await usable(protos, want, host, used)) ? want : await freePort(protos, host, used);
    for (const proto of protos) used[proto].add(actual);
    out[name] = { preferred: want, actual, changed: actual !== want };
  }
  const [rtp, rtcp] = await rtpPair(used.udp);
  out.rtp = { preferred: 8000, actual: rtp, changed: rtp !== 8000 };
  out.rtcp = { preferred: 8001, actual: rtcp, changed: rtcp !== 8001 };
  return out as PortPlan;
}

/** Every listener of a plan, RTP/RTCP included. */
export type ListenerName = PortName | 'rtp' | 'rtcp';

/**
 * The first listener of `plan` whose port cannot be bound now (another program holds it), or null.
 * Meant for when MediaMTX is not running (it exited): its own sockets are gone by then.
 */
export async function takenListener(plan: PortPlan): Promise<ListenerName | null> {
  for (const name of PORT_NAMES) {
    const { protos, host } = BIND[name];
    for (const proto of protos) if (!(await portFree(proto, plan[name].actual, host))) return name;
  }
  for (const name of ['rtp', 'rtcp'] as const) if (!(await portFree('udp', plan[name].actual, null))) return name;
  return null;
}
