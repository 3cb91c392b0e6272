import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../shared/logger.js';
import { binaryStatus, createDownloadJob, createSerialQueue, createStartTracker } from './lifecycle.js';

function capture() {
  const lines: string[] = [];
  const log = createLogger(
    'debug',
    new Writable({
      write(chunk, _e, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  return { log, lines };
}

describe('createSerialQueue', () => {
  it('runs operations one after another, and a failure does not stop the queue', async () => {
    const serially = createSerialQueue();
    const order: string[] = [];
    const slow = serially(async () => {
      await new Promise((r) => setTimeout(r, 30));
      order.push('slow');
    });
    const failing = serially(async () => {
      order.push('failing');
      throw new Error('boom');
    });
    const after = serially(async () => {
      order.push('after');
      return 42;
    });
    await slow;
    await expect(failing).rejects.toThrow('boom');
    expect(await after).toBe(42);
    expect(order).toEqual(['slow', 'failing', 'after']);
  });
});

describe('createStartTracker', () => {
  it('is starting during an attempt, records a thrown error (URL credentials redacted) after cleaning up', async () => {
    const { log, lines } = capture();
    const start = createStartTracker({ log, label: 'Thing' });
    let cleaned = false;
    let seenStarting = false;
    await start.attempt(
      async () => {
        seenStarting = start.starting();
        throw new Error('cannot reach rtsp://admin:hunter2@10.0.0.1/x');
      },
      async () => {
        cleaned = true;
      },
    );
    expect(seenStarting).toBe(true);
    expect(start.starting()).toBe(false);
    expect(cleaned).toBe(true);
    expect(start.failed()).toBe(true);
    expect(start.lastError()).not.toContain('hunter2');
    expect(lines.join('')).toContain('Thing failed to start');
    expect(lines.join('')).not.toContain('hunter2');
  });

  it('a new attempt clears the last failure; a crash keeps its message until the child runs again', async () => {
    const { log } = capture();
    const start = createStartTracker({ log, label: 'Thing' });
    start.failedToStart('bad config');
    await start.attempt(
      async () => undefined,
      async () => undefined,
    );
    expect([start.failed(), start.lastError()]).toEqual([false, null]);
    start.crashed('Thing exited (code 1)');
    expect(start.lastError()).toBe('Thing exited (code 1)');
    start.running();
    expect(start.lastError()).toBeNull();
    start.failedToStart('again');
    start.stopped();
    expect(start.failed()).toBe(false);
  });
});

describe('createDownloadJob', () => {
  it('shares one download among callers and keeps its last failure until a success', async () => {
    const { log } = capture();
    let runs = 0;
    let fail = true;
    const job = createDownloadJob({
      log,
      label: 'Thing',
      run: async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 10));
        if (fail) throw new Error('checksum mismatch');
        return '/cache/thing';
      },
    });
    const a = job.ensure();
    const b = job.ensure();
    expect(a).toBe(b);
    expect(job.inProgress()).toBe(true);
    await expect(a).rejects.toThrow('checksum mismatch');
    await new Promise((r) => setImmediate(r));
    expect([runs, job.inProgress(), job.lastError()]).toEqual([1, false, 'checksum mismatch']);
    fail = false;
    expect(await job.ensure()).toBe('/cache/thing');
    expect([runs, job.lastError()]).toEqual([2, null]);
  });
});

describe('binaryStatus', () => {
  it.each([
    [null, { path: null, source: null, reason: 'not looked for yet' }],
    [
      { path: null, reason: 'not installed' },
      { path: null, source: null, reason: 'not installed' },
    ],
    [
      { path: '/usr/bin/x', source: 'env' as const },
      { path: '/usr/bin/x', source: 'env', reason: null },
    ],
  ])('%j', (binary, expected) => {
    expect(binaryStatus(binary)).toEqual(expected);
  });
});
