import { afterEach, describe, expect, it } from 'vitest';
import { captureLogger, manualTimers, type ManualTimers } from '../../test/fixtures/proc-helpers.js';
import { waitFor } from '../../test/support/wait.js';
import { createSupervisor } from './supervisor.js';
import type { ChildHandle, ExitInfo, Supervisor } from './types.js';

let supervisor: Supervisor | null = null;
afterEach(async () => {
  await supervisor?.stopAll();
  supervisor = null;
});

/** Records each (re)start's pid and each exit. */
function watch(handle: ChildHandle) {
  const starts: number[] = [];
  const exits: ExitInfo[] = [];
  handle.onStart((pid) => starts.push(pid));
  handle.onExit((e) => exits.push(e));
  return { starts, exits };
}

/** Until the child has given up: fires each scheduled restart and returns the delays the supervisor chose. */
async function restartUntilFailed(handle: ChildHandle, timers: ManualTimers): Promise<number[]> {
  const delays: number[] = [];
  for (;;) {
    const state = await waitFor('backoff or failed', () => {
      const s = handle.status().state;
      return s === 'backoff' || s === 'failed' ? s : null;
    });
    if (state === 'failed') return delays;
    const decided = handle.status().restart_delay_ms;
    expect(await timers.fireNext('restart timer')).toBe(decided);
    delays.push(decided!);
  }
}

describe('restart on crash', () => {
  it('restarts with growing, capped backoff, counts restarts and fails after maxRestarts', async () => {
    const { logger } = captureLogger();
    const timers = manualTimers();
    supervisor = createSupervisor({ logger, timers });
    const handle = supervisor.start({
      name: 'crasher',
      command: 'sh',
      args: ['-c', 'echo "fatal: cannot continue" >&2; exit 3'],
      restart: 'on-crash',
      maxRestarts: 5,
      backoff: { initialMs: 50, factor: 2, maxMs: 200, resetAfterMs: 60_000 },
    });
    const w = watch(handle);
    // The delay scheduled after each crash is the backoff: 50, 100, 200, then capped at 200.
    expect(await restartUntilFailed(handle, timers)).toEqual([50, 100, 200, 200, 200]);
    expect(timers.scheduled).toEqual([50, 100, 200, 200, 200]);

    // 1 start + 5 restarts, then no more.
    expect(w.starts).toHaveLength(6);
    expect(w.exits).toHaveLength(6);

    const s = handle.status();
    expect(s.restarts).toBe(5);
    expect(s.pid).toBeNull();
    expect(s.last_exit).toMatchObject({ kind: 'crashed', code: 3, signal: null });
    expect(s.last_error_line).toBe('fatal: cannot continue');
    expect(w.exits.every((e) => e.kind === 'crashed')).toBe(true);

    expect(timers.pending()).toEqual([]); // given up for good: no restart is scheduled
    expect(supervisor.count()).toBe(0);
  });

  it('is in state backoff while waiting, and stop() cancels the pending restart', async () => {
    const { logger } = captureLogger();
    const timers = manualTimers();
    supervisor = createSupervisor({ logger, timers, defaults: { backoff: { initialMs: 400 } } });
    const handle = supervisor.start({ name: 'once', command: 'sh', args: ['-c', 'exit 1'], restart: 'on-crash' });
    const w = watch(handle);
    await waitFor('backoff', () => handle.status().state === 'backoff');
    expect(handle.status().restart_delay_ms).toBe(400);
    expect(timers.pending()).toEqual([400]);
    // Resolves without the restart timer firing (the manual timers never fire on their own).
    await handle.stop();
    expect(handle.status().state).toBe('stopped');
    expect(timers.pending()).toEqual([]);
    expect(w.starts).toHaveLength(1);
    expect(handle.status().restarts).toBe(0);
    expect(supervisor.get('once')).toBeUndefined();
  });

  it('starts again from initialMs after a run that lasted resetAfterMs (and the streak resets)', async () => {
    const { logger } = captureLogger();
    const timers = manualTimers();
    let clock = 1_000_000;
    supervisor = createSupervisor({ logger, timers, now: () => clock });
    const handle = supervisor.start({
      name: 'slow-crasher',
      command: 'sleep',
      args: ['30'],
      restart: 'on-crash',
      maxRestarts: 1,
      backoff: { initialMs: 50, factor: 8, maxMs: 10_000, resetAfterMs: 150 },
    });
    /** Lets the current run last `ranMs` by the clock, kills it, and fires the restart; returns the delay chosen, or null when it gave up. */
    async function crashAfter(ranMs: number): Promise<number | null> {
      const { pid } = await waitFor('running', () => (handle.status().state === 'running' ? handle.status() : null));
      clock += ranMs;
      process.kill(pid!, 'SIGKILL');
      const state = await waitFor('backoff or failed', () => ['backoff', 'failed'].find((s) => s === handle.status().state));
      return state === 'failed' ? null : timers.fireNext('restart timer');
    }
    // Without the reset: 50, 400, 3200 ms, and failed after the 2nd crash (maxRestarts 1).
    expect([await crashAfter(150), await crashAfter(200), await crashAfter(150)]).toEqual([50, 50, 50]);
    expect(handle.status().restarts).toBe(3);
    // A run shorter than resetAfterMs continues the streak: over maxRestarts, so it gives up.
    expect(await crashAfter(149)).toBeNull();
    expect(handle.status()).toMatchObject({ state: 'failed', restarts: 3 });
  });

  it('treats an unasked exit with code 0 as a crash', async () => {
    const { logger } = captureLogger();
    const timers = manualTimers();
    supervisor = createSupervisor({ logger, timers, defaults: { backoff: { initialMs: 20 } } });
    const handle = supervisor.start({ name: 'quitter', command: 'sh', args: ['-c', 'exit 0'], restart: 'on-crash', maxRestarts: 1 });
    const w = watch(handle);
    expect(await restartUntilFailed(handle, timers)).toEqual([20]);
    expect(w.starts).toHaveLength(2);
    expect(handle.status()).toMatchObject({ restarts: 1, last_exit: { kind: 'crashed', code: 0, signal: null } });
  });

  it("restart 'never': a crash leaves it failed, with the last stderr line as last_error_line", async () => {
    const { logger } = captureLogger();
    const timers = manualTimers();
    supervisor = createSupervisor({ logger, timers, defaults: { backoff: { initialMs: 20 } } });
    const handle = supervisor.start({ name: 'never', command: 'sh', args: ['-c', 'echo "something odd happened" >&2; exit 7'], restart: 'never' });
    const w = watch(handle);
    await waitFor('failed', () => handle.status().state === 'failed');
    expect(timers.scheduled).toEqual([]); // no restart was ever scheduled
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
    await waitFor('running', () => again.status().state === 'running');
  });

  it('a command that cannot be spawned is a crash with the reason, never an onStart', async () => {
    const { logger } = captureLogger();
    supervisor = createSupervisor({ logger });
    const handle = supervisor.start({ name: 'missing', command: '/nonexistent/toposync-binary', args: [], restart: 'never' });
    const w = watch(handle);
    await waitFor('failed', () => handle.status().state === 'failed');
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
    await waitFor('failed', () => handle.status().state === 'failed');
    expect(pids).toHaveLength(3);
    expect(new Set(pids).size).toBe(3);
    expect(said).toEqual(pids.map((p) => `hello ${p}`));
  });
});

