import { StringDecoder } from 'node:string_decoder';
import { redactUrls } from '../logger.js';

export const REDACTED = '[redacted]';

/**
 * Builds a redactor: URL credentials (`scheme://user:pass@`) are always removed, then every secret string
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
    let out = redactUrls(line);
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
