import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import { backoffDelay, streakBefore } from './backoff.js';
import { signalGroup, signalProcess } from './groups.js';
import { createRedactor, readLines, createRepeatLimiter, looksLikeError, looksLikeWarning, type RepeatEntry, type RepeatLimiter } from './lines.js';
import { spawnChild, type Spawned } from './spawn.js';
import type { BackoffOptions, ChildHandle, ChildSpec, ChildState, ChildStatus, ExitInfo, ExitKind, Timers } from './types.js';

export interface ChildContext {
  logger: Logger;
  /** Already resolved from the supervisor defaults and `spec.stop.timeoutMs`. */
  stopTimeoutMs: number;
  /** Already resolved from the supervisor defaults and `spec.backoff`. */
  backoff: BackoffOptions;
  /** Schedules the restarts after a backoff and the kill after the stop timeout. */
  timers: Timers;
  /** Called once `stop()` has completed (the supervisor forgets the name then). */
  onStopped?: (child: SupervisedChild) => void;
  /** The clock of run lengths and of the repeated-line summaries. Default Date.now. */
  now?: () => number;
}

/**
 * One supervised long-running child and its restarts.
 *
 * Exit classification: `expected` when `stop()` asked it to end and it did before the stop timeout (whatever
 * its code or signal), `forced` when it had to be SIGKILLed after the timeout, `crashed` when it ended
 * without being asked. A long-running child has no business exiting on its own, so an exit code 0 that
 * nobody asked for is a crash too (and is restarted under `restart: 'on-crash'`).
 *
 * `maxRestarts` bounds the restarts of one crash streak: with `maxRestarts: 3` the child is started at most
 * 1 + 3 times in a row; the crash that would need a 4th restart makes it `failed`. A run that lasted
 * `resetAfterMs` or more, or that was marked healthy, ends the streak (and the backoff starts again from
 * `initialMs`).
 *
 * Logging: stderr lines and crashes go through one repeat limiter per child (lines.ts), so a warning
 * FFmpeg prints every frame, or a child crashing the same way on every restart, is logged once and then
 * counted ("repeated N times") instead of flooding the log; restarts after the first of a streak log at
 * debug.
 */
export class SupervisedChild implements ChildHandle {
  readonly name: string;
  private readonly log: Logger;
  private readonly redact: (line: string) => string;

  private state: ChildState = 'starting';
  private proc: Spawned | null = null;
  private pid: number | null = null;
  private restarts = 0;
  /** Restarts performed in the current crash streak (the backoff exponent). */
  private streak = 0;
  private startedAtMs: number | null = null;
  /** The current run was marked healthy (`markHealthy`). */
  private healthy = false;
  /** The delay of the scheduled restart while in backoff. */
  private restartDelayMs: number | null = null;
  private readonly now: () => number;
  /** Repeated stderr lines, and repeated crashes (the same exit and last error line), are counted apart. */
  private readonly repeats: RepeatLimiter;
  private readonly crashes: RepeatLimiter;
  private lastExit: ExitInfo | null = null;
  private lastErrorLine: string | null = null;
  /** The current run's last error-looking and last non-empty stderr lines (redacted). */
  private runErrorLine: string | null = null;
  private runLastLine: string | null = null;

  private stopRequested = false;
  private forced = false;
  /** The current process's leader has exited (its pid may already be reused: never signal it again). */
  private leaderExited = false;
  private killTimer: unknown;
  private backoffTimer: unknown;
  private stopPromise: Promise<void> | null = null;
  private resolveStop: (() => void) | null = null;

  private readonly startListeners = new Set<(pid: number) => void>();
  private readonly exitListeners = new Set<(exit: ExitInfo) => void>();

  constructor(
    private readonly spec: ChildSpec,
    private readonly ctx: ChildContext,
  ) {
    this.name = spec.name;
    this.log = ctx.logger.child({ child: spec.name });
    this.redact = createRedactor(spec.secrets);
    this.now = ctx.now ?? Date.now;
    this.repeats = createRepeatLimiter({ now: this.now });
    this.crashes = createRepeatLimiter({ now: this.now });
    this.launch();
  }

  /** Whether a process of this child exists right now (from spawn until it is gone with its stdio). */
  isAlive(): boolean {
    return this.pid !== null;
  }

  status(): ChildStatus {
    return {
      name: this.name,
      pid: this.pid,
      state: this.state,
      restarts: this.restarts,
      started_at: this.startedAtMs === null ? null : new Date(this.startedAtMs).toISOString(),
      last_exit: this.lastExit ? { ...this.lastExit } : null,
      last_error_line: this.lastErrorLine,
      restart_delay_ms: this.state === 'backoff' ? this.restartDelayMs : null,
    };
  }

