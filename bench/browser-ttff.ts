/**
 * Time to first frame in Debian's Chromium, per transport, through the real ingress panel: the
 * page is opened with `?transport=<t>` (the player plays only that one) and two figures are read:
 * `player_ms`, the player's own measure from starting the transport to its first frame
 * (`data-ttff-ms`), and `page_ms`, from navigation to the playing state (page load, plan, still,
 * demand and transport included). HLS comes from the MediaMTX test double (media by real FFmpeg),
 * MSE from the go2rtc test double (fMP4 by real FFmpeg), JSMpeg from the demo stream's frames.
 * Prints one JSON line per transport. WebRTC is not measured: neither double has a WebRTC plane.
 */
import { DOUBLE_BIN as GO2RTC_DOUBLE } from '../test/doubles/go2rtc/release.js';
import { startRig } from '../test/browser/rig.js';
import { MEDIAMTX_DOUBLE } from '../test/runtime/server-harness.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const TRANSPORTS = ['jsmpeg', 'hls', 'mse'] as const;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const rig = await startRig({ mediamtxPath: MEDIAMTX_DOUBLE, go2rtcPath: GO2RTC_DOUBLE, demo: true, heartbeatTtlMs: 2_000 }, { mse: { enabled: true }, demand: { debounce_s: 0 } });
const { server, ingress, browser } = rig;
await server.streaming.sidecar.start();
const doubleApi = `http://127.0.0.1:${server.streaming.store.get().streaming.engine.api_port}`;
const hls = await fetch(`${doubleApi}/_double/paths/pipe/demo/video/hls`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ source: 'testsrc', size: '640x360', fps: 10 }),
});
if (hls.status >= 300) throw new Error(`HLS source refused: ${hls.status}`);

try {
  for (const transport of TRANSPORTS) {
    const player: number[] = [];
    const page: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const p = await context.newPage();
      const t0 = Date.now();
      await p.goto(`${ingress.url}?transport=${transport}`);
      await p.waitForSelector(`[data-player][data-state="playing"][data-transport="${transport}"]`, { timeout: 30_000 });
      page.push(Date.now() - t0);
      player.push(Number(await p.getAttribute('[data-player]', 'data-ttff-ms')));
      await context.close();
      // Let demand lapse so every run starts cold (the demo writer and publishers stop).
      await new Promise((r) => setTimeout(r, 3_000));
    }
    console.log(JSON.stringify({ bench: 'browser-ttff', transport, runs: RUNS, player_ms_median: median(player), page_ms_median: median(page), player_ms: player, page_ms: page }));
  }
} finally {
  await rig.close();
}
