/**
 * `npm run bench`: every `bench:*` script in package.json, one after another, then README.md's
 * benchmark table rewritten from the JSON lines they printed (between `<!-- bench:begin -->` and
 * `<!-- bench:end -->`; notes outside the markers stay). The scripts' build steps (`npm run build`,
 * `npm run build:web`) run once, first. While each script runs, the CPU that other processes on
 * the machine use is measured (machine busy time minus this process tree's), so a figure taken on
 * a busy machine says so.
 *
 * The README is written only when every script succeeded. `--dry-run` prints the table instead;
 * `--only bench:reconcile,bench:idle` runs some scripts and prints (a partial table never replaces
 * the full one). The raw lines are also kept in test-results/bench.jsonl.
 */
import { execa } from 'execa';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchLines, renderBenchSection, replaceBetweenMarkers, type ScriptRun } from './lib/readme-table.js';
import { machineJiffies, procStats } from './lib/server-process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLK_TCK = 100;
const BUILD_STEP = /^npm run build(:web)?$/;

const { values } = parseArgs({ options: { 'dry-run': { type: 'boolean', default: false }, only: { type: 'string' } } });
const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const all = Object.keys(pkg.scripts).filter((name) => name.startsWith('bench:'));
const only = values.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((s) => !all.includes(s)) ?? [];
if (unknown.length) throw new Error(`--only: no such script ${unknown.join(', ')} (have ${all.join(', ')})`);
const chosen = only ? all.filter((s) => only.includes(s)) : all;

const steps = (script: string) => pkg.scripts[script]!.split('&&').map((s) => s.trim());
const builds = new Set(chosen.flatMap((s) => steps(s).filter((step) => BUILD_STEP.test(step))));
// `npm run build` builds the web UI too.
const build = builds.has('npm run build') ? 'npm run build' : builds.has('npm run build:web') ? 'npm run build:web' : null;
if (build) {
  console.error(`[bench] ${build}`);
  await execa(build, { shell: true, cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
}

/** CPU ticks of this process and its descendants that have ended. */
const treeTicks = async () => {
  const s = await procStats(process.pid);
  return (s.cpuSeconds + s.childrenCpuSeconds) * CLK_TCK;
};

const runs: ScriptRun[] = [];
for (const script of chosen) {
  const command = steps(script)
    .filter((step) => !BUILD_STEP.test(step))
    .join(' && ');
  console.error(`[bench] ${script}: ${command}`);
  const [m0, t0, start] = [await machineJiffies(), await treeTicks(), performance.now()];
  const child = execa(command, { shell: true, preferLocal: true, cwd: ROOT, stdin: 'ignore', stdout: 'pipe', stderr: 'inherit', reject: false });
  let stdout = '';
  // Lines are shown as they come: a long benchmark is not silent for minutes.
  for await (const line of createInterface({ input: child.stdout })) {
    stdout += `${line}\n`;
    console.log(line);
  }
  const { exitCode } = await child;
  const [m1, t1] = [await machineJiffies(), await treeTicks()];
  const total = m1.total - m0.total;
  const other = total > 0 ? Math.max(0, (m1.busy - m0.busy - (t1 - t0)) / total) : null;
  runs.push({
    script,
    exitCode: exitCode ?? 1,
    seconds: Math.round((performance.now() - start) / 1000),
    lines: benchLines(stdout),
    otherLoadPercent: other === null ? null : Math.round(other * 100),
  });
}

await mkdir(join(ROOT, 'test-results'), { recursive: true });
await writeFile(join(ROOT, 'test-results/bench.jsonl'), runs.flatMap((r) => r.lines.map((l) => JSON.stringify({ script: r.script, ...l }))).join('\n') + '\n');

const cpu = cpus();
const machine = `${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(1)} GB, Node ${process.version}, Linux ${release()}`;
const section = renderBenchSection(runs, { date: new Date().toISOString().slice(0, 10), machine });
const failed = runs.filter((r) => r.exitCode !== 0 || r.lines.length === 0);
if (values['dry-run'] || only || failed.length > 0) {
  console.error(`\n${section}\n`);
  if (failed.length > 0) console.error(`[bench] README.md not changed: ${failed.map((r) => r.script).join(', ')} failed`);
  else console.error('[bench] README.md not changed (--dry-run or --only)');
  process.exitCode = failed.length > 0 ? 1 : 0;
} else {
  const path = join(ROOT, 'README.md');
  await writeFile(path, replaceBetweenMarkers(await readFile(path, 'utf8'), section));
  console.error('[bench] README.md: benchmark table rewritten');
}
