import type { Logger } from 'pino';
import { DEFAULT_BACKOFF, resolveBackoff } from './backoff.js';
import { SupervisedChild } from './child.js';
import { startRun, type ActiveRun } from './run.js';
import type { BackoffOptions, ChildHandle, ChildSpec, ChildStatus, RunResult, RunSpec, Supervisor, Timers } from './types.js';

interface SupervisorDefaults {
  /** Graceful stop timeout before SIGKILL. Default 5000. */
  stopTimeoutMs?: number;
  /** Default DEFAULT_BACKOFF (backoff.ts): 500 ms initial, x2, capped at 30 s, reset after 60 s of good running or a healthy mark. */
  backoff?: Partial<BackoffOptions>;
}

export interface SupervisorOptions {
  logger: Logger;
  defaults?: SupervisorDefaults;
  /** The clock of run lengths and repeated-log summaries (tests inject one). Default Date.now. */
  now?: () => number;
  /** The timers of restarts and of stop and run timeouts (tests inject timers they fire by hand). Default REAL_TIMERS. */
  timers?: Timers;
}

const DEFAULT_STOP_TIMEOUT_MS = 5000;

const REAL_TIMERS: Timers = {
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

const SIGNAL_RE = /^SIG[A-Z0-9]+$/;

function checkTimeout(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new RangeError(`${where} must be a finite number >= 0 (got ${String(value)})`);
  return value;
}

/** A spec as an untyped caller may pass it: checked here, not assumed. */
type UncheckedSpec = Omit<ChildSpec, 'restart' | 'stdin' | 'stdout'> & { restart: string; stdin?: string; stdout?: string };

function validateSpec(spec: UncheckedSpec | null | undefined): void {
  if (!spec || typeof spec !== 'object') throw new TypeError('child spec must be an object');
  if (typeof spec.name !== 'string' || spec.name.length === 0) throw new TypeError('child spec name must be a non-empty string');
  const where = `child "${spec.name}"`;
  if (typeof spec.command !== 'string' || spec.command.length === 0) throw new TypeError(`${where}: command must be a non-empty string`);
  if (!Array.isArray(spec.args) || !spec.args.every((a) => typeof a === 'string')) throw new TypeError(`${where}: args must be an array of strings`);
  if (spec.restart !== 'on-crash' && spec.restart !== 'never') throw new TypeError(`${where}: restart must be 'on-crash' or 'never'`);
  if (spec.maxRestarts !== undefined && (!Number.isInteger(spec.maxRestarts) || spec.maxRestarts < 0)) {
    throw new RangeError(`${where}: maxRestarts must be an integer >= 0`);
  }
  if (spec.stdin !== undefined && spec.stdin !== 'pipe' && spec.stdin !== 'ignore') throw new TypeError(`${where}: stdin must be 'pipe' or 'ignore'`);
  if (spec.stdout !== undefined && spec.stdout !== 'pipe' && spec.stdout !== 'ignore') throw new TypeError(`${where}: stdout must be 'pipe' or 'ignore'`);
  if (spec.stop?.timeoutMs !== undefined) checkTimeout(spec.stop.timeoutMs, `${where}: stop.timeoutMs`);
  if (spec.stop?.signal !== undefined && !SIGNAL_RE.test(spec.stop.signal)) throw new TypeError(`${where}: stop.signal must be a signal name`);
  if (spec.stop?.stdinLine !== undefined && typeof spec.stop.stdinLine !== 'string') throw new TypeError(`${where}: stop.stdinLine must be a string`);
}

/**
 * The one child-process supervisor used by the engine, the sidecar, publishers, frame decoders and stills.
 * See child.ts (restart, stop and exit classification), spawn.ts + groups.ts (process groups, no orphans),
 * env.ts (what environment children get) and run.ts (one-shot runs).
 */
export function createSupervisor(options: SupervisorOptions): Supervisor {
  // Checked, not assumed: an untyped caller may pass anything.
  const given = options as Partial<SupervisorOptions> | null | undefined;
  if (!given || typeof given !== 'object') throw new TypeError('createSupervisor: options are required');
  const { logger } = given;
  if (!logger || typeof logger.info !== 'function' || typeof logger.child !== 'function') throw new TypeError('createSupervisor: a pino logger is required');
  const defaults = options.defaults ?? {};
  const stopTimeoutMs = defaults.stopTimeoutMs === undefined ? DEFAULT_STOP_TIMEOUT_MS : checkTimeout(defaults.stopTimeoutMs, 'defaults.stopTimeoutMs');
  const backoff = resolveBackoff(DEFAULT_BACKOFF, defaults.backoff, 'defaults.backoff');
  const log = logger.child({ component: 'supervisor' });
  const timers = options.timers ?? REAL_TIMERS;

  const children = new Map<string, SupervisedChild>();
  const runs = new Set<ActiveRun>();

  const supervisor: Supervisor = {
    start(spec: ChildSpec): ChildHandle {
      validateSpec(spec);
      const childBackoff = resolveBackoff(backoff, spec.backoff, `child "${spec.name}": backoff`);
      const existing = children.get(spec.name);
      if (existing) {
        const state = existing.status().state;
        if (state !== 'stopped' && state !== 'failed') throw new Error(`child "${spec.name}" is already running (state ${state})`);
      }
      const child = new SupervisedChild(spec, {
        logger: log,
        stopTimeoutMs: spec.stop?.timeoutMs ?? stopTimeoutMs,
        backoff: childBackoff,
        timers,
        onStopped: (c) => {
          if (children.get(c.name) === c) children.delete(c.name);
        },
        ...(options.now ? { now: options.now } : {}),
      });
      children.set(spec.name, child);
      return child;
    },

    async run(spec: RunSpec): Promise<RunResult> {
      return startRun(spec, {
        logger: log,
        timers,
        register: (active) => {
          runs.add(active);
          return () => runs.delete(active);
        },
      });
    },

    get(name: string): ChildHandle | undefined {
      return children.get(name);
    },

    list(): ChildStatus[] {
      return [...[...children.values()].map((c) => c.status()), ...[...runs].map((r) => r.status())];
    },

    count(prefix?: string): number {
      let n = 0;
      for (const c of children.values()) if (c.isAlive() && (prefix === undefined || c.name.startsWith(prefix))) n++;
      for (const r of runs) if (prefix === undefined || r.name.startsWith(prefix)) n++;
      return n;
    },

    async stopAll(): Promise<void> {
      await Promise.all([...[...children.values()].map((c) => c.stop()), ...[...runs].map((r) => r.kill())]);
    },
  };
  return supervisor;
}
