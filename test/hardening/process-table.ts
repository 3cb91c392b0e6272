/**
 * What any local user (or anything running as the server's user) can read about the server's
 * children: `/proc/<pid>/cmdline` (world-readable: `ps` shows it) and `/proc/<pid>/environ`. The
 * secrets tests search these for canary credentials, in every form a secret takes on its way.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Live descendants of `root` (children, grandchildren, ...), from /proc's ppid links; zombies left out (they hold no argv). */
export function descendants(root: number = process.pid): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...; comm may hold spaces and parentheses: parse after the last ')'.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z' || state === 'X') continue;
      const list = children.get(Number(ppid)) ?? [];
      list.push(Number(entry));
      children.set(Number(ppid), list);
    } catch {
      // ended while we looked
    }
  }
  const out: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

interface ProcessTexts {
  pid: number;
  /** argv joined with spaces (NUL separators replaced). */
  cmdline: string;
  environ: string;
}

/** A process's argv and environment as text; null when it ended before we could read them. */
function processTexts(pid: number): ProcessTexts | null {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').replaceAll('\0', '\n');
    return { pid, cmdline, environ };
  } catch {
    return null;
  }
}

/**
 * The forms a secret takes on its way into a text: raw, URL-encoded (userinfo and query), and
 * base64/base64url at each of the three alignments it can have inside a longer encoded text (an
 * HTTP Basic header encodes `user:password`, so the password starts at any offset).
 */
function secretForms(secret: string): string[] {
  const forms = new Set<string>([secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)]);
  const bytes = Buffer.from(secret, 'utf8');
  for (let shift = 0; shift < 3; shift++) {
    const b64 = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    // Characters touched by the padding bytes before or the unknown bytes after are not part of every encoding.
    const start = shift === 0 ? 0 : Math.ceil((shift * 8) / 6);
    const end = Math.floor(((shift + bytes.length) * 8) / 6);
    const core = b64.slice(start, end);
    if (core.length >= 8) {
      forms.add(core);
      forms.add(core.replaceAll('+', '-').replaceAll('/', '_'));
    }
  }
  return [...forms];
}

/** Which of the canaries (in any of their forms) `text` contains. */
export function canariesIn(text: string, canaries: readonly string[]): string[] {
  return canaries.filter((c) => secretForms(c).some((form) => text.includes(form)));
}

export interface ProcessSweep {
  /** Processes read (those that ended meanwhile are not counted). */
  processes: number;
  /** `pid name: canary in argv|environ` per finding. */
  findings: string[];
}

/** Reads argv and environment of every live descendant and reports each canary found. */
export function sweepProcesses(canaries: readonly string[], root: number = process.pid): ProcessSweep {
  const findings: string[] = [];
  let processes = 0;
  for (const pid of descendants(root)) {
    const t = processTexts(pid);
    if (!t) continue;
    processes++;
    const name = t.cmdline.split(' ')[0] ?? '?';
    for (const c of canariesIn(t.cmdline, canaries)) findings.push(`${pid} ${name}: ${JSON.stringify(c)} in argv (${t.cmdline.slice(0, 300)})`);
    for (const c of canariesIn(t.environ, canaries)) findings.push(`${pid} ${name}: ${JSON.stringify(c)} in environ`);
  }
  return { processes, findings };
}
