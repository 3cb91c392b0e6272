import type { Logger } from 'pino';
import { redactUrls } from '../shared/logger.js';
import type { ExecutableResolution, ExecutableSource } from './executable.js';

/**
 * Bookkeeping the managers of long-running children (MediaMTX, go2rtc) share: one operation at a
 * time, the start outcome for their status, one download at a time, the binary as reported.
 */

/** Runs operations one after another; a failed one does not stop the queue. */
export function createSerialQueue() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(op: () => Promise<T>): Promise<T> => {
    const next = tail.then(op, op);
    tail = next.catch(() => undefined);
    return next;
  };
}

/** What a status reports of the last start: in progress, failed, and the last error (a crash included). */
export function createStartTracker({ log, label }: { log: Logger; label: string }) {
  let starting = false;
  let failed = false;
  let lastError: string | null = null;
  const failedToStart = (message: string) => {
    failed = true;
    lastError = message;
    log.error({ error: message }, `${label} failed to start`);
  };
  return {
    starting: () => starting,
    failed: () => failed,
    lastError: () => lastError,
    failedToStart,
    crashed(message: string) {
      lastError = message;
      log.warn({ error: message }, `${label} crashed`);
    },
    running() {
      lastError = null;
    },
    stopped() {
      failed = false;
    },
    /** One start attempt: an unexpected error cleans up and is recorded (URLs redacted), never thrown. */
    async attempt(start: () => Promise<void>, cleanUp: () => Promise<void>): Promise<void> {
      starting = true;
      failed = false;
      lastError = null;
      try {
        await start();
      } catch (err) {
        await cleanUp().catch(() => undefined);
        failedToStart(redactUrls((err as Error).message));
      } finally {
        starting = false;
      }
    },
  };
}

/** One download at a time: callers during a download share it; its last failure is kept for the status. */
export function createDownloadJob({ log, label, run }: { log: Logger; label: string; run: () => Promise<string> }) {
  let job: Promise<string> | null = null;
  let lastError: string | null = null;
  return {
    inProgress: () => job !== null,
    lastError: () => lastError,
    ensure(): Promise<string> {
      if (job) return job;
      const current = run();
      job = current;
      current.then(
        () => {
          lastError = null;
        },
        (err: unknown) => {
          lastError = (err as Error).message;
          log.warn({ error: lastError }, `${label} download refused`);
        },
      );
      void current
        .finally(() => {
          if (job === current) job = null;
        })
        .catch(() => undefined);
      return current;
    },
  };
}

/** The binary as a status reports it. */
export function binaryStatus(binary: ExecutableResolution | null): { path: string | null; source: ExecutableSource | null; reason: string | null } {
  if (!binary) return { path: null, source: null, reason: 'not looked for yet' };
  return binary.path === null ? { path: null, source: null, reason: binary.reason } : { path: binary.path, source: binary.source, reason: null };
}
