import { FETCH_BAD_PORTS } from '../domain/ports.js';
import { portFree, probePort as probe, type Proto } from '../managed/port-probe.js';

/** The engine listeners whose ports the settings choose. */
export type PortName = 'rtsp' | 'hls' | 'webrtc' | 'webrtc_udp' | 'api';
export const PORT_NAMES: readonly PortName[] = ['rtsp', 'hls', 'webrtc', 'webrtc_udp', 'api'];

interface PortAssignment {
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

/**
 * Where MediaMTX binds each listener in the rendered config: RTSP, RTP/RTCP and WebRTC's ICE
 * (UDP, and TCP on the same number: `webrtcLocalTCPAddress`) on every interface (LAN clients and
 * HA core read RTSP; browsers send WebRTC media), HLS, WHEP signalling and the API on loopback only
 * (the node server proxies them). A port must be free on every protocol listed: MediaMTX binds them all
 * and exits when one bind fails.
 */
const BIND: Record<PortName, Bind> = {
  rtsp: { protos: ['tcp'], host: null },
  hls: { protos: ['tcp'], host: '127.0.0.1' },
  webrtc: { protos: ['tcp'], host: '127.0.0.1' },
  webrtc_udp: { protos: ['udp', 'tcp'], host: null },
  api: { protos: ['tcp'], host: '127.0.0.1' },
};

/** Listeners the server calls with fetch(). */
const FETCHED: ReadonlySet<PortName> = new Set(['api', 'webrtc']);

interface Bind {
  protos: readonly Proto[];
  host: string | null;
}

/** Whether `port` is unused by the plan so far and can be bound now on every protocol of `bind`. */
async function usable({ protos, host }: Bind, port: number, used: Record<Proto, Set<number>>): Promise<boolean> {
  for (const proto of protos) if (used[proto].has(port) || !(await portFree(proto, port, host))) return false;
  return true;
}

/** A port that is free on `host` (and on 127.0.0.1) for every protocol in `protos`, chosen by the OS, unused by the plan. */
async function freePort(bind: Bind, used: Record<Proto, Set<number>>): Promise<number> {
  const { protos } = bind;
  const [first] = protos as [Proto, ...Proto[]];
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = await probe(first, 0, '127.0.0.1');
    if (candidate === null) continue;
    if (await usable(bind, candidate, used)) return candidate;
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
    const bind = BIND[name];
    const want = preferred[name];
    const callable = !(FETCHED.has(name) && FETCH_BAD_PORTS.has(want));
    const actual = callable && (await usable(bind, want, used)) ? want : await freePort(bind, used);
    for (const proto of bind.protos) used[proto].add(actual);
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
