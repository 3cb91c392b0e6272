/**
 * `runOnDemand` for HLS readers, as MediaMTX v1.20.1 does it (source: `internal/core/path.go`
 * `onDemandPublisherStart`/`Stop`, `internal/externalcmd`; checked against the real binary by
 * test/e2e/h265-transcode.test.ts, where an HLS reader of a cold publisher path starts our transcode):
 * a reader of a `source: publisher` path that has no stream runs the command (split like
 * go-shellquote, `$VAR`s expanded, `MTX_PATH` set, in its own process group) and
 * waits up to `runOnDemandStartTimeout` for a publisher; the command is stopped (SIGINT to its group)
 * `runOnDemandCloseAfter` after the last reader left (the HLS muxer destroyed), or at once when
 * nobody published in time (checked against the real v1.20.1: the reader then gets 500
 * `source of path '<name>' has timed out`).
 * The double has no RTSP ingest: "a publisher" here is an HLS source a test starts on the path.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { confParseDuration } from './go.js';

export interface OnDemandPlaneOptions {
  /** The path's full configuration (defaults overlaid), or null when it is not configured. */
  conf(name: string): Record<string, unknown> | null;
  /** True while the path has a stream (an HLS source). */
  publishing(name: string): boolean;
  /** True while the path has readers (an HLS muxer). */
  reading(name: string): boolean;
  log(line: string): void;
}

interface Command {
  child: ChildProcess;
  closeTimer: NodeJS.Timeout | null;
}

/** go-shellquote's Split for what a config holds: blanks separate words; quotes and backslashes as in sh. */
function splitWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error('Unterminated single-quoted string');
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let text = '';
      for (; j < line.length && line[j] !== '"'; j++) text += (line[j] === '\\' && /["\\$`]/.test(line[j + 1] ?? '') ? line[++j] : line[j]) ?? '';
      if (j >= line.length) throw new Error('Unterminated double-quoted string');
      word = (word ?? '') + text;
      i = j;
    } else if (c === '\\') word = (word ?? '') + (line[++i] ?? '');
    else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else word = (word ?? '') + c;
  }
  if (word !== null) words.push(word);
  return words;
}

const durationMs = (value: unknown, fallback: string) => confParseDuration(typeof value === 'string' ? value : fallback) / 1e6;

export function createOnDemandPlane({ conf, publishing, reading, log }: OnDemandPlaneOptions) {
  const commands = new Map<string, Command>();
  const waiters = new Map<string, Set<() => void>>();

  function stop(name: string, why: string): void {
    const cmd = commands.get(name);
    if (!cmd) return;
    commands.delete(name);
    if (cmd.closeTimer) clearTimeout(cmd.closeTimer);
    log(`INF [path ${name}] runOnDemand command stopped: ${why}`);
    try {
      process.kill(-cmd.child.pid!, 'SIGINT');
    } catch {
      // already gone
    }
  }

  function start(name: string, command: string, env: Record<string, string>): void {
    const expand = (w: string) => w.replace(/\$(\w+)|\$\{(\w+)\}/g, (_, a: string | undefined, b: string | undefined) => env[a ?? b ?? ''] ?? process.env[a ?? b ?? ''] ?? '');
    const [file, ...args] = splitWords(command).map(expand);
    if (file === undefined) return;
    const child = spawn(file, args, { env: { ...process.env, ...env }, stdio: 'ignore', detached: true });
    child.on('error', (e) => log(`ERR [path ${name}] runOnDemand command: ${e.message}`));
    child.on('exit', (code, signal) => {
      if (commands.get(name)?.child === child) commands.delete(name);
      log(`INF [path ${name}] runOnDemand command exited (${signal ?? code})`);
    });
    commands.set(name, { child, closeTimer: null });
    log(`INF [path ${name}] runOnDemand command started`);
  }

  return {
    /**
     * A reader arrived and the path has no stream: runs the path's command when it has one and
     * resolves once a publisher is there (`ready`), or with `timed_out` once the start timeout
     * passed (MediaMTX answers the reader 500 "source of path '<name>' has timed out"); `none`
     * without a command (404 at once).
     */
    async reader(name: string): Promise<'ready' | 'timed_out' | 'none'> {
      const c = conf(name);
      const command = typeof c?.runOnDemand === 'string' ? c.runOnDemand : '';
      if (command === '' || c?.source !== 'publisher' || publishing(name)) return 'none';
      const cmd = commands.get(name);
      if (cmd?.closeTimer) clearTimeout(cmd.closeTimer);
      if (cmd) cmd.closeTimer = null;
      else start(name, command, { MTX_PATH: name, MTX_QUERY: '' });
      const ready = await new Promise<boolean>((resolve) => {
        const set = waiters.get(name) ?? new Set<() => void>();
        waiters.set(name, set);
        const done = (ok: boolean) => {
          clearTimeout(timer);
          set.delete(check);
          resolve(ok);
        };
        const check = () => {
          if (publishing(name)) done(true);
        };
        const timer = setTimeout(() => done(false), durationMs(c.runOnDemandStartTimeout, '10s'));
        set.add(check);
      });
      if (ready) return 'ready';
      stop(name, 'timed out');
      return 'timed_out';
    },
    /** The path's stream or readers changed: wakes waiting readers, schedules or cancels the command's stop. */
    changed(name: string): void {
      for (const w of [...(waiters.get(name) ?? [])]) w();
      const cmd = commands.get(name);
      if (!cmd || (waiters.get(name)?.size ?? 0) > 0) return;
      if (reading(name)) {
        if (cmd.closeTimer) clearTimeout(cmd.closeTimer);
        cmd.closeTimer = null;
      } else {
        cmd.closeTimer ??= setTimeout(() => stop(name, 'not needed by anyone'), durationMs(conf(name)?.runOnDemandCloseAfter, '10s'));
      }
    },
    /** The double ends: every command with it. */
    closeAll(): void {
      for (const name of [...commands.keys()]) stop(name, 'terminated');
    },
  };
}
export type OnDemandPlane = ReturnType<typeof createOnDemandPlane>;
