import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { redactAuthorization, redactUrls } from '../shared/logger.js';

const REDACTED = '[redacted]';

/**
 * Builds a redactor: URL credentials (`scheme://user:pass@`) and Authorization header values are always removed, then every secret string
 * (and its percent-encoded form, as it appears inside URLs) is replaced with `[redacted]`.
 */
export function createRedactor(secrets: readonly string[] = []): (line: string) => string {
  const needles = new Set<string>();
  for (const s of secrets) {
    if (typeof s !== 'string' || s.length === 0) continue;
    needles.add(s);
    const encoded = encodeURIComponent(s);
    if (encoded !== s) needles.add(encoded);
  }
  // Longest first, so that a secret containing another one is removed whole.
  const ordered = [...needles].sort((a, b) => b.length - a.length);
  return (line: string) => {
    let out = redactAuthorization(redactUrls(line));
    for (const n of ordered) out = out.split(n).join(REDACTED);
    return out;
  };
}

const ERROR_RE =
  /\b(error|errors|err|fatal|panic|failed|failure|fail|invalid|refused|denied|unauthori[sz]ed|forbidden|not found|no such|cannot|can't|unable|timed out|timeout|broken pipe|exception|crash(ed)?)\b/i;
const WARN_RE = /\b(warn|warning|war|wrn|deprecated)\b/i;

/** Heuristic: does a stderr line report an error (FFmpeg, MediaMTX `ERR`, go2rtc `ERR`, shells)? */
export function looksLikeError(line: string): boolean {
  return ERROR_RE.test(line);
}

export function looksLikeWarning(line: string): boolean {
  return WARN_RE.test(line);
}

export interface LineSplitter {
  push(chunk: Buffer | string): void;
  /** Flushes a last unterminated line. */
  end(): void;
}

/**
 * Reads a child's output stream line by line; `onEnd` runs after the last line. A stream error
 * (the child died mid-write) ends nothing here: the exit is what the supervisor reports.
 */
export function readLines(stream: Readable, onLine: (line: string) => void, onEnd?: () => void): void {
  const splitter = createLineSplitter(onLine);
  stream.on('data', (chunk: Buffer) => splitter.push(chunk));
  stream.on('end', () => {
    splitter.end();
    onEnd?.();
  });
  stream.on('error', () => undefined);
}

/**
 * Splits a byte stream into lines on `\n`, `\r\n` and lone `\r` (FFmpeg's progress lines), decoding UTF-8
 * safely across chunk boundaries. A line longer than `maxLineLength` is emitted in pieces so that a child
 * writing without newlines cannot grow memory without bound.
 */
export function createLineSplitter(onLine: (line: string) => void, maxLineLength = 8192): LineSplitter {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let lastWasCr = false;

  const feed = (text: string) => {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 /* \n */) {
        if (lastWasCr && i === start && pending.length === 0) {
          // second half of a \r\n pair: the line was already emitted on \r
          start = i + 1;
          lastWasCr = false;
          continue;
        }
        onLine(pending + text.slice(start, i));
        pending = '';
        start = i + 1;
        lastWasCr = false;
      } else if (c === 13 /* \r */) {
        onLine(pending + text.slice(start, i));
        pending = '';
        start = i + 1;
        lastWasCr = true;
      } else {
        lastWasCr = false;
      }
    }
    pending += text.slice(start);
    while (pending.length > maxLineLength) {
      onLine(pending.slice(0, maxLineLength));
      pending = pending.slice(maxLineLength);
    }
  };

  return {
    push(chunk) {
      feed(typeof chunk === 'string' ? chunk : decoder.write(chunk));
    },
    end() {
      feed(decoder.end());
      if (pending.length > 0) onLine(pending);
      pending = '';
    },
  };
}

/**
 * What makes two log lines "the same line" for repeat limiting: numbers (frame counts, timestamps,
 * sizes, pids), hexadecimal addresses (`[h264 @ 0x55d5c0]`) and runs of spaces vary between repeats of
 * one warning; letters do not.
 */
export function repeatKey(line: string): string {
  return line
    .replace(/0x[0-9a-f]+/gi, 'x')
    .replace(/\d+/g, '#')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A log entry that stands for `count` occurrences of a line: 1 is the line itself, more is a summary. */
export interface RepeatEntry {
  /** The latest occurrence (redacted by the caller before it is offered). */
  line: string;
  count: number;
}

export interface RepeatLimiterOptions {
  now: () => number;
  /** A repeating line is summarised at most once per this. Default 30 s. */
  intervalMs?: number;
  /** Distinct lines remembered; the least recently seen is forgotten (with its summary). Default 64. */
  maxKeys?: number;
}

/**
 * Rate-limits repeated log lines of one source (a child's stderr, an engine's log): the first
 * occurrence of a line is logged; its repeats (equal under `repeatKey`) are counted, not logged, and
 * come out as one summary entry when the line occurs again `intervalMs` or more after its last entry,
 * and at `flush()` (the child ended). No timer: a line that stops repeating is summarised at the flush.
 * Nothing is lost: the counts of all entries, flushed, add up to the lines offered.
 */
export function createRepeatLimiter({ now, intervalMs = 30_000, maxKeys = 64 }: RepeatLimiterOptions) {
  if (!(intervalMs >= 0) || !(maxKeys >= 1)) throw new RangeError('repeat limiter: intervalMs must be >= 0 and maxKeys >= 1');
  const seen = new Map<string, { since: number; suppressed: number; last: string }>();
  const summary = (e: { suppressed: number; last: string }): RepeatEntry[] => (e.suppressed > 0 ? [{ line: e.last, count: e.suppressed }] : []);
  return {
    /** The entries to log now for this line, oldest first (none while it is being suppressed). */
    offer(line: string): RepeatEntry[] {
      const key = repeatKey(line);
      const t = now();
      const e = seen.get(key);
      if (!e) {
        const out: RepeatEntry[] = [];
        if (seen.size >= maxKeys) {
          const [oldest, entry] = seen.entries().next().value as [string, { since: number; suppressed: number; last: string }];
          seen.delete(oldest);
          out.push(...summary(entry));
        }
        seen.set(key, { since: t, suppressed: 0, last: line });
        out.push({ line, count: 1 });
        return out;
      }
      // Most recently seen last: the eviction order.
      seen.delete(key);
      seen.set(key, e);
      e.last = line;
      if (t - e.since < intervalMs) {
        e.suppressed++;
        return [];
      }
      const count = e.suppressed + 1;
      e.since = t;
      e.suppressed = 0;
      return [{ line, count }];
    },
    /** Summaries of everything still being counted; forgets every line. */
    flush(): RepeatEntry[] {
      const out = [...seen.values()].flatMap(summary);
      seen.clear();
      return out;
    },
  };
}
export type RepeatLimiter = ReturnType<typeof createRepeatLimiter>;

/**
 * For states found again on every tick (a missing binary): true when `value` differs from the last one
 * given, so the state is logged when it changes, not each time it is looked at.
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- T makes the gate refuse values of another type
export function createChangeGate<T>(): (value: T) => boolean {
  let last: { value: T } | null = null;
  return (value) => {
    const changed = last === null || last.value !== value;
    last = { value };
    return changed;
  };
}

/** Keeps the last `size` items. */
export class Tail {
  private readonly items: string[] = [];
  constructor(private readonly size: number) {}
  push(item: string): void {
    this.items.push(item);
    if (this.items.length > this.size) this.items.shift();
  }
  toArray(): string[] {
    return [...this.items];
  }
}
