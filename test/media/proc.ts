/**
 * Process plumbing shared by the media fixtures (test infrastructure, not product code).
 *
 * Every child started here is tracked until it has exited; `stopAllMediaProcesses()` is a safety net for
 * an `afterAll`. Children are started with execa (no shell, argv arrays) and `cleanup: true`, so they also
 * die with the test worker.
 */
import { readFile } from 'node:fs/promises';
import { execa, ExecaError } from 'execa';

export const FFMPEG = 'ffmpeg';
export const FFPROBE = 'ffprobe';

const spawnOptions = {
  stdin: 'pipe',
  stdout: 'pipe',
  stderr: 'pipe',
  buffer: false,
  reject: false,
  cleanup: true,
  forceKillAfterDelay: 2_000,
} as const;

type Spawned = ReturnType<typeof spawnRaw>;

function spawnRaw(command: string, args: readonly string[], stdin: 'pipe' | 'ignore') {
  return execa(command, [...args], { ...spawnOptions, stdin });
}

export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

/** A child process with its exit as a promise that never rejects. */
export interface MediaProcess {
  readonly name: string;
  readonly child: Spawned;
  readonly pid: number | undefined;
  /** Resolves once the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. Idempotent. */
  stop(graceMs?: number): Promise<ExitInfo>;
  /** The last few KB of stderr (lines for which `keepStderrLine` returned true). */
  stderrTail(): string;
}

const live = new Set<MediaProcess>();

export interface SpawnMediaOptions {
  stdin?: 'pipe' | 'ignore';
  /** Return false for noisy lines that should not be kept in the tail (they are still passed to onStderrLine). */
  keepStderrLine?: (line: string) => boolean;
  onStderrLine?: (line: string) => void;
  tailBytes?: number;
}

export function spawnMedia(name: string, command: string, args: readonly string[], opts: SpawnMediaOptions = {}): MediaProcess {
  const child = spawnRaw(command, args, opts.stdin ?? 'pipe');
  const tailBytes = opts.tailBytes ?? 6_000;
  let tail = '';
  let partial = '';
  let done = false;
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    partial += chunk;
    const lines = partial.split(/\r?\n|\r/);
    partial = lines.pop() ?? '';
    for (const line of lines) {
      opts.onStderrLine?.(line);
      if (opts.keepStderrLine && !opts.keepStderrLine(line)) continue;
      tail += line + '\n';
      if (tail.length > tailBytes * 2) tail = tail.slice(-tailBytes);
    }
  });
  // A child that fails to read its stdin (it quit) must not crash the test with EPIPE.
  child.stdin?.on('error', () => {});
  const exited: Promise<ExitInfo> = child.then(
    (r) => ({ code: r.exitCode ?? null, signal: r.signal ?? null }),
    (e: unknown) => (e instanceof ExecaError ? { code: e.exitCode ?? null, signal: e.signal ?? null } : { code: null, signal: null }),
  );
  const proc: MediaProcess = {
    name,
    child,
    pid: child.pid,
    exited,
    hasExited: () => done,
    stderrTail: () => (tail + partial).slice(-tailBytes),
    async stop(graceMs = 2_000) {
      if (!done) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          if (!done) child.kill('SIGKILL');
        }, graceMs);
        try {
          await exited;
        } finally {
          clearTimeout(timer);
        }
      }
      return exited;
    },
  };
  live.add(proc);
  void exited.then(() => {
    done = true;
    live.delete(proc);
  });
  return proc;
}

/** Stops every media child still running (a safety net for afterAll). */
export async function stopAllMediaProcesses(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop()));
}

/** Whether something LISTENs on 127.0.0.1:port (read from /proc/net/tcp, without connecting). */
export async function isTcpListening(port: number): Promise<boolean> {
  const hex = ':' + port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.endsWith(hex) && cols[3] === '0A') return true;
    }
  }
  return false;
}

/** Calls `onLine` for every complete line a child writes to `stream`. */
export function onLines(stream: NodeJS.ReadableStream | null | undefined, onLine: (line: string) => void): void {
  let partial = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
}

/** Runs a short command to completion with a hard timeout; returns stdout as a Buffer. */
export async function runToBuffer(
  command: string,
  args: readonly string[],
  opts: { timeoutMs: number; input?: Buffer },
): Promise<{ stdout: Buffer; stderr: string; exitCode: number | undefined; timedOut: boolean }> {
  const r = await execa(command, [...args], {
    encoding: 'buffer',
    reject: false,
    timeout: opts.timeoutMs,
    forceKillAfterDelay: 1_000,
    cleanup: true,
    ...(opts.input ? { input: opts.input } : { stdin: 'ignore' as const }),
    maxBuffer: 256 * 1024 * 1024,
  });
  return {
    stdout: Buffer.from(r.stdout),
    stderr: Buffer.from(r.stderr).toString('utf8'),
    exitCode: r.exitCode,
    timedOut: r.timedOut,
  };
}
