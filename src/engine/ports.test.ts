import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { portFree } from '../managed/port-probe.js';
import { resolvePorts, type PortName } from './ports.js';
import { freePort as freeTcp, freeUdpPort } from '../../test/support/ports.js';

const held: (Server | Socket)[] = [];
afterEach(async () => {
  await Promise.all(held.splice(0).map((h) => new Promise<void>((r) => (h as Server).close(() => r()))));
});

function holdTcp(host?: string): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    held.push(s);
    s.listen(0, host, () => resolve((s.address() as { port: number }).port));
  });
}
function holdUdp(): Promise<number> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    held.push(s);
    s.bind(0, '0.0.0.0', () => resolve(s.address().port));
  });
}
/** Preferred ports nobody holds; UDP free on every interface, as the engine binds it. */
const freeUdp = () => freeUdpPort('0.0.0.0');

describe('engine ports', () => {
  it('keeps every preferred port that is free (changed: false)', async () => {
    const preferred: Record<PortName, number> = { rtsp: await freeTcp(), hls: await freeTcp(), webrtc: await freeTcp(), webrtc_udp: await freeUdp(), api: await freeTcp() };
    const plan = await resolvePorts(preferred);
    for (const name of Object.keys(preferred) as PortName[]) expect(plan[name]).toEqual({ preferred: preferred[name], actual: preferred[name], changed: false });
    expect(plan.rtp.actual % 2).toBe(0);
    expect(plan.rtcp.actual).toBe(plan.rtp.actual + 1);
  });

  it('replaces a stored API or WHEP port that fetch() refuses to call (a Fetch "bad port"), like a taken one', async () => {
    // 6000 and 6665 are free here but fetch() never connects to them: the engine would run unreachable.
    const plan = await resolvePorts({ rtsp: await freeTcp(), hls: await freeTcp(), webrtc: 6665, webrtc_udp: await freeUdp(), api: 6000 });
    for (const [name, bad] of [
      ['api', 6000],
      ['webrtc', 6665],
    ] as const) {
      expect(plan[name]).toMatchObject({ preferred: bad, changed: true });
      expect(plan[name].actual).not.toBe(bad);
    }
  });

  it('picks another free port when the preferred one is taken, on loopback or on every interface, TCP or UDP', async () => {
    const api = await holdTcp('127.0.0.1'); // API binds 127.0.0.1
    const rtsp = await holdTcp(); // RTSP binds every interface
    const hlsOnLoopbackTakenByWildcard = await holdTcp('0.0.0.0');
    const udp = await holdUdp();
    const webrtc = await freeTcp();
    const plan = await resolvePorts({ rtsp, hls: hlsOnLoopbackTakenByWildcard, webrtc, webrtc_udp: udp, api });
    for (const [name, taken] of [
      ['api', api],
      ['rtsp', rtsp],
      ['hls', hlsOnLoopbackTakenByWildcard],
      ['webrtc_udp', udp],
    ] as const) {
      expect(plan[name].preferred).toBe(taken);
      expect(plan[name].changed).toBe(true);
      expect(plan[name].actual).not.toBe(taken);
    }
    expect(plan.webrtc).toEqual({ preferred: webrtc, actual: webrtc, changed: false });
    expect(await portFree('tcp', plan.api.actual, '127.0.0.1')).toBe(true);
    expect(await portFree('tcp', plan.rtsp.actual, null)).toBe(true);
    expect(await portFree('udp', plan.webrtc_udp.actual, null)).toBe(true);
  });

  it('never gives two listeners of the same protocol the same port', async () => {
    const p = await freeTcp();
    const plan = await resolvePorts({ rtsp: p, hls: p, webrtc: p, webrtc_udp: await freeUdp(), api: p });
    const tcp = [plan.rtsp.actual, plan.hls.actual, plan.webrtc.actual, plan.api.actual];
    expect(new Set(tcp).size).toBe(4);
    expect(plan.rtsp).toEqual({ preferred: p, actual: p, changed: false });
    expect([plan.hls.changed, plan.webrtc.changed, plan.api.changed]).toEqual([true, true, true]);
  });
});
