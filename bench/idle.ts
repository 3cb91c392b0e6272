/**
 * 32 published cameras, nobody watching, 60 s: the server must encode nothing and pull no camera.
 * Prints one JSON line. Goals: 0 FFmpeg processes, server CPU < 1% of a core, RSS < 100 MB.
 * Run `npm run build` first (the server runs compiled, as in the add-on).
 */
import { childrenNamed, procStats, startServerProcess } from './lib/server-process.js';

const CAMERAS = 32;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);

const server = await startServerProcess();
try {
  for (let i = 0; i < CAMERAS; i++) {
    // Nothing listens there: with no viewer nothing may even try to connect.
    await server.request('POST', '/api/cameras', { name: `Camera ${i}`, sources: [{ url: `rtsp://127.0.0.1:9/cam${i}/main` }] });
  }
  const engine = await server.request('GET', '/api/streams/engine/status');
  await new Promise((r) => setTimeout(r, 2000)); // settle after the writes
  const before = await procStats(server.pid);
  const t0 = Date.now();
  let maxFfmpeg = 0;
  let maxRss = 0;
  while (Date.now() - t0 < SECONDS * 1000) {
    await new Promise((r) => setTimeout(r, 1000));
    maxFfmpeg = Math.max(maxFfmpeg, await childrenNamed(server.pid, 'ffmpeg'));
    maxRss = Math.max(maxRss, (await procStats(server.pid)).rssBytes);
  }
  const after = await procStats(server.pid);
  const elapsed = (Date.now() - t0) / 1000;
  console.log(
    JSON.stringify({
      bench: 'idle',
      cameras: CAMERAS,
      seconds: Math.round(elapsed),
      engine: engine.state,
      ffmpeg_processes_max: maxFfmpeg,
      server_cpu_percent_of_core: +(((after.cpuSeconds - before.cpuSeconds) / elapsed) * 100).toFixed(2),
      server_rss_mb_max: +(maxRss / 1024 / 1024).toFixed(1),
      goal_ffmpeg_processes: 0,
      goal_cpu_percent: 1,
      goal_rss_mb: 100,
    }),
  );
} finally {
  await server.stop();
}
