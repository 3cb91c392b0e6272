import type { Logger } from 'pino';
import { redactUrls } from '../shared/logger.js';

/** A loop's current failure, as health shows it (`error` with any URL credentials removed). */
export interface LoopFailure {
  error: string;
  since: number;
  /** Turns that failed in a row. */
  count: number;
}

/**
 * The failures of a loop that runs every second or so: logged when one starts or its error
 * changes, and once when the loop recovers, never once per turn; the loop itself runs on.
 * Logs `<what> failed` and `<what> recovered`.
 */
export function createFailureLog(logger: Logger, what: string, now: () => number = Date.now) {
  let current: LoopFailure | null = null;
  return {
    fail(err: unknown): void {
      const error = redactUrls(err instanceof Error ? err.message : String(err));
      if (current?.error === error) {
        current.count++;
        return;
      }
      // The message and stack, URL credentials removed (pino's own `err` would log them as they are).
      logger.error({ error, stack: err instanceof Error && err.stack ? redactUrls(err.stack) : undefined }, `${what} failed`);
      current = { error, since: now(), count: 1 };
    },
    ok(): void {
      if (!current) return;
      logger.info({ failures: current.count }, `${what} recovered`);
      current = null;
    },
    current: (): LoopFailure | null => (current ? { ...current } : null),
  };
}
