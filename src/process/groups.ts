import { readdirSync, readFileSync } from 'node:fs';

/**
 * Process-group helpers. Every child is spawned with `detached: true`, i.e. `setsid()`: it leads a new
 * session and process group whose id is its pid, and everything it forks (shell pipelines, MediaMTX
 * `runOnDemand` commands) stays in that group unless it deliberately moves itself elsewhere. Killing
 * `-pid` therefore reaches the whole tree.
 *
 * execa's own `cleanup` does nothing for detached children, so this module keeps the set of live groups
 * and SIGKILLs them from a `process.on('exit')` hook (it runs on `process.exit()`, on a normal end of the
 * event loop and after an uncaught exception; nothing can run when the server itself is SIGKILLed).
 */

const liveGroups = new Set<number>();
let hookInstalled = false;

function killAllOnExit(): void {
  for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
  liveGroups.clear();
}

export function trackGroup(pgid: number): void {
  if (!hookInstalled) {
    process.on('exit', killAllOnExit);
    hookInstalled = true;
  }
  liveGroups.add(pgid);
}

export function untrackGroup(pgid: number): void {
  liveGroups.delete(pgid);
}

/** Groups the exit hook would kill now (for tests and diagnostics). */
export function trackedGroups(): number[] {
  return [...liveGroups];
}

/** Sends `signal` to every process of the group. Returns false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends `signal` to one process. Returns false when it no longer exists. */
export function signalProcess(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Live (non-zombie) members of a process group, read from /proc. A zombie has released everything but its
 * pid and waits for its new parent (PID 1) to reap it, which some init processes do lazily.
 * Returns null when /proc is not available.
 */
function liveGroupMembers(pgid: number): number[] | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  const members: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses: parse after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    const pgrp = Number(fields[2]);
    if (pgrp === pgid && state !== 'Z' && state !== 'X') members.push(Number(entry));
  }
  return members;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * SIGKILLs the group and waits (bounded) until none of its members is alive. Cheap in the common case: a
 * group whose last member has been reaped no longer exists and `kill(-pgid, 0)` fails at once.
 */
export async function killGroupAndWait(pgid: number, timeoutMs = 1000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!signalGroup(pgid, 'SIGKILL')) return true;
    const members = liveGroupMembers(pgid);
    if (members === null || members.length === 0) return true;
    if (Date.now() >= deadline) return false;
    await sleep(10);
  }
}
