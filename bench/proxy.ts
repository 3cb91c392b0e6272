/**
 * The HLS proxy and the MSE relay against going direct, with 50 concurrent viewers.
 * - HLS: 50 clients fetch the live segment through the proxy, and the same directly from the
 *   engine's HLS listener (the MediaMTX double serving FFmpeg-made HLS), at the live rate (one
 *   segment a second each, as players do) and as fast as they can (saturation). The 50 ask for the
 *   same live segment, so through the proxy the first request per segment reaches the engine and the
 *   others are answered from the proxy's shared segment cache, as with real viewers of one camera.
 * - MSE: 50 viewers through the relay and one direct reference viewer on the same go2rtc stream (the
 *   go2rtc double, real FFmpeg fMP4); each fragment's arrival at a viewer minus its arrival at the
 *   reference is its delay, measured once with the 50 relayed and once with the 50 direct (the
 *   control); the relay adds the difference.
 * Proxy and direct (relay and control) run in alternating rounds, after a warm-up round, so that
 * whatever else the machine does hits both alike; each figure is the median over the rounds of the
 * per-round comparison, and the p99 over all rounds' samples pooled is given too. CPU seconds per MB
 * of the server, the double and this client show where a saturated machine spends its cores.
 * Prints one JSON line per part. Goals: >= 0.9x throughput, <= 2 ms added p99.
 * BENCH_ROUNDS (default 5) and BENCH_SECONDS per side and round (default 6) set the length.
 * Against the real engines when TOPOSYNC_STREAMING_MEDIAMTX_PATH / TOPOSYNC_STREAMING_GO2RTC_PATH name
 * them (`npm run bench:real-engines` runs it so): the camera is then a GStreamer RTSP camera that the
 * real MediaMTX pulls, instead of the double's FFmpeg-made HLS; each line says its `target`.
 * Run `npm run build` first (the server runs compiled, as in the add-on).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { startRtspCamera } from '../test/media/rtsp-camera.js';
import { childWithArg, machineJiffies, MEDIAMTX_DOUBLE, procStats, startServerProcess } from './lib/server-process.js';

const VIEWERS = 50;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GO2RTC_DOUBLE = join(ROOT, 'test/doubles/go2rtc/go2rtc');
// eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- an empty variable means unset
const REAL_MEDIAMTX = process.env.TOPOSYNC_STREAMING_MEDIAMTX_PATH || null;
// eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- an empty variable means unset
const REAL_GO2RTC = process.env.TOPOSYNC_STREAMING_GO2RTC_PATH || null;
const TARGET = `${REAL_MEDIAMTX ? 'real MediaMTX' : 'MediaMTX double'}, ${REAL_GO2RTC ? 'real go2rtc' : 'go2rtc double'}`;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;
const median = (xs: number[]) => pct(xs, 0.5);
const r2 = (x: number) => +x.toFixed(2);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds spent by the server, the MediaMTX double and this client, and the machine's busy share, during `run`. */
async function withCpu<T>(pids: { server: number; double: number | null }, run: () => Promise<T>) {
  const cpu = async () => ({
    server: (await procStats(pids.server)).cpuSeconds,
    double: pids.double === null ? NaN : (await procStats(pids.double)).cpuSeconds,
    client: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    machine: await machineJiffies(),
  });
  const a = await cpu();
  const result = await run();
  const b = await cpu();
  return {
    result,
    cpu: { server: b.server - a.server, double: b.double - a.double, client: b.client - a.client, machineBusy: (b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total) },
  };
}

/**
 * VIEWERS clients fetching `next()` for `seconds`: at the live rate (one segment a second each, as
 * players do) when `intervalMs` is 1000, or as fast as they can (saturation) when it is 0.
 */
