/**
 * Time to first frame of the JSMpeg fallback: from opening the signed WebSocket to the first frame
 * a decoder gets out of the received MPEG-TS, side by side with bare FFmpeg encoding the same
 * frames with the same arguments (from spawn to the first frame out of an identical decoder).
 * Prints one JSON line. Goal: ratio (JSMpeg / bare) <= 1.2.
 * Run `npm run build` first (the server runs compiled, as in the add-on).
 */
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import WebSocket from 'ws';
import { generatedTransmissionId } from '../src/domain/ids.js';
import { jsmpegArgs } from '../src/playback/jsmpeg/args.js';
import { firstFrameDecoder } from './lib/first-frame.js';
import { startServerProcess } from './lib/server-process.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const FPS = 10;
const jpeg = execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=s=1280x720', '-frames:v', '1', '-q:v', '4', '-f', 'mjpeg', '-']);

async function bare(): Promise<number> {
  const dec = firstFrameDecoder();
  const t0 = performance.now();
  const enc = execa('ffmpeg', jsmpegArgs({ width: 640, height: 360, fps: FPS }), { stdin: 'pipe', stdout: 'pipe', reject: false, buffer: false });
  enc.stdin.on('error', () => undefined);
  enc.stdout.on('data', (b: Buffer) => dec.write(b));
  // The same pacing as the server's pump: the first picture twice at once (so the encoder emits it
  // without waiting for a second one), then one per interval.
  enc.stdin.write(jpeg);
  enc.stdin.write(jpeg);
  const timer = setInterval(() => enc.stdin.write(jpeg), 1000 / FPS);
  const t = (await dec.firstFrame) - t0;
  clearInterval(timer);
  enc.kill('SIGKILL');
  await enc.catch(() => undefined);
  await dec.stop();
  return t;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const server = await startServerProcess();
try {
  const token = `bench-${Math.random().toString(36).slice(2)}-token`;
  await server.request('PATCH', '/api/streams/settings', { api_token: token, jsmpeg: { width: 640, fps: FPS } });
  await server.request('PUT', '/api/streams/pipelines/ttff', { nodes: [{ id: 'out', type: 'stream.publish_video', config: { publication_enabled: true } }] });
  const tx = generatedTransmissionId('pipeline:ttff:out');
  const wsBase = server.base.replace('http', 'ws');
  const writer = new WebSocket(`${wsBase}/api/streams/writers/ws?transmission_id=${tx}&writer_id=cam&priority=1`, { headers: { authorization: `Bearer ${token}` } });
  await new Promise((resolve, reject) => writer.once('open', resolve).once('error', reject));
  const feed = setInterval(() => writer.send(jpeg), 1000 / FPS);
  await new Promise((r) => setTimeout(r, 500));

  const jsmpeg: number[] = [];
  const direct: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const plan = await server.request('GET', `/api/streams/transmissions/${tx}/playback-plan?client=web&context=grid`);
    const url = plan.transports.find((t: { transport: string }) => t.transport === 'jsmpeg').url as string;
    const dec = firstFrameDecoder();
    const t0 = performance.now();
    const ws = new WebSocket(wsBase + url);
    ws.on('message', (b: Buffer) => dec.write(b));
    jsmpeg.push((await dec.firstFrame) - t0);
    ws.close();
    await dec.stop();
    direct.push(await bare());
    await new Promise((r) => setTimeout(r, 300)); // let the session's FFmpeg go before the next
  }
  clearInterval(feed);
  writer.close();
  const j = median(jsmpeg);
  const b = median(direct);
  console.log(
    JSON.stringify({
      bench: 'ttff',
      runs: RUNS,
      jsmpeg_first_frame_ms_median: +j.toFixed(1),
      jsmpeg_first_frame_ms_max: +Math.max(...jsmpeg).toFixed(1),
      bare_ffmpeg_first_frame_ms_median: +b.toFixed(1),
      bare_ffmpeg_first_frame_ms_max: +Math.max(...direct).toFixed(1),
      ratio: +(j / b).toFixed(2),
      goal_ratio: 1.2,
    }),
  );
} finally {
  await server.stop();
}
