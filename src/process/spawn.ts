import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { execa } from 'execa';
import { childEnv } from './env.js';
import { killGroupAndWait, signalGroup, trackGroup, untrackGroup } from './groups.js';

export interface SpawnRequest {
  command: string;
  args: readonly string[];
  env?: Record<string, string>;
  cwd?: string;
  stdin: 'pipe' | 'ignore';
  stdout: 'pipe' | 'ignore';
}

export interface Spawned {
  /** undefined when the spawn failed (the failure arrives through `done`). */
  pid: number | undefined;
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
  /** Resolves on the 'spawn' event; rejects when the process could not be started. */
  spawned: Promise<number>;
  /** Resolves with the leader's exit code/signal on its 'exit' event (null, null after a spawn failure). */
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** Resolves once the process is gone and its stdio closed; `error` is set when it never ran. */
  done: Promise<{ error: string | null }>;
}

/** How long stdio may stay open after the leader exited and its group was killed (a descendant that escaped the group). */
const STDIO_GRACE_MS = 1000;

/**
 * Spawns through execa with an argv array and no shell, as the leader of its own process group (see
 * groups.ts). When the leader exits, for whatever reason, the rest of its group is SIGKILLed at once, so
 * that nothing it forked outlives it.
 */
export function spawnChild(req: SpawnRequest): Spawned {
  const sub = execa(req.command, [...req.args], {
    shell: false,
    // A new session and process group (setsid), so that the whole tree can be signalled as `-pid`.
    detached: true,
    // execa ignores `cleanup` for detached children; groups.ts provides the exit hook instead.
    cleanup: true,
    // We read the streams ourselves; execa must not buffer a long-running child's output.
    buffer: false,
    reject: false,
    // Never let execa schedule its own SIGKILL: stop timeouts belong to the supervisor.
    forceKillAfterDelay: false,
    extendEnv: false,
    env: childEnv(req.env),
    ...(req.cwd !== undefined ? { cwd: req.cwd } : {}),
    stdin: req.stdin,
    stdout: req.stdout,
    stderr: 'pipe',
    stripFinalNewline: false,
  });

  const pid = sub.pid;
  if (pid !== undefined) trackGroup(pid);
  const stdin = sub.stdin ?? null;
  const stdout = sub.stdout ?? null;
  const stderr = (sub.stderr as Readable | null) ?? null;

  let spawnError: string | null = null;
  sub.on('error', (err: Error) => {
    spawnError ??= err.message;
  });

  const spawned = once(sub, 'spawn').then(() => {
    if (pid === undefined) throw new Error('spawned without a pid');
    return pid;
  });
  spawned.catch(() => {});

  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    sub.once('exit', (code: number | null, signal: NodeJS.Signals | null) => {
      if (pid !== undefined) signalGroup(pid, 'SIGKILL');
      resolve({ code, signal });
    });
    // A spawn failure emits 'error' then 'close', never 'exit'.
    sub.once('close', () => resolve({ code: null, signal: null }));
  });

  let graceTimer: NodeJS.Timeout | undefined;
  void exited.then(() => {
    graceTimer = setTimeout(() => {
      for (const s of [stdin, stdout, stderr]) s?.destroy();
    }, STDIO_GRACE_MS);
    graceTimer.unref();
  });

  const closed = new Promise<void>((resolve) => sub.once('close', () => resolve()));
  const done = Promise.all([
    closed,
    sub.then(
      () => undefined,
      () => undefined,
    ),
  ]).then(async () => {
    if (graceTimer) clearTimeout(graceTimer);
    if (pid !== undefined) {
      // Stdio closing proves that the descendants which shared it are dead; this catches those that did not.
      await killGroupAndWait(pid);
      untrackGroup(pid);
    }
    return { error: spawnError };
  });

  return { pid, stdin, stdout, stderr, spawned, exited, done };
}
