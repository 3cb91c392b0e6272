/**
 * Playing through a peer vs playing on the host directly (issue 14), in the same run: two server
 * processes on 127.0.0.1, A gives its demo stream to B to host (the setup of
 * test/distributed/pair.ts, but each server its own compiled process, as the other benches run it, so
 * that neither server's work lands on the other's or the client's event loop, as on two machines).
 * - proxied: A's playback plan (A's media tokens); A fetches from B;
 * - direct: B's own URLs for the same media, as B answers its peer (`/internal/.../urls`, B's tokens).
 * Both sides alternate, which goes first alternating too, over BENCH_ROUNDS rounds (default 5), after
 * a warm-up round. The stream stays warm (heartbeats through A), so this is what the peer hop adds,
 * not an encoder start:
 * - time to first frame: HLS from the first playlist request to the first media segment fully
 *   received (init segment and the newest segment, as a player starting at the live edge); JSMpeg from
 *   opening the socket to the first frame out of a decoder (as bench/ttff.ts);
 * - per request: BENCH_REQUESTS (default 60) sequential GETs per round and side of the media playlist
 *   and of one segment; p50/p99 pooled over the rounds, and the added p99 (proxied - direct) as the
 *   median of the rounds' and pooled.
 * Against the real MediaMTX when TOPOSYNC_STREAMING_MEDIAMTX_PATH names it (HLS from B's publisher),
 * else the MediaMTX double (HLS from its test source). Prints one JSON line. Run `npm run build` first.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { prepareDoc } from '../src/control/bootstrap.js';
import { DEMO_TRANSMISSION_ID as TX } from '../src/demo/pipeline.js';
import { openSettingsStore } from '../src/store/settings-store.js';
import { captureLogger } from '../test/fixtures/proc-helpers.js';
import { makeDataDir, removeDataDir } from '../test/support/data-dir.js';
import { freePort } from '../test/support/ports.js';
import { waitFor } from '../test/support/wait.js';
import { firstFrameDecoder, median } from './lib/first-frame.js';
import { machineJiffies, MEDIAMTX_DOUBLE, startServerProcess } from './lib/server-process.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 60);
const TIMEOUT_MS = 20_000;
// eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- an empty variable means unset
const REAL_MEDIAMTX = process.env.TOPOSYNC_STREAMING_MEDIAMTX_PATH || null;
const DEMO_PATH = 'pipe/demo/video';
// Fresh each run and never printed: only these two processes know it.
const SECRET = randomBytes(24).toString('base64url');
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;
const r2 = (x: number) => +x.toFixed(2);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const uris = (playlist: string) => playlist.split('\n').filter((l) => l && !l.startsWith('#'));

async function get(url: URL): Promise<Buffer> {
  const res = await fetch(url);
  const body = Buffer.from(await res.arrayBuffer());
  if (!res.ok) throw new Error(`GET ${url.pathname}: ${res.status}`);
  return body;
}

// B's settings exist before its first start, so it adds no demo of its own (as pair.ts); its engine gets free ports, A's keeps the defaults.
const bDir = await makeDataDir('toposync-bench-peer-b');
const seed = await openSettingsStore({ dataDir: bDir, logger: captureLogger('info').logger });
const enginePorts = { rtsp_port: await freePort(), hls_port: await freePort(), webrtc_port: await freePort(), api_port: await freePort(), webrtc_udp_port: await freePort() };
await seed.update((draft) => {
  Object.assign(draft, prepareDoc(draft));
  draft.streaming.server_id = 'nas';
  Object.assign(draft.streaming.engine, enginePorts);
});
await seed.close();
const env = { TOPOSYNC_STREAMING_MEDIAMTX_PATH: REAL_MEDIAMTX ?? MEDIAMTX_DOUBLE };
const b = await startServerProcess({ ...env, TOPOSYNC_STREAMING_DATA_DIR: bDir });
const a = await startServerProcess(env);
const heartbeat = setInterval(() => void a.request('POST', `/api/streams/transmissions/${TX}/demand/heartbeat`, { client: 'web' }).catch(() => undefined), 2000);
try {
  await b.request('PATCH', '/api/streams/settings', { peers: [{ id: 'local', name: 'Home Assistant', base_url: a.base, secret: SECRET }] });
  await a.request('PATCH', '/api/streams/settings', { peers: [{ id: 'nas', name: 'NAS', base_url: b.base, secret: SECRET }] });
  const demo = await a.request('GET', '/api/streams/pipelines/demo');
  await a.request('PUT', '/api/streams/pipelines/demo', { enabled: demo.enabled, description: demo.description, nodes: demo.nodes, processing_server_id: 'nas' });

  /** B's own URLs for the demo's media, as B gives them to its peer (B's tokens), absolute. */
  const directUrls = async () => {
    const res = await fetch(`${b.base}/api/streams/internal/transmissions/${TX}/urls`, { headers: { 'x-toposync-peer': 'local', authorization: `Bearer ${SECRET}` } });
    const out = res.ok ? ((await res.json()) as { peer?: { outputs: { hls?: string; jsmpeg?: string }[] } }).peer?.outputs[0] : undefined;
    return out?.hls && out.jsmpeg ? { hls: new URL(out.hls, b.base), jsmpeg: new URL(out.jsmpeg, b.base.replace(/^http/, 'ws')) } : undefined;
  };
  /** A's plan URLs (A's tokens), absolute. */
  const proxiedUrls = async () => {
    const plan = await a.request('GET', `/api/streams/transmissions/${TX}/playback-plan?client=web`);
    const url = (name: string) => (plan.transports as { transport: string; available: boolean; url: string | null }[]).find((t) => t.transport === name && t.available)?.url;
    const [hls, jsmpeg] = [url('hls'), url('jsmpeg')];
    return hls && jsmpeg ? { hls: new URL(hls, a.base), jsmpeg: new URL(jsmpeg, a.base.replace(/^http/, 'ws')) } : undefined;
  };
  await waitFor('B to host the demo stream A gave it', directUrls, 60_000, { intervalMs: 250 });
  await waitFor("A's plan to offer HLS and JSMpeg through B", proxiedUrls, 60_000, { intervalMs: 250 });
  if (!REAL_MEDIAMTX) {
    const engine = await b.request('GET', '/api/streams/engine/status');
    const res = await fetch(`${engine.api_url}/_double/paths/${DEMO_PATH}/hls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'testsrc', size: '640x360', fps: 10 }),
    });
    if (!res.ok) throw new Error(`the MediaMTX double refused the HLS source: ${res.status}`);
  }

  /** The media playlist behind a multivariant one, and its segments' URLs (init first when there is one). */
  const mediaOf = async (master: URL) => {
    const media = new URL(uris((await get(master)).toString())[0]!, master);
    for (;;) {
      const text = (await get(media)).toString();
      const segments = uris(text);
      if (segments.length > 0) {
        const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(text)?.[1];
        return { media, init: init ? new URL(init, media) : null, newest: new URL(segments.at(-1)!, media) };
      }
      await sleep(100); // the muxer has no segment yet (only before the first one)
    }
  };
  const hlsFirstFrame = async (master: URL) => {
    const t0 = performance.now();
    const { init, newest } = await mediaOf(master);
    if (init) await get(init);
    await get(newest);
    return performance.now() - t0;
  };
  const jsmpegFirstFrame = async (url: URL) => {
    const dec = firstFrameDecoder();
    const t0 = performance.now();
    const ws = new WebSocket(url);
    ws.on('message', (data: Buffer, binary: boolean) => {
      if (binary) dec.write(data);
    });
    ws.on('error', () => undefined);
    try {
      return (await Promise.race([dec.firstFrame, sleep(TIMEOUT_MS).then(() => Promise.reject(new Error(`no JSMpeg frame from ${url.host}`)))])) - t0;
    } finally {
      ws.close();
      await dec.stop();
      await sleep(300); // let the session's FFmpeg go before the next
    }
  };
  const errors = { count: 0 };
  /** REQUESTS sequential GETs; the URL is taken again (untimed) every few requests, as a segment leaves the live window within seconds. */
  const latencies = async (next: () => Promise<URL>) => {
    const ms: number[] = [];
    let url = await next();
    for (let i = 0; i < REQUESTS; i++) {
      if (i > 0 && i % 10 === 0) url = await next();
      const t = performance.now();
      // A refused request is counted, not timed: one 503 under load must not end the run.
      const ok = await get(url).then(
        () => true,
        () => false,
      );
      if (ok) ms.push(performance.now() - t);
      else errors.count++;
    }
    return ms;
  };
  /** One side's round: fresh URLs (tokens expire), then its first frames, then its request latencies. */
  const side = async (urls: () => Promise<{ hls: URL; jsmpeg: URL } | undefined>) => {
    const u = await waitFor('playback URLs', urls, TIMEOUT_MS, { intervalMs: 250 });
    const hlsTtff = await hlsFirstFrame(u.hls);
    const jsmpegTtff = await jsmpegFirstFrame(u.jsmpeg);
    const { media } = await mediaOf(u.hls);
    return { hlsTtff, jsmpegTtff, playlist: await latencies(async () => media), segment: await latencies(async () => (await mediaOf(u.hls)).newest) };
  };
  type Side = Awaited<ReturnType<typeof side>>;

  await side(proxiedUrls); // warm-up: connections, JIT, the muxer and the relays
  await side(directUrls);
  const rounds: { proxied: Side; direct: Side }[] = [];
  const m0 = await machineJiffies();
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which side goes first, so a drift in background load favours neither.
    if (r % 2 === 0) {
      const proxied = await side(proxiedUrls);
      rounds.push({ proxied, direct: await side(directUrls) });
    } else {
      const direct = await side(directUrls);
      rounds.push({ proxied: await side(proxiedUrls), direct });
    }
  }

  const m1 = await machineJiffies();
  const of = (which: 'proxied' | 'direct', key: 'hlsTtff' | 'jsmpegTtff') => rounds.map((x) => x[which][key]);
  const ttff = (key: 'hlsTtff' | 'jsmpegTtff') => ({
    proxied_ms_median: r2(median(of('proxied', key))),
    direct_ms_median: r2(median(of('direct', key))),
    added_ms: r2(median(rounds.map((x) => x.proxied[key] - x.direct[key]))),
    round_added_ms: rounds.map((x) => r2(x.proxied[key] - x.direct[key])),
  });
  const perRequest = (key: 'playlist' | 'segment') => {
    const pooled = (which: 'proxied' | 'direct') => rounds.flatMap((x) => x[which][key]);
    return {
      proxied_p50_ms: r2(pct(pooled('proxied'), 0.5)),
      direct_p50_ms: r2(pct(pooled('direct'), 0.5)),
      proxied_p99_ms: r2(pct(pooled('proxied'), 0.99)),
      direct_p99_ms: r2(pct(pooled('direct'), 0.99)),
      added_p99_ms: r2(median(rounds.map((x) => pct(x.proxied[key], 0.99) - pct(x.direct[key], 0.99)))),
      pooled_added_p99_ms: r2(pct(pooled('proxied'), 0.99) - pct(pooled('direct'), 0.99)),
      round_added_p99_ms: rounds.map((x) => r2(pct(x.proxied[key], 0.99) - pct(x.direct[key], 0.99))),
      requests: { proxied: pooled('proxied').length, direct: pooled('direct').length },
    };
  };
  console.log(
    JSON.stringify({
      bench: 'peer',
      target: REAL_MEDIAMTX ? 'real MediaMTX' : 'MediaMTX double',
      rounds: ROUNDS,
      // The whole machine's busy share while the rounds ran, these processes included: a busy machine says so.
      machine_busy: r2((m1.busy - m0.busy) / (m1.total - m0.total)),
      hls_first_frame: ttff('hlsTtff'),
      jsmpeg_first_frame: ttff('jsmpegTtff'),
      media_playlist: perRequest('playlist'),
      segment: perRequest('segment'),
      errors: errors.count,
    }),
  );
} finally {
  clearInterval(heartbeat);
  await a.stop();
  await b.stop();
  await removeDataDir(bDir);
}
