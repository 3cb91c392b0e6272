import type { Fetcher } from './store.js';
import { describe, expect, it } from 'vitest';
import { createEngineStore, engineMissing, refreshEngine } from './engine.js';

/** The server's full statuses carry more than the view reads (ports, sync times...). */
const engineStatus = (state: string, lastSync = '2024-01-01T00:00:00Z') => ({
  state,
  version: 'v1',
  binary: { path: null, source: null, reason: state === 'missing' ? 'not found: mediamtx' : null },
  pid: null,
  download: { allowed: true, in_progress: false, last_error: null },
  paths: { desired: 1, last_sync_at: lastSync, last_sync_errors: 0 },
});
const mseStatus = (state: string) => ({ state, version: 'v1', running_version: null, streams: { desired: 0, configured: 0, restart_pending: false } });

const routes =
  (answers: Record<string, unknown>): Fetcher =>
  async <T>(path: string) => {
    if (!(path in answers)) throw new Error(`HTTP 500 ${path}`);
    return answers[path] as T;
  };

describe('engine store', () => {
  it('keeps the fields the view reads from both statuses', async () => {
    const store = createEngineStore();
    expect(store.get()).toEqual({ engine: null, mse: null });
    await refreshEngine(store, new AbortController().signal, routes({ 'api/streams/engine/status': engineStatus('missing'), 'api/streams/mse/status': mseStatus('disabled') }));
    expect(store.get()).toEqual({
      engine: { state: 'missing', binary: { reason: 'not found: mediamtx' }, download: { allowed: true } },
      mse: { state: 'disabled' },
    });
    expect(engineMissing(store.get())).toBe(true);
  });

  it('one failing request does not hide the other, and an unknown state is not "missing"', async () => {
    const store = createEngineStore();
    await refreshEngine(store, new AbortController().signal, routes({ 'api/streams/mse/status': mseStatus('running') }));
    expect(store.get()).toEqual({ engine: null, mse: { state: 'running' } });
    expect(engineMissing(store.get())).toBe(false);
  });

  it('a change only in fields it does not read keeps the same state object', async () => {
    const store = createEngineStore();
    const signal = new AbortController().signal;
    await refreshEngine(store, signal, routes({ 'api/streams/engine/status': engineStatus('running', 'a'), 'api/streams/mse/status': mseStatus('running') }));
    const first = store.get();
    await refreshEngine(store, signal, routes({ 'api/streams/engine/status': engineStatus('running', 'b'), 'api/streams/mse/status': mseStatus('running') }));
    expect(store.get()).toBe(first);
    expect(engineMissing(first)).toBe(false);
  });

  it('an aborted refresh changes nothing', async () => {
    const store = createEngineStore();
    const ctrl = new AbortController();
    ctrl.abort();
    await refreshEngine(store, ctrl.signal, routes({ 'api/streams/engine/status': engineStatus('missing'), 'api/streams/mse/status': mseStatus('missing') }));
    expect(store.get()).toEqual({ engine: null, mse: null });
  });
});
