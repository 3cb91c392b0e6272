/**
 * The HLS proxy and the MSE relay against going direct, with 50 concurrent viewers.
 * - HLS: 50 clients fetch the live segment in a closed loop for a while through the proxy, then the
 *   same directly from the engine's HLS listener (the MediaMTX double serving FFmpeg-made HLS).
 *   Throughput = bytes per second over all clients; latency = per request.
 * - MSE: 50 viewers through the relay and one direct reference viewer on the same go2rtc stream (the
 *   go2rtc double, real FFmpeg fMP4); each fragment's arrival through the relay minus its arrival at
 *   the direct viewer is the added latency; throughput = bytes per second per viewer vs direct.
 * Prints one JSON line per part. Goals: >= 0.9x throughput, <= 2 ms added p99.
 * Run `npm run build` first (the server runs compiled, as in the add-on).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { startServerProcess } from './lib/server-process.js';

const VIEWERS = 50;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const GO2RTC_DOUBLE = join(fileURLToPath(new URL('..', import.meta.url)), 'test/doubles/go2rtc/go2rtc');
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * VIEWERS clients fetching `next()` for SECONDS: at the live rate (one segment a second each, as
 * players do) when `intervalMs` is 1000, or as fast as they can (saturation) when it is 0.
 */
async function load(next: () => Promise<string>, intervalMs: number) {
  const latencies: number[] = [];
  let bytes = 0;
  let errors = 0;
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: VIEWERS }, async () => {
      // Live viewers do not start in step: spread their first requests over one interval.
      if (intervalMs > 0) await sleep(Math.random() * intervalMs);
      while (performance.now() < end) {
        const url = await next();
        const t = performance.now();
        const due = t + intervalMs;
        try {
          const res = await fetch(url);
          const buf = await res.arrayBuffer();
          if (!res.ok) errors++;
          else {
            bytes += buf.byteLength;
            latencies.push(performance.now() - t);
          }
        } catch {
          errors++;
        }
        if (intervalMs > 0) await sleep(Math.max(0, due - performance.now()));
      }
    }),
  );
  return { mbPerS: bytes / SECONDS / 1e6, p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), requests: latencies.length, errors };
}

