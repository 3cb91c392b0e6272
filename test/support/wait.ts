/**
 * Waiting in tests: on a condition (polled) or on change notifications, never on a sleep that must be
 * long enough. The time limits here are safety nets that turn a hang into a readable error; they are
 * generous because a busy machine is slow, not wrong.
 */

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface WaitOptions {
  /** How often the probe runs. Default 25 ms. */
  intervalMs?: number;
  /** A reason string gives up at once (e.g. the process under test exited). */
  abort?: () => string | undefined;
}

/**
 * Runs `probe` until it returns a truthy value and returns that value; rejects after `timeoutMs`
 * (default 30 s) or as soon as `opts.abort` returns a reason.
 */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 30_000, opts: WaitOptions = {}): Promise<Exclude<NonNullable<T>, false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as Exclude<NonNullable<T>, false>;
    const reason = opts.abort?.();
    if (reason) throw new Error(`${what}: ${reason}`);
    if (Date.now() >= deadline) throw new Error(`${what}: timed out after ${timeoutMs} ms`);
    await sleep(opts.intervalMs ?? 25);
  }
}

/**
 * Event-driven waiting: call `notify()` whenever state changes; `wait()` resolves as soon as `cond()` holds,
 * rejects when `abort()` returns a reason or after `timeoutMs`. Any number of concurrent waiters.
 */
export class Changes {
  private readonly listeners = new Set<() => void>();

  notify(): void {
    for (const l of [...this.listeners]) l();
  }

  wait(what: string, cond: () => boolean, timeoutMs: number, abort?: () => string | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const finish = (err?: Error) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (err) reject(err);
        else resolve();
      };
      const check = () => {
        if (cond()) return finish();
        const reason = abort?.();
        if (reason) finish(new Error(`${what}: ${reason}`));
      };
      const timer = setTimeout(() => finish(new Error(`${what}: timed out after ${timeoutMs} ms${abort?.() ?? ''}`)), timeoutMs);
      this.listeners.add(check);
      check();
    });
  }
}
