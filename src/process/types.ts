import type { Readable, Writable } from 'node:stream';

/** How a child ended: asked to stop and did (expected), had to be killed (forced), or died on its own (crashed). */
export type ExitKind = 'expected' | 'forced' | 'crashed';

export type ChildState = 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped' | 'failed';

export interface BackoffOptions {
  /** First restart delay. */
  initialMs: number;
  /** Cap of the exponential delay. */
  maxMs: number;
  factor: number;
  /** A child that ran this long without crashing (or was marked healthy) starts again from `initialMs`. */
  resetAfterMs: number;
}

/**
 * Where the supervisor schedules restarts after a backoff and the kills of stop and run timeouts.
 * Default: the global setTimeout/clearTimeout; tests inject timers they fire by hand.
 */
export interface Timers {
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export interface ChildSpec {
  /** Unique among running children, e.g. "mediamtx" or "publisher:cam/front/main". */
  name: string;
  command: string;
  /** Always an argv array: never a string split by the shell. */
  args: readonly string[];
  env?: Record<string, string>;
  cwd?: string;
  /** `on-crash` restarts only crashed children (with backoff); `never` leaves them stopped. */
  restart: 'on-crash' | 'never';
  /** Graceful stop: a signal, or a line written to stdin (FFmpeg quits on "q"). */
  stop?: { signal?: NodeJS.Signals; stdinLine?: string; timeoutMs?: number };
  backoff?: Partial<BackoffOptions>;
  /** Give up restarting after this many consecutive crashes (state becomes `failed`). Default: never give up. */
  maxRestarts?: number;
  /** `pipe` gives the handle a writable stdin (frames for FFmpeg). Default `ignore`. */
  stdin?: 'pipe' | 'ignore';
  /** `pipe` gives the handle a readable stdout (MPEG-TS, JPEG frames). Default `ignore`. */
  stdout?: 'pipe' | 'ignore';
  /** Strings to hide in logged stderr lines beyond the URL credentials that are always redacted. */
  secrets?: readonly string[];
}

export interface ExitInfo {
  kind: ExitKind;
  code: number | null;
  signal: string | null;
  at: string;
}

export interface ChildStatus {
  name: string;
  pid: number | null;
  state: ChildState;
  restarts: number;
  started_at: string | null;
  last_exit: ExitInfo | null;
  last_error_line: string | null;
  /** While in `backoff`: the delay of the scheduled restart, as decided after the last crash. Null otherwise. */
  restart_delay_ms: number | null;
}

export interface ChildHandle {
  readonly name: string;
  status(): ChildStatus;
  /** Current process's stdin/stdout (they change across restarts; subscribe through `onStart`). */
  stdin(): Writable | null;
  stdout(): Readable | null;
  /** Called after each (re)start with the new process's pid. Returns an unsubscribe function. */
  onStart(listener: (pid: number) => void): () => void;
  /** Called after each exit, with its classification. Returns an unsubscribe function. */
  onExit(listener: (exit: ExitInfo) => void): () => void;
  /**
   * The current process proved it works (its API answered, it produced output): its next crash starts a
   * new streak (the first backoff delay, and `maxRestarts` counts again) instead of continuing the last one.
   */
  markHealthy(): void;
  /** Graceful stop, then SIGKILL after the timeout; resolves once the process is gone. No restart follows. */
  stop(): Promise<void>;
}

export interface RunResult {
  exit: ExitInfo;
  stdout: Buffer;
  /** The last stderr lines (redacted), for error messages. */
  stderrTail: string[];
}

export interface RunSpec {
  name: string;
  command: string;
  args: readonly string[];
  env?: Record<string, string>;
  /** Bytes written to stdin, which is then closed. */
  input?: Buffer;
  /** Killed (and reported as `forced`) past this. */
  timeoutMs: number;
  /** Refuse stdout beyond this many bytes (the run is killed). Default 64 MiB. */
  maxStdoutBytes?: number;
  secrets?: readonly string[];
}

export interface Supervisor {
  /** Starts a long-running child; a second start with a running name is refused (throws). */
  start(spec: ChildSpec): ChildHandle;
  /** Runs a short-lived child to completion (a still grab, a placeholder render) and collects its stdout. */
  run(spec: RunSpec): Promise<RunResult>;
  get(name: string): ChildHandle | undefined;
  list(): ChildStatus[];
  /** Children with a live process right now, optionally only those whose name starts with `prefix`. */
  count(prefix?: string): number;
  /** Stops every child (in parallel) and waits until all are gone. */
  stopAll(): Promise<void>;
}
