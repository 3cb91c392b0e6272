import { execa, type ResultPromise } from 'execa';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/support/ports.js';
import { makeDataDir, removeDataDir } from '../../test/support/data-dir.js';
import { waitFor } from '../../test/support/wait.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const MEDIAMTX_DOUBLE = join(ROOT, 'test/doubles/mediamtx/mediamtx');
const CLK_TCK = 100;

/**
 * CPU seconds (user + system) and RSS bytes of one process, from /proc; `childrenCpuSeconds`: what
 * its descendants used once they ended and were waited for.
 */
export async function procStats(pid: number): Promise<{ cpuSeconds: number; childrenCpuSeconds: number; rssBytes: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  const childrenCpuSeconds = (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
  const rssBytes = Number(fields[21]) * 4096;
  return { cpuSeconds, childrenCpuSeconds, rssBytes };
}

/** Direct children of `pid` whose command name is `comm`. */
export async function childrenNamed(pid: number, comm: string): Promise<number> {
  let n = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && name === comm) n++;
    } catch {
      // gone while reading
    }
  }
  return n;
}

/** The first direct child of `pid` whose command line contains `needle` (e.g. a double's script path), or null. */
export async function childWithArg(pid: number, needle: string): Promise<number | null> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== pid) continue;
      if ((await readFile(`/proc/${entry}/cmdline`, 'utf8')).includes(needle)) return Number(entry);
    } catch {
      // gone while reading
    }
  }
  return null;
}

/** Busy and total jiffies of the whole machine (all cores), from /proc/stat. */
export async function machineJiffies(): Promise<{ busy: number; total: number }> {
  const cpu = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return { busy: total - idle, total };
}

export interface ServerProcess {
  base: string;
  pid: number;
  request(method: string, path: string, body?: unknown): Promise<any>;
  stop(): Promise<void>;
}

/**
 * The server as it runs in production (compiled, plain node), as its own process so its CPU and
 * memory are measured apart from the benchmark's clients. `npm run build` must have run.
 */
export async function startServerProcess(env: Record<string, string> = {}): Promise<ServerProcess> {
  const dataDir = await makeDataDir('toposync-bench');
  const port = await freePort();
  // BENCH_SERVER_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the server alone.
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child: ResultPromise = execa('node', [...nodeArgs, join(ROOT, 'dist/main.js')], {
    env: { TOPOSYNC_STREAMING_PORT: String(port), TOPOSYNC_STREAMING_DATA_DIR: dataDir, TOPOSYNC_STREAMING_LOG_LEVEL: 'warn', TOPOSYNC_STREAMING_MEDIAMTX_PATH: MEDIAMTX_DOUBLE, ...env },
    reject: false,
    stdout: 'ignore',
    stderr: 'inherit',
  });
  const base = `http://127.0.0.1:${port}`;
  const request = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(base + path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  await waitFor(
    'the server to start',
    () =>
      fetch(`${base}/api/streams/settings`).then(
        (r) => r.ok,
        () => false,
      ),
    30_000,
    { intervalMs: 100 },
  );
  return {
    base,
    pid: child.pid!,
    request,
    async stop() {
      child.kill('SIGTERM');
      await child;
      await removeDataDir(dataDir);
    },
  };
}
