/**
 * What a process holds, read from /proc and V8: its descendant processes (zombies apart), its open
 * file descriptors, and its heap after a forced garbage collection.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface Proc {
  pid: number;
  ppid: number;
  state: string;
  cmdline: string;
}

function readProc(pid: number): Proc | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    return { pid, ppid: Number(ppid), state: state!, cmdline };
  } catch {
    return null; // it ended while we looked
  }
}

/** Every process below `root` (children, grandchildren...), zombies included (state Z). */
export function descendants(root = process.pid): Proc[] {
  const all = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => readProc(Number(d)))
    .filter((p): p is Proc => p !== null);
  const below = new Set([root]);
  const out: Proc[] = [];
  // Parents come before children in no particular order: repeat until nothing is added.
  for (let added = true; added;) {
    added = false;
    for (const p of all) {
      if (below.has(p.ppid) && !below.has(p.pid)) {
        below.add(p.pid);
        out.push(p);
        added = true;
      }
    }
  }
  return out;
}

export const openFds = (): number => readdirSync('/proc/self/fd').length;

let gc: (() => void) | null = null;
/** Heap in use after a full collection, in MB. The flag makes `gc` available without restarting the process with --expose-gc. */
export function heapAfterGcMb(): number {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  // Twice: the first pass may only queue finalizers whose memory the second frees.
  gc();
  gc();
  return process.memoryUsage().heapUsed / (1024 * 1024);
}
