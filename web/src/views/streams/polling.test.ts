import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startPolling } from './polling.js';

describe('startPolling', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs at once, then the interval after each run ends, never two at once', async () => {
    const starts: number[] = [];
    let release: () => void = () => {};
    const task = vi.fn(() => {
      starts.push(Date.now());
      return new Promise<void>((resolve) => (release = resolve));
    });
    const t0 = Date.now();
    const stop = startPolling(task, 1000);
    expect(task).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(5000); // the first run is still going
    expect(task).toHaveBeenCalledTimes(1);
    release();
    await vi.advanceTimersByTimeAsync(999);
    expect(task).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(task).toHaveBeenCalledTimes(2);
    expect(starts.map((s) => s - t0)).toEqual([0, 6000]);
    stop();
  });

  it('stop aborts the run in flight and schedules nothing more', async () => {
    const signals: AbortSignal[] = [];
    const task = vi.fn((signal: AbortSignal) => {
      signals.push(signal);
      return Promise.resolve();
    });
    const stop = startPolling(task, 1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(task).toHaveBeenCalledTimes(2);
    stop();
    expect(signals.every((s) => s.aborted)).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(task).toHaveBeenCalledTimes(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a run that ends after stop schedules nothing', async () => {
    let release: () => void = () => {};
    const task = vi.fn(() => new Promise<void>((resolve) => (release = resolve)));
    const stop = startPolling(task, 1000);
    stop();
    release();
    await vi.advanceTimersByTimeAsync(5000);
    expect(task).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});