describe('restart delay and healthy runs', () => {
  /**
   * SIGKILLs the child `kills` times from outside, each time once it runs again; returns the delay the
   * supervisor scheduled after each kill. The restart after the last kill is left pending.
   */
  async function killRepeatedly(handle: ChildHandle, timers: ManualTimers, kills: number, healthy: boolean): Promise<(number | null)[]> {
    const scheduled: (number | null)[] = [];
    handle.onExit(() => scheduled.push(handle.status().restart_delay_ms));
    if (healthy) handle.onStart(() => handle.markHealthy());
    for (let i = 0; i < kills; i++) {
      if (i > 0) expect(await timers.fireNext(`restart ${i}`)).toBe(scheduled[i - 1]);
      const { pid } = await waitFor(`run ${i}`, () => (handle.status().state === 'running' ? handle.status() : null));
      process.kill(pid!, 'SIGKILL');
      await waitFor(`exit ${i}`, () => scheduled.length === i + 1);
    }
    return scheduled;
  }

  it.each([
    // healthy, expected delays after each of 5 kills (initial 20, x2, cap 120)
    [false, [20, 40, 80, 120, 120]],
    [true, [20, 20, 20, 20, 20]],
  ])('killed from outside 5 times, marked healthy: %s -> scheduled delays %j', async (healthy, expected) => {
    const { logger } = captureLogger();
    const timers = manualTimers();
    supervisor = createSupervisor({ logger, timers });
    const handle = supervisor.start({ name: 'victim', command: 'sleep', args: ['30'], restart: 'on-crash', backoff: { initialMs: 20, maxMs: 120, resetAfterMs: 60_000 } });
    expect(await killRepeatedly(handle, timers, 5, healthy)).toEqual(expected);
    expect(timers.scheduled).toEqual(expected);
    expect(handle.status()).toMatchObject({ state: 'backoff', restarts: 4, last_exit: { kind: 'crashed', signal: 'SIGKILL' } });
    await timers.fireNext('last restart');
    await waitFor('running again', () => handle.status().state === 'running');
    expect(handle.status()).toMatchObject({ restarts: 5, restart_delay_ms: null });
  });

  it('maxRestarts counts only the crashes since the child was last healthy', async () => {
    const { logger } = captureLogger();
    const timers = manualTimers();
    supervisor = createSupervisor({ logger, timers });
    const handle = supervisor.start({ name: 'resilient', command: 'sleep', args: ['30'], restart: 'on-crash', maxRestarts: 2, backoff: { initialMs: 10, maxMs: 10 } });
    expect(await killRepeatedly(handle, timers, 6, true)).toEqual([10, 10, 10, 10, 10, 10]);
    await timers.fireNext('last restart');
    await waitFor('running after 6 kills', () => handle.status().state === 'running');
    expect(handle.status().restarts).toBe(6);
  });
});
