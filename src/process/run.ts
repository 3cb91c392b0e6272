import type { Logger } from 'pino';
import { signalGroup } from './groups.js';
import { createRedactor, readLines, Tail } from './lines.js';
import { spawnChild } from './spawn.js';
import type { ChildStatus, ExitInfo, ExitKind, RunResult, RunSpec, Timers } from './types.js';

const DEFAULT_MAX_STDOUT_BYTES = 64 * 1024 * 1024;
const STDERR_TAIL_LINES = 20;

/** A one-shot run while it is alive (visible in `list()`/`count()`, killable by `stopAll()`). */
export interface ActiveRun {
  readonly name: string;
  status(): ChildStatus;
  /** SIGKILLs the run (reported as `forced`) and resolves once it is gone. */
  kill(): Promise<void>;
}

/** Checked, not assumed: an untyped caller may pass anything. */
function validateRunSpec(spec: RunSpec | null | undefined): void {
  if (!spec || typeof spec !== 'object') throw new TypeError('run spec must be an object');
  if (typeof spec.name !== 'string' || spec.name.length === 0) throw new TypeError('run spec name must be a non-empty string');
  if (typeof spec.command !== 'string' || spec.command.length === 0) throw new TypeError(`run "${spec.name}": command must be a non-empty string`);
  if (!Array.isArray(spec.args) || !spec.args.every((a) => typeof a === 'string')) throw new TypeError(`run "${spec.name}": args must be an array of strings`);
  if (typeof spec.timeoutMs !== 'number' || !Number.isFinite(spec.timeoutMs) || spec.timeoutMs <= 0) {
    throw new RangeError(`run "${spec.name}": timeoutMs must be a finite number > 0`);
  }
  if (spec.maxStdoutBytes !== undefined && (!Number.isInteger(spec.maxStdoutBytes) || spec.maxStdoutBytes <= 0)) {
    throw new RangeError(`run "${spec.name}": maxStdoutBytes must be a positive integer`);
  }
  if (spec.input !== undefined && !Buffer.isBuffer(spec.input)) throw new TypeError(`run "${spec.name}": input must be a Buffer`);
}

/**
 * Runs a short-lived child to completion. Never rejects for the child's own failures (they are in
 * `exit` and `stderrTail`): exit code 0 → `expected`; any other end → `crashed`; killed by us because of
 * the timeout, of too much stdout or of `stopAll()` → `forced`. Its stderr lines are logged at debug level
 * (a still grab runs often); a run that did not end `expected` is logged at warn with its stderr tail.
 */
export interface RunContext {
  logger: Logger;
  /** Schedules the kill at `spec.timeoutMs`. */
  timers: Timers;
  /** Makes the run visible to `list()`/`count()`/`stopAll()` while alive; returns its removal. */
  register: (run: ActiveRun) => () => void;
}

export function startRun(spec: RunSpec, { logger, timers, register }: RunContext): Promise<RunResult> {
  validateRunSpec(spec);
  const log = logger.child({ child: spec.name });
  const redact = createRedactor(spec.secrets);
  const maxBytes = spec.maxStdoutBytes ?? DEFAULT_MAX_STDOUT_BYTES;
  const tail = new Tail(STDERR_TAIL_LINES);
  const startedAt = new Date();

  const proc = spawnChild({
    command: spec.command,
    args: spec.args,
    ...(spec.env !== undefined ? { env: spec.env } : {}),
    stdin: spec.input !== undefined ? 'pipe' : 'ignore',
    stdout: 'pipe',
  });
  const pid = proc.pid;
  log.debug({ pid, command: redact(spec.command), args: spec.args.map(redact) }, 'run starting');

  let killedReason: string | null = null;
  let leaderExited = false;
  const killNow = (reason: string) => {
    if (killedReason !== null || leaderExited || pid === undefined) return;
    killedReason = reason;
    signalGroup(pid, 'SIGKILL');
  };

  const chunks: Buffer[] = [];
  let bytes = 0;
  proc.stdout?.on('data', (chunk: Buffer) => {
    const room = maxBytes - bytes;
    if (chunk.length > room) {
      if (room > 0) chunks.push(chunk.subarray(0, room));
      bytes = maxBytes;
      killNow(`stdout exceeded ${maxBytes} bytes`);
      return;
    }
    chunks.push(chunk);
    bytes += chunk.length;
  });
  proc.stdout?.on('error', () => {});

  if (proc.stderr) {
    readLines(proc.stderr, (raw) => {
      if (raw.trim() === '') return;
      const line = redact(raw);
      tail.push(line);
      log.debug({ pid, stream: 'stderr' }, line);
    });
  }

  if (proc.stdin) {
    proc.stdin.on('error', (err: NodeJS.ErrnoException) => log.debug({ pid, code: err.code }, 'run stdin write failed (ignored)'));
    proc.stdin.end(spec.input);
  }

  const timer = timers.setTimer(() => killNow(`timed out after ${spec.timeoutMs} ms`), spec.timeoutMs);
  let exitCode: number | null = null;
  let exitSignal: string | null = null;
  void proc.exited.then(({ code, signal }) => {
    leaderExited = true;
    exitCode = code;
    exitSignal = signal;
    timers.clearTimer(timer);
  });

  const active: ActiveRun = {
    name: spec.name,
    status: () => ({
      name: spec.name,
      pid: pid ?? null,
      state: 'running',
      restarts: 0,
      started_at: startedAt.toISOString(),
      last_exit: null,
      last_error_line: null,
      restart_delay_ms: null,
    }),
    kill: () => {
      killNow('stopped by supervisor');
      return result.then(() => undefined);
    },
  };
  const unregister = pid !== undefined ? register(active) : () => {};

  const result = proc.done.then(({ error }): RunResult => {
    timers.clearTimer(timer);
    unregister();
    if (error !== null) tail.push(redact(error));
    if (killedReason !== null) tail.push(`[supervisor] ${killedReason}: killed`);
    let kind: ExitKind;
    if (killedReason !== null) kind = 'forced';
    else kind = exitCode === 0 && exitSignal === null && error === null ? 'expected' : 'crashed';
    const exit: ExitInfo = { kind, code: exitCode, signal: exitSignal, at: new Date().toISOString() };
    const stderrTail = tail.toArray();
    if (kind !== 'expected') log.warn({ pid, code: exitCode, signal: exitSignal, kind, stderr_tail: stderrTail }, 'run failed');
    return { exit, stdout: Buffer.concat(chunks, bytes), stderrTail };
  });
  return result;
}
