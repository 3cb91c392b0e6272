import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { captureLogger, sleep, waitFor } from '../../test/fixtures/proc-helpers.js';
import { createSupervisor } from './supervisor.js';
import type { ChildHandle, ExitInfo, Supervisor } from './types.js';

let supervisor: Supervisor | null = null;
afterEach(async () => {
  await supervisor?.stopAll();
  supervisor = null;
});

/** Records when each (re)start and exit happened. */
function watch(handle: ChildHandle) {
  const starts: number[] = [];
  const exits: Array<ExitInfo & { t: number }> = [];
  handle.onStart(() => starts.push(performance.now()));
  handle.onExit((e) => exits.push({ ...e, t: performance.now() }));
  return { starts, exits };
}

describe('restart on crash', () => {
  it('restarts with growing, capped backoff, counts restarts and fails after maxRestarts', async () => {
    const { logger } = captureLogger();
    supervisor = createSupervisor({ logger });
    const handle = supervisor.start({
      name: 'crasher',
      command: 'sh',
      args: ['-c', 'echo "fatal: cannot continue" >&2; exit 3'],
      restart: 'on-crash',
      maxRestarts: 5,
      backoff: { initialMs: 50, factor: 2, maxMs: 200, resetAfterMs: 60_000 },
    });
    const w = watch(handle);
    await waitFor(() => handle.status().state === 'failed', 8000, 'failed');

    // 1 start + 5 restarts, then no more.
    expect(w.starts).toHaveLength(6);
    expect(w.exits).toHaveLength(6);
    // The delay between a crash and the next start is the backoff: 50, 100, 200, then capped at 200.
    const delays = w.starts.slice(1).map((t, i) => t - w.exits[i]!.t);
    const expected = [50, 100, 200, 200, 200];
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(expected[i]! - 5);
      expect(d).toBeLessThan(expected[i]! + 90);
    });
    expect(delays[1]! - delays[0]!).toBeGreaterThan(25);
    expect(delays[2]! - delays[1]!).toBeGreaterThan(50);

    const s = handle.status();
    expect(s.restarts).toBe(5);
    expect(s.pid).toBeNull();
    expect(s.last_exit).toMatchObject({ kind: 'crashed', code: 3, signal: null });
    expect(s.last_error_line).toBe('fatal: cannot continue');
    expect(w.exits.every((e) => e.kind === 'crashed')).toBe(true);

    await sleep(300);
    expect(w.starts).toHaveLength(6); // given up for good
    expect(supervisor.count()).toBe(0);
  });

  it('is in state backoff while waiting, and stop() cancels the pending restart', async () => {
    const { logger } = captureLogger();
    supervisor = createSupervisor({ logger, defaults: { backoff: { initialMs: 400 } } });
    const handle = supervisor.start({ name: 'once', command: 'sh', args: ['-c', 'exit 1'], restart: 'on-crash' });
    const w = watch(handle);
    await waitFor(() => handle.status().state === 'backoff', 3000, 'backoff');
    const t0 = performance.now();
    await handle.stop();
    expect(performance.now() - t0).toBeLessThan(100);
    expect(handle.status().state).toBe('stopped');
    await sleep(600);
    expect(w.starts).toHaveLength(1);
    expect(handle.status().restarts).toBe(0);
    expect(supervisor.get('once')).toBeUndefined();
  });

  it('starts again from initialMs after a run that lasted resetAfterMs (and the streak resets)', async () => {
    const { logger } = captureLogger();
    supervisor = createSupervisor({ logger });
    const handle = supervisor.start({
      name: 'slow-crasher',
      command: 'sh',
      args: ['-c', 'sleep 0.2; exit 1'],
      restart: 'on-crash',
      maxRestarts: 1,
      backoff: { initialMs: 50, factor: 8, maxMs: 10_000, resetAfterMs: 150 },
    });
    const w = watch(handle);
    await waitFor(() => w.starts.length >= 4, 5000, '4 starts');
    // Without the reset: 50, 400, 3200 ms, and failed after the 2nd crash (maxRestarts 1).
    const delays = w.starts.slice(1, 4).map((t, i) => t - w.exits[i]!.t);
    for (const d of delays) expect(d).toBeLessThan(150);
    expect(handle.status().state).not.toBe('failed');
    expect(handle.status().restarts).toBeGreaterThanOrEqual(3);
  });

  it('treats an unasked exit with code 0 as a crash', async () => {
    const { logger } = captureLogger();
    supervisor = createSupervisor({ logger, defaults: { backoff: { initialMs: 20 } } });
    const handle = supervisor.start({ name: 'quitter', command: 'sh', args: ['-c', 'exit 0'], restart: 'on-crash', maxRestarts: 1 });
    const w = watch(handle);
    await waitFor(() => handle.status().state === 'failed', 3000, 'failed');
    expect(w.starts).toHaveLength(2);
    expect(handle.status()).toMatchObject({ restarts: 1, last_exit: { kind: 'crashed', code: 0, signal: null } });
  });

  it("restart 'never': a crash leaves it failed, with the last stderr line as last_error_line", async () => {
    const { logger } = captureLogger();
    supervisor = createSupervisor({ logger, defaults: { backoff: { initialMs: 20 } } });
    const handle = supervisor.start({ name: 'never', command: 'sh', args: ['-c', 'echo "something odd happened" >&2; exit 7'], restart: 'never' });
    const w = watch(handle);
    await waitFor(() => handle.status().state === 'failed', 3000, 'failed');
    await sleep(100);
    expect(w.starts).toHaveLength(1);
    expect(handle.status()).toMatchObject({
      restarts: 0,
      pid: null,
      last_exit: { kind: 'crashed', code: 7 },
      last_error_line: 'something odd happened',
    });
    // A failed name may be started again.
    const again = supervisor.start({ name: 'never', command: 'sleep', args: ['5'], restart: 'never' });
    expect(again).not.toBe(handle);
    await waitFor(() => again.status().state === 'running', 3000, 'running');
  });

  it('a command that cannot be spawned is a crash with the reason, never an onStart', async () => {
    const { logger } = captureLogger();
    supervisor = createSupervisor({ logger });
    const handle = supervisor.start({ name: 'missing', command: '/nonexistent/toposync-binary', args: [], restart: 'never' });
    const w = watch(handle);
    await waitFor(() => handle.status().state === 'failed', 3000, 'failed');
    expect(w.starts).toHaveLength(0);
    expect(handle.status().last_exit?.kind).toBe('crashed');
    expect(handle.status().last_error_line).toMatch(/ENOENT/);
  });

  it('hands out the new stdout on every restart through onStart', async () => {
    const { logger } = captureLogger();
    supervisor = createSupervisor({ logger, defaults: { backoff: { initialMs: 20 } } });
    const handle = supervisor.start({
      name: 'talker',
      command: 'sh',
      args: ['-c', 'echo "hello $$"; exit 1'],
      restart: 'on-crash',
      maxRestarts: 2,
      stdout: 'pipe',
    });
    const pids: number[] = [];
    const said: string[] = [];
    handle.onStart((pid) => {
      pids.push(pid);
      handle.stdout()?.on('data', (d: Buffer) => said.push(String(d).trim()));
    });
    await waitFor(() => handle.status().state === 'failed', 3000, 'failed');
    expect(pids).toHaveLength(3);
    expect(new Set(pids).size).toBe(3);
    expect(said).toEqual(pids.map((p) => `hello ${p}`));
  });
});