async function load(next: () => string, intervalMs: number, seconds: number) {
  const latencies: number[] = [];
  let bytes = 0;
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: VIEWERS }, async () => {
      // Live viewers do not start in step: spread their first requests over one interval.
      if (intervalMs > 0) await sleep(Math.random() * intervalMs);
      while (performance.now() < end) {
        const url = next();
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
  return { mbPerS: bytes / seconds / 1e6, mb: bytes / 1e6, p99: pct(latencies, 0.99), latencies, errors };
}

// The real MediaMTX pulls a real camera; the double serves FFmpeg-made HLS for a camera it never reads.
const camera = REAL_MEDIAMTX ? await startRtspCamera({ codec: 'h264', width: 1280, height: 720, fps: 15 }) : null;
const server = await startServerProcess({ TOPOSYNC_STREAMING_MEDIAMTX_PATH: REAL_MEDIAMTX ?? MEDIAMTX_DOUBLE, TOPOSYNC_STREAMING_GO2RTC_PATH: REAL_GO2RTC ?? GO2RTC_DOUBLE });
try {
  await server.request('POST', '/api/cameras', { id: 'bench', name: 'Bench', sources: [{ id: 'main', url: camera?.url ?? 'rtsp://127.0.0.1:9/bench' }] });
  const engine = await server.request('GET', '/api/streams/engine/status');
  const tx = (await server.request('GET', '/api/streams/transmissions'))[0].id as string;
  await sleep(1500); // the runtime syncs the new path into the engine on its next tick
  if (!REAL_MEDIAMTX) await fetch(`${engine.api_url}/_double/paths/cam/bench/main/hls`, { method: 'POST', body: '{"source":"testsrc"}', headers: { 'content-type': 'application/json' } });

  // HLS through the proxy: learn the live segment name from the media playlist, refresh it every second.
  const plan = await server.request('GET', `/api/streams/transmissions/${tx}/playback-plan?client=app&context=large`);
  const master = new URL(plan.transports.find((t: { transport: string }) => t.transport === 'hls').url, server.base);
  const media = new URL(
    (await (await fetch(master)).text()).split('\n').find((l) => l && !l.startsWith('#'))!,
    master,
  );
  const direct = new URL(`http://127.0.0.1:${engine.ports.hls.actual}/cam/bench/main/index.m3u8`);
  const directMedia = new URL(
    (await (await fetch(direct)).text()).split('\n').find((l) => l && !l.startsWith('#'))!,
    direct,
  );
  const latest = async (playlist: URL) => {
    const lines = (await (await fetch(playlist)).text()).split('\n').filter((l) => l && !l.startsWith('#'));
    return new URL(lines.at(-1)!, playlist).toString();
  };
  // Read synchronously by every request: both sides pay the same for knowing the live segment.
  let proxied = await latest(media);
  let straight = await latest(directMedia);
  const refresh = setInterval(() => {
    void latest(media).then(
      (u) => (proxied = u),
      () => undefined,
    );
    void latest(directMedia).then(
      (u) => (straight = u),
      () => undefined,
    );
  }, 1000);
  const pids = { server: server.pid, double: await childWithArg(server.pid, REAL_MEDIAMTX ?? 'doubles/mediamtx') };
  for (const [mode, intervalMs] of [
    ['live_rate', 1000],
    ['saturation', 0],
  ] as const) {
    await load(() => proxied, intervalMs, 2); // warm-up: connections, JIT, the upstream session
    await load(() => straight, intervalMs, 2);
    const measure = (url: () => string) => withCpu(pids, () => load(url, intervalMs, SECONDS));
    type Measured = Awaited<ReturnType<typeof measure>>;
    const rounds: { ratio: number; addedP99: number }[] = [];
    const sides: { proxy: Measured[]; direct: Measured[] } = { proxy: [], direct: [] };
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which side goes first, so a drift in background load favours neither.
      const first = r % 2 === 0 ? 'proxy' : 'direct';
      const a = await measure(first === 'proxy' ? () => proxied : () => straight);
      const b = await measure(first === 'proxy' ? () => straight : () => proxied);
      const [p, d] = first === 'proxy' ? [a, b] : [b, a];
      sides.proxy.push(p);
      sides.direct.push(d);
      rounds.push({ ratio: p.result.mbPerS / d.result.mbPerS, addedP99: p.result.p99 - d.result.p99 });
    }
    const pooled = (side: Measured[]) => side.flatMap((m) => m.result.latencies);
    const perMb = (side: Measured[], who: 'server' | 'double' | 'client') => (side.reduce((a, m) => a + m.cpu[who], 0) * 1000) / side.reduce((a, m) => a + m.result.mb, 0);
    const busy = (side: Measured[]) => median(side.map((m) => m.cpu.machineBusy));
    console.log(
      JSON.stringify({
        bench: 'proxy_hls',
        target: TARGET,
        mode,
        viewers: VIEWERS,
        rounds: ROUNDS,
        seconds_per_side_and_round: SECONDS,
        proxy_mb_per_s: r2(median(sides.proxy.map((m) => m.result.mbPerS))),
        direct_mb_per_s: r2(median(sides.direct.map((m) => m.result.mbPerS))),
        throughput_ratio: r2(median(rounds.map((x) => x.ratio))),
        added_p99_ms: r2(median(rounds.map((x) => x.addedP99))),
        round_ratios: rounds.map((x) => r2(x.ratio)),
        round_added_p99_ms: rounds.map((x) => r2(x.addedP99)),
        proxy_p50_ms: r2(pct(pooled(sides.proxy), 0.5)),
        direct_p50_ms: r2(pct(pooled(sides.direct), 0.5)),
        pooled_proxy_p99_ms: r2(pct(pooled(sides.proxy), 0.99)),
        pooled_direct_p99_ms: r2(pct(pooled(sides.direct), 0.99)),
        pooled_added_p99_ms: r2(pct(pooled(sides.proxy), 0.99) - pct(pooled(sides.direct), 0.99)),
        requests: { proxy: pooled(sides.proxy).length, direct: pooled(sides.direct).length },
        errors: [...sides.proxy, ...sides.direct].reduce((a, m) => a + m.result.errors, 0),
        cpu_ms_per_mb: {
          proxy: { server: r2(perMb(sides.proxy, 'server')), double: r2(perMb(sides.proxy, 'double')), client: r2(perMb(sides.proxy, 'client')) },
          direct: { server: r2(perMb(sides.direct, 'server')), double: r2(perMb(sides.direct, 'double')), client: r2(perMb(sides.direct, 'client')) },
        },
        machine_busy: { proxy: r2(busy(sides.proxy)), direct: r2(busy(sides.direct)) },
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
  const msePath: string = mplan.transports.find((t: { transport: string }) => t.transport === 'mse').url;
  const mseUrl = server.base.replace('http', 'ws') + msePath;
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
  async function phase(url: string, seconds: number) {
    const reference = viewer(directUrl);
    const others = Array.from({ length: VIEWERS }, () => viewer(url));
    await sleep(3000); // everyone past the init segment
    const b0 = { ref: reference.bytes(), others: others.map((v) => v.bytes()) };
    const from = performance.now();
    await sleep(seconds * 1000);
    const refRate = (reference.bytes() - b0.ref) / seconds;
    const rates = others.map((v, i) => (v.bytes() - b0.others[i]!) / seconds);
    const delays: number[] = [];
    for (const v of others)
      for (const [seq, t] of v.arrivals) {
        const r = reference.arrivals.get(seq);
        // Only the measured window: not the connection start-up.
        if (r !== undefined && r >= from) delays.push(t - r);
      }
    [reference, ...others].forEach((v) => v.ws.close());
    await sleep(500);
    return { refRate, minRate: Math.min(...rates), delays };
  }
  await phase(mseUrl, 3); // warm-up: the relay's go2rtc connections, JIT
  const rounds: { control: Awaited<ReturnType<typeof phase>>; relay: Awaited<ReturnType<typeof phase>> }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which goes first, so a drift in background load favours neither.
    if (r % 2 === 0) rounds.push({ control: await phase(directUrl, SECONDS), relay: await phase(mseUrl, SECONDS) });
    else {
      const relay = await phase(mseUrl, SECONDS);
      rounds.push({ control: await phase(directUrl, SECONDS), relay });
    }
  }
  const all = (which: 'control' | 'relay') => rounds.flatMap((x) => x[which].delays);
  console.log(
    JSON.stringify({
      bench: 'proxy_mse',
      target: TARGET,
      viewers: VIEWERS,
      rounds: ROUNDS,
      seconds_per_side_and_round: SECONDS,
      direct_kb_per_s: r2(median(rounds.map((x) => x.relay.refRate / 1000))),
      relayed_kb_per_s_min: r2(median(rounds.map((x) => x.relay.minRate / 1000))),
      throughput_ratio_min: r2(median(rounds.map((x) => x.relay.minRate / x.relay.refRate))),
      added_p50_ms: r2(median(rounds.map((x) => pct(x.relay.delays, 0.5) - pct(x.control.delays, 0.5)))),
      added_p99_ms: r2(median(rounds.map((x) => pct(x.relay.delays, 0.99) - pct(x.control.delays, 0.99)))),
      round_added_p99_ms: rounds.map((x) => r2(pct(x.relay.delays, 0.99) - pct(x.control.delays, 0.99))),
      fragments_compared: { control: all('control').length, relay: all('relay').length },
      pooled_control_spread_p99_ms: r2(pct(all('control'), 0.99)),
      pooled_relayed_spread_p99_ms: r2(pct(all('relay'), 0.99)),
      pooled_added_p99_ms: r2(pct(all('relay'), 0.99) - pct(all('control'), 0.99)),
      goal_throughput_ratio: 0.9,
      goal_added_p99_ms: 2,
    }),
  );
} finally {
  await server.stop();
  await camera?.stop();
}