const server = await startServerProcess({ TOPOSYNC_STREAMING_GO2RTC_PATH: GO2RTC_DOUBLE });
try {
  await server.request('POST', '/api/cameras', { id: 'bench', name: 'Bench', sources: [{ id: 'main', url: 'rtsp://127.0.0.1:9/bench' }] });
  const engine = await server.request('GET', '/api/streams/engine/status');
  const tx = (await server.request('GET', '/api/streams/transmissions'))[0].id as string;
  await sleep(1500); // the runtime syncs the new path into the engine on its next tick
  await fetch(`${engine.api_url}/_double/paths/cam/bench/main/hls`, { method: 'POST', body: '{"source":"testsrc"}', headers: { 'content-type': 'application/json' } });

  // HLS through the proxy: learn the live segment name from the media playlist, refresh it every second.
  const plan = await server.request('GET', `/api/streams/transmissions/${tx}/playback-plan?client=app&context=large`);
  const master = new URL(plan.transports.find((t: { transport: string }) => t.transport === 'hls').url, server.base);
  const media = new URL((await (await fetch(master)).text()).split('\n').find((l) => l && !l.startsWith('#'))!, master);
  const direct = new URL(`http://127.0.0.1:${engine.ports.hls.actual}/cam/bench/main/index.m3u8`);
  const directMedia = new URL((await (await fetch(direct)).text()).split('\n').find((l) => l && !l.startsWith('#'))!, direct);
  const latest = async (playlist: URL) => {
    const lines = (await (await fetch(playlist)).text()).split('\n').filter((l) => l && !l.startsWith('#'));
    return new URL(lines.at(-1)!, playlist).toString();
  };
  let proxied = await latest(media);
  let straight = await latest(directMedia);
  const refresh = setInterval(() => {
    void latest(media).then((u) => (proxied = u), () => undefined);
    void latest(directMedia).then((u) => (straight = u), () => undefined);
  }, 1000);
  for (const [mode, intervalMs] of [['live_rate', 1000], ['saturation', 0]] as const) {
  const viaProxy = await load(async () => proxied, intervalMs);
  const viaDirect = await load(async () => straight, intervalMs);
  console.log(
    JSON.stringify({
      bench: 'proxy_hls',
      mode,
      viewers: VIEWERS,
      seconds: SECONDS,
      proxy_mb_per_s: +viaProxy.mbPerS.toFixed(1),
      direct_mb_per_s: +viaDirect.mbPerS.toFixed(1),
      throughput_ratio: +(viaProxy.mbPerS / viaDirect.mbPerS).toFixed(2),
      proxy_p50_ms: +viaProxy.p50.toFixed(2),
      proxy_p99_ms: +viaProxy.p99.toFixed(2),
      direct_p50_ms: +viaDirect.p50.toFixed(2),
      direct_p99_ms: +viaDirect.p99.toFixed(2),
      added_p99_ms: +(viaProxy.p99 - viaDirect.p99).toFixed(2),
      errors: viaProxy.errors + viaDirect.errors,
      goal_throughput_ratio: 0.9,
      goal_added_p99_ms: 2,
    }),
  );
  }
  clearInterval(refresh);

  // MSE: fragments tagged by their moof sequence number, arrival times compared with a direct viewer.
  await sleep(1500); // the sidecar follows the plan once a second
  const mse = await server.request('GET', '/api/streams/mse/status');
  if (mse.state !== 'running') throw new Error(`go2rtc double not running: ${JSON.stringify(mse)}`);
  const mplan = await server.request('GET', `/api/streams/transmissions/${tx}/playback-plan?client=web&context=grid`);
  const mseUrl = server.base.replace('http', 'ws') + mplan.transports.find((t: { transport: string }) => t.transport === 'mse').url;
  const seqOf = (b: Buffer) => (b.length > 24 && b.toString('latin1', 4, 8) === 'moof' && b.toString('latin1', 12, 16) === 'mfhd' ? b.readUInt32BE(20) : null);
  function viewer(url: string) {
    const arrivals = new Map<number, number>();
    let bytes = 0;
    const ws = new WebSocket(url);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'mse', value: 'avc1.640029,avc1.42E01E' })));
    ws.on('message', (data: Buffer, binary: boolean) => {
      if (!binary) return;
      bytes += data.length;
      const seq = seqOf(data);
      if (seq !== null) arrivals.set(seq, performance.now());
    });
    return { ws, arrivals, bytes: () => bytes };
  }
  const directUrl = `${mse.api_url.replace('http', 'ws')}/api/ws?src=cam~bench~main`;
  /**
   * One reference viewer straight on go2rtc plus 50 others: each fragment's arrival at the 50
   * minus its arrival at the reference. Run once with the 50 also direct (the control: the
   * double's fan-out order and this process's own event loop spread arrivals too) and once
   * relayed; the relay adds the difference.
   */
  async function phase(url: string) {
    const reference = viewer(directUrl);
    const others = Array.from({ length: VIEWERS }, () => viewer(url));
    await sleep(3000); // everyone past the init segment
    const b0 = { ref: reference.bytes(), others: others.map((v) => v.bytes()) };
    await sleep(SECONDS * 1000);
    const refRate = (reference.bytes() - b0.ref) / SECONDS;
    const rates = others.map((v, i) => (v.bytes() - b0.others[i]!) / SECONDS);
    const delays: number[] = [];
    for (const v of others) for (const [seq, t] of v.arrivals) {
      const r = reference.arrivals.get(seq);
      if (r !== undefined) delays.push(t - r);
    }
    [reference, ...others].forEach((v) => v.ws.close());
    await sleep(500);
    return { refRate, minRate: Math.min(...rates), delays };
  }
  const control = await phase(directUrl);
  const relay = await phase(mseUrl);
  console.log(
    JSON.stringify({
      bench: 'proxy_mse',
      viewers: VIEWERS,
      seconds: SECONDS,
      direct_kb_per_s: +(relay.refRate / 1000).toFixed(1),
      relayed_kb_per_s_min: +(relay.minRate / 1000).toFixed(1),
      throughput_ratio_min: +(relay.minRate / relay.refRate).toFixed(2),
      fragments_compared: relay.delays.length,
      control_spread_p50_ms: +pct(control.delays, 0.5).toFixed(2),
      control_spread_p99_ms: +pct(control.delays, 0.99).toFixed(2),
      relayed_spread_p50_ms: +pct(relay.delays, 0.5).toFixed(2),
      relayed_spread_p99_ms: +pct(relay.delays, 0.99).toFixed(2),
      added_p50_ms: +(pct(relay.delays, 0.5) - pct(control.delays, 0.5)).toFixed(2),
      added_p99_ms: +(pct(relay.delays, 0.99) - pct(control.delays, 0.99)).toFixed(2),
      goal_throughput_ratio: 0.9,
      goal_added_p99_ms: 2,
    }),
  );
} finally {
  await server.stop();
}