  markHealthy(): void {
    if (this.proc) this.healthy = true;
  }

  stdin(): Writable | null {
    return this.proc?.stdin ?? null;
  }

  stdout(): Readable | null {
    return this.proc?.stdout ?? null;
  }

  onStart(listener: (pid: number) => void): () => void {
    this.startListeners.add(listener);
    return () => this.startListeners.delete(listener);
  }

  onExit(listener: (exit: ExitInfo) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  stop(): Promise<void> {
    if (this.stopPromise) return this.stopPromise;
    this.stopRequested = true;
    if (this.backoffTimer !== undefined) {
      this.ctx.timers.clearTimer(this.backoffTimer);
      this.backoffTimer = undefined;
    }
    const proc = this.proc;
    if (!proc) {
      // Waiting for a restart, failed or already stopped: nothing runs.
      if (this.state === 'backoff') {
        this.state = 'stopped';
        this.log.info('pending restart cancelled by stop');
        this.flushRepeats();
      }
      this.stopPromise = Promise.resolve().then(() => this.ctx.onStopped?.(this));
      return this.stopPromise;
    }
    this.state = 'stopping';
    this.stopPromise = new Promise<void>((resolve) => {
      this.resolveStop = resolve;
    }).then(() => this.ctx.onStopped?.(this));
    if (!this.leaderExited) this.sendGracefulStop(proc);
    return this.stopPromise;
  }

  private sendGracefulStop(proc: Spawned): void {
    const pid = proc.pid;
    const line = this.spec.stop?.stdinLine;
    const stdin = proc.stdin;
    if (line && stdin && stdin.writable && !stdin.destroyed) {
      this.log.info({ pid }, 'stopping (stdin line)');
      stdin.write(line);
      stdin.end();
    } else if (pid !== undefined) {
      const signal = this.spec.stop?.signal ?? 'SIGTERM';
      this.log.info({ pid, signal }, 'stopping');
      // The leader alone: it may stop its own children cleanly; the rest of the group is killed when it exits.
      signalProcess(pid, signal);
    }
    this.killTimer = this.ctx.timers.setTimer(() => {
      this.killTimer = undefined;
      this.forced = true;
      this.log.warn({ pid, timeout_ms: this.ctx.stopTimeoutMs }, 'stop timeout: killing process group');
      if (pid !== undefined) {
        signalGroup(pid, 'SIGKILL');
        signalProcess(pid, 'SIGKILL');
      }
    }, this.ctx.stopTimeoutMs);
  }

  private launch(): void {
    this.state = 'starting';
    this.forced = false;
    this.leaderExited = false;
    this.runErrorLine = null;
    this.runLastLine = null;
    this.healthy = false;
    this.startedAtMs = this.now();
    const spec = this.spec;
    let proc: Spawned;
    try {
      proc = spawnChild({
        command: spec.command,
        args: spec.args,
        ...(spec.env !== undefined ? { env: spec.env } : {}),
        ...(spec.cwd !== undefined ? { cwd: spec.cwd } : {}),
        stdin: spec.stdin ?? 'ignore',
        stdout: spec.stdout ?? 'ignore',
      });
    } catch (err) {
      // execa refused synchronously: handled like a process that died at once (a restart timer must never throw).
      const message = err instanceof Error ? err.message : String(err);
      setImmediate(() => this.finish(null, null, null, false, message));
      return;
    }
    this.proc = proc;
    this.pid = proc.pid ?? null;
    // The first start of a streak is news; the next ones of a crash loop are counted by the crash summary.
    this.log[this.streak > 1 ? 'debug' : 'info']({ pid: this.pid, command: this.redact(spec.command), args: spec.args.map((a) => this.redact(a)), restarts: this.restarts }, 'child starting');

    proc.stdin?.on('error', (err: NodeJS.ErrnoException) => {
      // EPIPE/ERR_STREAM_DESTROYED when the child died with writes pending: expected, never fatal.
      this.log.debug({ pid: proc.pid, code: err.code }, 'stdin write failed (ignored)');
    });
    proc.stdout?.on('error', (err: NodeJS.ErrnoException) => {
      this.log.debug({ pid: proc.pid, code: err.code }, 'stdout error (ignored)');
    });
    if (proc.stderr) readLines(proc.stderr, (line) => this.onStderrLine(proc.pid, line));

    proc.spawned.then(
      (pid) => {
        if (this.proc !== proc) return;
        if (this.state === 'starting') this.state = 'running';
        for (const listener of [...this.startListeners]) {
          try {
            listener(pid);
          } catch (err) {
            this.log.error({ err }, 'onStart listener threw');
          }
        }
      },
      () => {},
    );

    let askedToStop = false;
    let exitCode: number | null = null;
    let exitSignal: string | null = null;
    void proc.exited.then(({ code, signal }) => {
      askedToStop = this.stopRequested;
      this.leaderExited = true;
      exitCode = code;
      exitSignal = signal;
      if (this.killTimer !== undefined) {
        this.ctx.timers.clearTimer(this.killTimer);
        this.killTimer = undefined;
      }
    });
    void proc.done.then(({ error }) => this.finish(exitCode, exitSignal, error, askedToStop, null));
  }

  private onStderrLine(pid: number | undefined, raw: string): void {
    if (raw.trim() === '') return;
    const line = this.redact(raw);
    this.runLastLine = line;
    const isError = looksLikeError(line);
    if (isError) {
      this.runErrorLine = line;
      this.lastErrorLine = line;
    }
    for (const entry of this.repeats.offer(line)) this.logStderr(pid, entry);
  }

  private logStderr(pid: number | undefined, { line, count }: RepeatEntry): void {
    const level = looksLikeError(line) || looksLikeWarning(line) ? 'warn' : 'info';
    if (count === 1) this.log[level]({ pid, stream: 'stderr' }, line);
    else this.log[level]({ pid, stream: 'stderr', repeated: count }, `${line} (repeated ${count} times)`);
  }

  /** A crash, unless it is one more of the same crash being counted (the summary then says how many). */
  private logCrash(fields: { code: number | null; signal: string | null; last_error_line: string | null } & Record<string, unknown>): void {
    for (const { count } of this.crashes.offer(`code ${fields.code} signal ${fields.signal}: ${fields.last_error_line}`)) this.logCrashEntry(fields, count);
  }

  private logCrashEntry(fields: Record<string, unknown>, count: number): void {
    if (count === 1) this.log.warn(fields, 'child crashed');
    else this.log.warn({ ...fields, repeated: count }, `child crashed (repeated ${count} times)`);
  }

  /** Summaries of what is still being counted: the child is stopped or has given up. */
  private flushRepeats(): void {
    for (const entry of this.repeats.flush()) this.logStderr(undefined, entry);
    for (const entry of this.crashes.flush()) this.logCrashEntry({ last_crash: entry.line }, entry.count);
  }

  private finish(code: number | null, signal: string | null, spawnError: string | null, askedToStop: boolean, syncError: string | null): void {
    const failure = spawnError ?? syncError;
    const kind: ExitKind = askedToStop ? (this.forced ? 'forced' : 'expected') : 'crashed';
    const exit: ExitInfo = { kind, code, signal, at: new Date().toISOString() };
    const ranMs = this.now() - (this.startedAtMs ?? this.now());
    const pid = this.pid;
    this.proc = null;
    this.pid = null;
    this.lastExit = exit;
    if (failure !== null) this.lastErrorLine = this.redact(failure);
    else if (kind === 'crashed' && this.runErrorLine === null && this.runLastLine !== null) this.lastErrorLine = this.runLastLine;

    if (kind === 'crashed') this.logCrash({ pid, code, signal, ran_ms: ranMs, last_error_line: this.lastErrorLine });
    else this.log.info({ pid, code, signal, kind }, 'child exited');

    if (this.stopRequested) {
      this.state = 'stopped';
    } else if (this.spec.restart === 'never') {
      this.state = 'failed';
    } else {
      this.streak = streakBefore(this.streak, { ranMs, healthy: this.healthy }, this.ctx.backoff);
      if (this.spec.maxRestarts !== undefined && this.streak >= this.spec.maxRestarts) {
        this.state = 'failed';
        this.log.error({ restarts: this.restarts, max_restarts: this.spec.maxRestarts }, 'child keeps crashing: giving up');
      } else {
        const delay = backoffDelay(this.streak, this.ctx.backoff);
        this.streak++;
        this.state = 'backoff';
        this.restartDelayMs = delay;
        this.log[this.streak > 1 ? 'debug' : 'info']({ delay_ms: delay, attempt: this.streak }, 'restarting after backoff');
        this.backoffTimer = this.ctx.timers.setTimer(() => {
          this.backoffTimer = undefined;
          if (this.stopRequested) return;
          this.restarts++;
          this.launch();
        }, delay);
      }
    }

    if (this.state === 'stopped' || this.state === 'failed') this.flushRepeats();

    for (const listener of [...this.exitListeners]) {
      try {
        listener({ ...exit });
      } catch (err) {
        this.log.error({ err }, 'onExit listener threw');
      }
    }
    if (this.resolveStop) {
      const resolve = this.resolveStop;
      this.resolveStop = null;
      resolve();
    }
  }
}
