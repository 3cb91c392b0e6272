import type { Logger } from 'pino';
import { createRedactor, createRepeatLimiter, readLines } from '../process/lines.js';
import type { ChildHandle } from '../process/types.js';

/**
 * Logs MediaMTX's stdout (where it writes its log) line by line at the level each line says
 * (ERR/WAR, DEB, else info), URL credentials redacted.
 */
export function logMediamtxStdout(h: ChildHandle, log: Logger): void {
  const out = h.stdout();
  if (!out) return;
  const redact = createRedactor([]);
  // MediaMTX repeats a warning per packet or per reader at times: logged once, then counted.
  const repeats = createRepeatLimiter({ now: Date.now });
  const emit = ({ line, count }: { line: string; count: number }) => {
    const text = count === 1 ? line : `${line} (repeated ${count} times)`;
    const fields = count === 1 ? {} : { repeated: count };
    if (/\b(ERR|WAR)\b/.test(line)) log.warn(fields, text);
    else if (/\bDEB\b/.test(line)) log.debug(fields, text);
    else log.info(fields, text);
  };
  readLines(
    out,
    (raw) => {
      if (raw.trim() !== '') repeats.offer(redact(raw)).forEach(emit);
    },
    () => repeats.flush().forEach(emit),
  );
}
