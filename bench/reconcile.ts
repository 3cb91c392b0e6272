/**
 * Reconciler cost at scale: 1,000 cameras x 3 sources, from scratch and again with one source
 * changed. Prints one JSON line. Goals: < 100 ms from scratch, < 10 ms for one change.
 */
import { performance } from 'node:perf_hooks';
import { camera, plane, source } from '../src/reconcile/fixtures.js';
import { reconcile } from '../src/reconcile/reconcile.js';

const CAMERAS = 1000;
const RUNS = 20;
/** The first runs pay for JIT compilation; they are run but not counted. */
const WARMUP = 3;
const cameras = Array.from({ length: CAMERAS }, (_, i) => camera(`cam-${i}`, [source('main', { role: 'main' }), source('sub', { role: 'sub' }), source('zoom', { role: 'zoom' })]));

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const scratch: number[] = [];
const oneChange: number[] = [];
for (let run = 0; run < WARMUP + RUNS; run++) {
  // Fresh copies each run so no work is shared with the previous run.
  const input = plane({ cameras: structuredClone(cameras) });
  let t = performance.now();
  const first = reconcile(input).plane;
  const scratchMs = performance.now() - t;

  const target = first.cameras[run]!;
  const changed = { ...first, cameras: first.cameras.map((c) => (c === target ? { ...c, sources: c.sources.map((s, i) => (i === 1 ? { ...s, label: `changed ${run}` } : s)) } : c)) };
  t = performance.now();
  const { diff } = reconcile(changed);
  const oneChangeMs = performance.now() - t;
  if (diff.updated.length !== 3) throw new Error(`expected 3 updated artifacts, got ${JSON.stringify(diff)}`);
  if (run >= WARMUP) {
    scratch.push(scratchMs);
    oneChange.push(oneChangeMs);
  }
}

console.log(
  JSON.stringify({
    bench: 'reconcile',
    cameras: CAMERAS,
    sources: CAMERAS * 3,
    runs: RUNS,
    warmup_runs: WARMUP,
    scratch_ms_median: +pct(scratch, 0.5).toFixed(2),
    scratch_ms_p95: +pct(scratch, 0.95).toFixed(2),
    one_change_ms_median: +pct(oneChange, 0.5).toFixed(2),
    one_change_ms_p95: +pct(oneChange, 0.95).toFixed(2),
    goal_scratch_ms: 100,
    goal_one_change_ms: 10,
  }),
);
