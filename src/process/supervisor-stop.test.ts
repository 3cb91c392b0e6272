import { readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { captureLogger, isAlive, manualTimers, numericMarker, pgidOf, pidsWithMarker } from '../../test/fixtures/proc-helpers.js';
import { waitFor } from '../../test/support/wait.js';
import { trackedGroups } from './groups.js';
import { createSupervisor } from './supervisor.js';
import type { ChildHandle, ExitInfo, Supervisor } from './types.js';

const TREE = fileURLToPath(new URL('../../test/fixtures/proc-tree.mjs', import.meta.url));
const PARENT = fileURLToPath(new URL('../../test/fixtures/proc-parent.ts', import.meta.url));

let supervisor: Supervisor | null = null;
afterEach(async () => {
  await supervisor?.stopAll();
  supervisor = null;
});

function exits(handle: ChildHandle): ExitInfo[] {
  const list: ExitInfo[] = [];
  handle.onExit((e) => list.push(e));
  return list;
}

/** Waits until the child has logged a stderr line starting with `text` (not merely its argv mentioning it). */
async function waitForLog(lines: string[], text: string): Promise<void> {
  const isIt = (l: string) => {
    const r = JSON.parse(l) as { stream?: string; msg?: string };
    return r.stream === 'stderr' && typeof r.msg === 'string' && r.msg.startsWith(text);
  };
  await waitFor(`stderr "${text}"`, () => lines.some(isIt));
}

/** The signals the supervisor logged sending to `child`, in order ('stopping' for the graceful one, the kill after the timeout). */
function stopSignals(lines: string[], child: string): string[] {
  return lines
    .map((l) => JSON.parse(l) as { child?: string; msg?: string; signal?: string })
    .filter((r) => r.child === child)
    .flatMap((r) => (r.msg === 'stopping' ? [r.signal!] : r.msg === 'stop timeout: killing process group' ? ['SIGKILL'] : []));
}

describe('graceful stop', () => {
  it('a child that exits on SIGTERM is expected; stop() resolves after the exit; idempotent', async () => {
    const { logger, lines } = captureLogger();
    supervisor = createSupervisor({ logger });
    const handle = supervisor.start({
      name: 'polite',
      command: process.execPath,
      args: ['-e', "process.on('SIGTERM', () => { console.error('bye'); process.exit(0) }); console.error('ready'); setInterval(() => {}, 1e9)"],
      restart: 'on-crash',
    });
    const ex = exits(handle);
    await waitForLog(lines, 'ready');
    const pid = handle.status().pid!;
    expect(isAlive(pid)).toBe(true);
    // Its own process group, not ours.
    expect(pgidOf(pid)).toBe(pid);
    expect(pgidOf(pid)).not.toBe(pgidOf(process.pid));

    const first = handle.stop();
    const second = handle.stop();
    expect(second).toBe(first);
    expect(handle.status().state).toBe('stopping');
    await first;
    expect(isAlive(pid)).toBe(false);
    expect(handle.status()).toMatchObject({ state: 'stopped', pid: null, last_exit: { kind: 'expected', code: 0, signal: null } });
    expect(ex).toHaveLength(1);
    expect(lines.some((l) => l.includes('"msg":"bye"'))).toBe(true); // stderr drained before stop() resolved
    await handle.stop(); // still fine
    expect(supervisor.count()).toBe(0);
  });

  it('uses spec.stop.signal (a child that only quits on SIGINT is expected, not forced)', async () => {
    const { logger, lines } = captureLogger();
    const timers = manualTimers();
    supervisor = createSupervisor({ logger, timers });
    const handle = supervisor.start({
      name: 'sigint-only',
      command: process.execPath,
      args: ['-e', "process.on('SIGTERM', () => {}); process.on('SIGINT', () => process.exit(5)); console.error('ready'); setInterval(() => {}, 1e9)"],
      restart: 'on-crash',
      stop: { signal: 'SIGINT', timeoutMs: 2000 },
    });
    await waitForLog(lines, 'ready');
    const stopped = handle.stop();
    expect(timers.pending()).toEqual([2000]); // the kill after the timeout, armed and never fired
    await stopped;
    expect(stopSignals(lines, 'sigint-only')).toEqual(['SIGINT']);
    expect(timers.pending()).toEqual([]);
    expect(handle.status().last_exit).toMatchObject({ kind: 'expected', code: 5 });
  });

  it('a child killed by the stop signal is expected too (sleep on SIGTERM)', async () => {
    const { logger } = captureLogger();
    supervisor = createSupervisor({ logger });
    const handle = supervisor.start({ name: 'sleeper', command: 'sleep', args: ['30'], restart: 'on-crash' });
    await waitFor('running', () => handle.status().state === 'running');
    await handle.stop();
    expect(handle.status().last_exit).toMatchObject({ kind: 'expected', code: null, signal: 'SIGTERM' });
    // The name is free again.
    const again = supervisor.start({ name: 'sleeper', command: 'sleep', args: ['30'], restart: 'on-crash' });
    await waitFor('running again', () => again.status().state === 'running');
    expect(() => supervisor!.start({ name: 'sleeper', command: 'sleep', args: ['30'], restart: 'on-crash' })).toThrow(/already running/);
    expect(supervisor.count('slee')).toBe(1);
    expect(supervisor.count('other')).toBe(0);
  });

  it('FFmpeg stopped with "q" on stdin exits 0 and finalizes its output (mp4 moov written)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'proc-ffmpeg-'));
    try {
      const out = join(dir, 'out.mp4');
      const { logger } = captureLogger();
      supervisor = createSupervisor({ logger });
      const handle = supervisor.start({
        name: 'ffmpeg-q',
        command: 'ffmpeg',
        args: [
          '-hide_banner',
          '-nostats',
          '-loglevel',
          'warning',
          '-re',
          '-f',
          'lavfi',
          '-i',
          'testsrc2=s=160x120:r=25',
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          '-flush_packets',
          '1',
          '-f',
          'mp4',
          out,
        ],
        restart: 'on-crash',
        stdin: 'pipe',
        stop: { stdinLine: 'q\n', timeoutMs: 5000 },
      });
      // Encoded frames reach the file (a stop before any would prove little).
      await waitFor('frames in the file', async () => ((await stat(out).catch(() => null))?.size ?? 0) > 1000);
      await handle.stop();
      expect(handle.status().last_exit).toMatchObject({ kind: 'expected', code: 0, signal: null });
      const mp4 = readFileSync(out);
      expect(mp4.includes(Buffer.from('moov'))).toBe(true); // a killed muxer never writes its index
      expect((await stat(out)).size).toBeGreaterThan(1000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('forced stop', () => {
  it('a child that ignores SIGTERM is SIGKILLed after timeoutMs and reported forced', async () => {
    const { logger, lines } = captureLogger();
    const timers = manualTimers();
    supervisor = createSupervisor({ logger, timers });
    const handle = supervisor.start({
      name: 'stubborn',
      command: process.execPath,
      args: ['-e', "process.on('SIGTERM', () => console.error('ignoring SIGTERM')); console.error('ready'); setInterval(() => {}, 1e9)"],
      restart: 'on-crash',
      stop: { timeoutMs: 300 },
    });
    const ex = exits(handle);
    await waitForLog(lines, 'ready');
    const pid = handle.status().pid!;
    const stopped = handle.stop();
    // SIGTERM first; the child got it and still runs: nothing is killed before the timeout.
    await waitForLog(lines, 'ignoring SIGTERM');
    expect(stopSignals(lines, 'stubborn')).toEqual(['SIGTERM']);
    expect(isAlive(pid)).toBe(true);
    expect(ex).toEqual([]);
    // The timeout elapses (by the injected timers): SIGKILL.
    expect(await timers.fireNext('stop timeout')).toBe(300);
    await stopped;
    expect(stopSignals(lines, 'stubborn')).toEqual(['SIGTERM', 'SIGKILL']);
    expect(ex).toEqual([expect.objectContaining({ kind: 'forced', code: null, signal: 'SIGKILL' })]);
    expect(handle.status().state).toBe('stopped');
  });
});

describe('no orphans', () => {
  it('a shell with background sleeps: stop() leaves none of them', async () => {
    const marker = numericMarker();
    const { logger, lines } = captureLogger();
    const timers = manualTimers();
    supervisor = createSupervisor({ logger, timers });
    expect(pidsWithMarker(marker)).toEqual([]);
    const handle = supervisor.start({ name: 'shell-tree', command: 'sh', args: ['-c', `sleep ${marker} & sleep ${marker} & wait`], restart: 'on-crash' });
    await waitFor('sh + 2 sleeps', () => pidsWithMarker(marker).length === 3);
    const tree = pidsWithMarker(marker);
    // The sleeps hold the stderr pipe: stop() resolves, with the stop timeout never fired, only because
    // the group is killed when sh exits.
    await handle.stop();
    expect(stopSignals(lines, 'shell-tree')).toEqual(['SIGTERM']);
    expect(timers.pending()).toEqual([]);
    expect(handle.status().last_exit?.kind).toBe('expected');
    expect(tree.filter(isAlive)).toEqual([]);
    expect(pidsWithMarker(marker)).toEqual([]);
    expect(supervisor.count()).toBe(0);
  });

  it('grandchildren that do not share stdio and a parent that exits on SIGTERM without them: stopAll() leaves none', async () => {
    const marker = `tree-${numericMarker()}`;
    const { logger, lines } = captureLogger();
    supervisor = createSupervisor({ logger });
    supervisor.start({ name: 'careless', command: process.execPath, args: [TREE, marker, '2'], restart: 'on-crash' });
    await waitForLog(lines, 'ready');
    await waitFor('parent + 2 grandchildren', () => pidsWithMarker(marker).length === 3);
    const tree = pidsWithMarker(marker);
    expect(trackedGroups()).toContain(tree.find((p) => pgidOf(p) === p));
    await supervisor.stopAll();
    expect(tree.filter(isAlive)).toEqual([]);
    expect(pidsWithMarker(marker)).toEqual([]);
    expect(supervisor.count()).toBe(0);
    expect(trackedGroups()).toEqual([]); // nothing left for the exit hook either
  });

  it('a forced stop kills the whole group', async () => {
    const marker = `tree-${numericMarker()}`;
    const { logger, lines } = captureLogger();
    supervisor = createSupervisor({ logger });
    const handle = supervisor.start({ name: 'deaf', command: process.execPath, args: [TREE, marker, '2', '--ignore-term'], restart: 'on-crash', stop: { timeoutMs: 200 } });
    await waitForLog(lines, 'ready');
    await waitFor('tree', () => pidsWithMarker(marker).length === 3);
    await handle.stop();
    expect(handle.status().last_exit?.kind).toBe('forced');
    expect(pidsWithMarker(marker)).toEqual([]);
  });

  it('a parent that crashes on its own takes its grandchildren with it', async () => {
    const marker = numericMarker();
    const { logger } = captureLogger();
    supervisor = createSupervisor({ logger });
    const handle = supervisor.start({ name: 'crash-tree', command: 'sh', args: ['-c', `sleep ${marker} & sleep ${marker} & sleep 0.3; exit 9`], restart: 'never' });
    await waitFor('sleeps', () => pidsWithMarker(marker).length >= 2);
    await waitFor('failed', () => handle.status().state === 'failed');
    expect(handle.status().last_exit).toMatchObject({ kind: 'crashed', code: 9 });
    expect(pidsWithMarker(marker)).toEqual([]);
  });

  it('when the server process exits without stopAll(), the exit hook kills the groups', async () => {
    const marker = numericMarker();
    const result = await execa(process.execPath, ['--import', 'tsx', PARENT, marker], { reject: false, timeout: 30_000, cwd: fileURLToPath(new URL('../..', import.meta.url)) });
    expect(result.exitCode).toBe(0);
    const { pid } = JSON.parse(result.stdout.trim()) as { pid: number };
    expect(pid).toBeGreaterThan(0);
    // SIGKILLed by the hook as the parent exited; gone once the kernel is done with it.
    await waitFor('child gone', () => !isAlive(pid));
    expect(pidsWithMarker(marker)).toEqual([]);
  });
});