describe('restart delay and healthy runs', () => {
  /** SIGKILLs the child `kills` times from outside, each time once it runs again; returns the delay the supervisor scheduled after each kill. */
  async function killRepeatedly(handle: ChildHandle, kills: number, healthy: boolean): Promise<Array<number | null>> {
    const scheduled: Array<number | null> = [];
    handle.onExit(() => scheduled.push(handle.status().restart_delay_ms));
    if (healthy) handle.onStart(() => handle.markHealthy());
    for (let i = 0; i < kills; i++) {
      await waitFor(() => handle.status().state === 'running' && handle.status().pid !== null, 5000, `run ${i}`);
      const pid = handle.status().pid!;
      process.kill(pid, 'SIGKILL');
      await waitFor(() => scheduled.length === i + 1, 5000, `exit ${i}`);
    }
    return scheduled;
  }

  it.each([
    // healthy, expected delays after each of 5 kills (initial 20, x2, cap 120)
    [false, [20, 40, 80, 120, 120]],
    [true, [20, 20, 20, 20, 20]],
  ])('killed from outside 5 times, marked healthy: %s -> scheduled delays %j', async (healthy, expected) => {
    const { logger } = captureLogger();
    supervisor = createSupervisor({ logger });
    const handle = supervisor.start({ name: 'victim', command: 'sleep', args: ['30'], restart: 'on-crash', backoff: { initialMs: 20, maxMs: 120, resetAfterMs: 60_000 } });
    expect(await killRepeatedly(handle, 5, healthy)).toEqual(expected);
    expect(handle.status()).toMatchObject({ restarts: 4, last_exit: { kind: 'crashed', signal: 'SIGKILL' } });
    await waitFor(() => handle.status().state === 'running', 5000, 'running again');
    expect(handle.status().restart_delay_ms).toBeNull();
  });

  it('maxRestarts counts only the crashes since the child was last healthy', async () => {
    const { logger } = captureLogger();
    supervisor = createSupervisor({ logger });
    const handle = supervisor.start({ name: 'resilient', command: 'sleep', args: ['30'], restart: 'on-crash', maxRestarts: 2, backoff: { initialMs: 10, maxMs: 10 } });
    await killRepeatedly(handle, 6, true);
    await waitFor(() => handle.status().state === 'running', 5000, 'running after 6 kills');
    expect(handle.status().restarts).toBe(6);
  });
});
