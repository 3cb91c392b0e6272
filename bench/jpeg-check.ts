/**
 * Cost of the structural JPEG check that every writer frame passes (src/runtime/jpeg.ts): 1280x720
 * frames made by FFmpeg at two qualities, checked in batches. Prints one JSON line. Goal: under
 * 100 µs a frame, i.e. 30 fps from 10 writers costs under 3% of one core.
 */
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { checkJpeg } from '../src/runtime/jpeg.js';

const frame = (q: string) => execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=s=1280x720', '-frames:v', '1', '-q:v', q, '-f', 'mjpeg', '-']);
const BATCH = 1000;
const BATCHES = 30;
/** The first batches pay for JIT compilation; they are run but not counted. */
const WARMUP = 5;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

const result: Record<string, number | string> = { bench: 'jpeg-check', width: 1280, height: 720, frames_per_batch: BATCH, batches: BATCHES };
for (const [name, q] of [
  ['q5', '5'],
  ['q2', '2'],
] as const) {
  const jpeg = frame(q);
  if (!checkJpeg(jpeg).ok) throw new Error(`the ${name} frame does not pass the check`);
  const perFrameUs: number[] = [];
  for (let b = 0; b < WARMUP + BATCHES; b++) {
    const t = performance.now();
    for (let i = 0; i < BATCH; i++) checkJpeg(jpeg);
    if (b >= WARMUP) perFrameUs.push(((performance.now() - t) * 1000) / BATCH);
  }
  result[`${name}_bytes`] = jpeg.length;
  result[`${name}_us_median`] = +pct(perFrameUs, 0.5).toFixed(2);
  result[`${name}_us_p95`] = +pct(perFrameUs, 0.95).toFixed(2);
}
result.goal_us = 100;
console.log(JSON.stringify(result));
