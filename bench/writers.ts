/**
 * 4 writers x 1280x720 JPEG at 15 fps into one transmission, 20 s: frames out per second at the
 * engine's RTSP listener (an FFmpeg receiver stands in for MediaMTX), dropped frames, and CPU of
 * the server process (its FFmpeg children are separate processes, not counted).
 * Prints one JSON line. Goals: 15 fps out, 0 dropped, < 10% of a core.
 * Run `npm run build` first (the server runs compiled, as in the add-on).
 */
import WebSocket from 'ws';
import { generatedTransmissionId } from '../src/domain/ids.js';
import { execFileSync } from 'node:child_process';
import { stopAllMediaProcesses } from '../test/media/proc.js';
import { startRtspReceiver } from '../test/media/rtsp-receiver.js';
import { procStats, startServerProcess } from './lib/server-process.js';

const WRITERS = 4;
const FPS = 15;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const COLORS = ['red', 'green', 'blue', 'yellow'];

/** A camera-like 1280x720 frame (test pattern, ~45 KB), not a tiny solid one, tinted per writer. */
function detailedJpeg(color: string): Buffer {
  return execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=s=1280x720',
    '-vf',
    `drawbox=c=${color}@0.5:t=fill:w=640:h=360`,
    '-frames:v',
    '1',
    '-q:v',
    '4',
    '-f',
    'mjpeg',
    '-',
  ]);
}

const server = await startServerProcess();
const sockets: WebSocket[] = [];
let running = true;
try {
  await server.request('PUT', '/api/streams/pipelines/bench', { nodes: [{ id: 'out', type: 'stream.publish_video', config: { publication_enabled: true, publication_quality_profile_id: 'hd' } }] });
  const tx = generatedTransmissionId('pipeline:bench:out');
  const engine = await server.request('GET', '/api/streams/engine/status');
  const receiver = await startRtspReceiver({ port: engine.ports.rtsp.actual, path: 'pipe/bench/out', keepLastPixels: false });
  // The API never shows the generated token; the benchmark sets its own, as an admin would.
  const token = `bench-${Math.random().toString(36).slice(2)}-token`;
  await server.request('PATCH', '/api/streams/settings', { api_token: token });

  for (let i = 0; i < WRITERS; i++) {
    const ws = new WebSocket(`${server.base.replace('http', 'ws')}/api/streams/writers/ws?transmission_id=${tx}&writer_id=w${i}&priority=${i}`, { headers: { authorization: `Bearer ${token}` } });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    sockets.push(ws);
    const jpeg = detailedJpeg(COLORS[i]!);
    const start = performance.now();
    let n = 0;
    // Drift-free pacing: frame n leaves at start + n/FPS.
    const next = () => {
      if (!running) return;
      if (ws.readyState === WebSocket.OPEN) ws.send(jpeg);
      n++;
      setTimeout(next, Math.max(0, start + (n * 1000) / FPS - performance.now()));
    };
    next();
  }
  const beat = setInterval(() => void server.request('POST', `/api/streams/transmissions/${tx}/demand/heartbeat`, { client: 'web' }), 5000);
  await server.request('POST', `/api/streams/transmissions/${tx}/demand/heartbeat`, { client: 'web' });
  await receiver.waitForFrames(30, 30_000);
  await new Promise((r) => setTimeout(r, 3000)); // warm-up

  const framesBefore = receiver.frames().length;
  const healthBefore = await writerHealth(server, tx);
  const obsBefore = (await server.request('GET', '/api/streams/runtime/observability')).publishers;
  const cpuBefore = await procStats(server.pid);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const elapsed = (Date.now() - t0) / 1000;
  const cpuAfter = await procStats(server.pid);
  const framesOut = receiver.frames().length - framesBefore;
  const healthAfter = await writerHealth(server, tx);
  const obsAfter = (await server.request('GET', '/api/streams/runtime/observability')).publishers;
  clearInterval(beat);

  console.log(
    JSON.stringify({
      bench: 'writers',
      writers: WRITERS,
      input: `1280x720 JPEG (${Math.round(detailedJpeg('red').length / 1024)} KB) at ${FPS} fps each`,
      seconds: Math.round(elapsed),
      selected_writer: healthAfter.selected,
      fps_out: +(framesOut / elapsed).toFixed(2),
      frames_received_from_selected: healthAfter.received - healthBefore.received,
      dropped_selected_writer: healthAfter.dropped - healthBefore.dropped,
      skipped_by_backpressure: obsAfter.frames_skipped - obsBefore.frames_skipped,
      server_cpu_percent_of_core: +(((cpuAfter.cpuSeconds - cpuBefore.cpuSeconds) / elapsed) * 100).toFixed(2),
      server_rss_mb: +(cpuAfter.rssBytes / 1024 / 1024).toFixed(1),
      goal_fps_out: FPS,
      goal_dropped: 0,
      goal_cpu_percent: 10,
    }),
  );
  await receiver.stop();
} finally {
  running = false;
  sockets.forEach((s) => s.terminate());
  await server.stop();
  await stopAllMediaProcesses();
}

async function writerHealth(s: typeof server, tx: string) {
  const h = ((await s.request('GET', '/api/streams/runtime/health')) as any[]).find((x) => x.transmission_id === tx);
  const w = h.writers.find((x: { id: string }) => x.id === h.selected_writer_id);
  return { selected: h.selected_writer_id as string, received: w?.frames_received ?? 0, dropped: w?.dropped ?? 0 };
}
