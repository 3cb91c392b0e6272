import { describe, expect, it } from 'vitest';
import { ApiFailure } from '../api/client.js';
import { createServicesStore, refreshServices, runServiceAction } from './services.js';

const engine = (state: string) => ({ state, version: 'v1', binary: { path: null, reason: state === 'missing' ? 'not found' : null }, download: { allowed: false } });
const mse = (state: string) => ({ state, version: 'v1.9.14', running_version: null });

describe('services store', () => {
  it('keeps both full statuses; one failing leaves the other; an abort changes nothing', async () => {
    const store = createServicesStore();
    await refreshServices(store, new AbortController().signal, async <T>(path: string) => {
      if (path === 'api/streams/engine/status') return engine('missing') as T;
      throw new Error('HTTP 500');
    });
    expect(store.get()).toMatchObject({ engine: engine('missing'), mse: null, busy: null, failure: null });

    const aborted = new AbortController();
    aborted.abort();
    await refreshServices(store, aborted.signal, async <T>() => mse('running') as T);
    expect(store.get().engine).toEqual(engine('missing'));
  });

  it('an action posts to its service, is busy until the answer, and takes the status it answers', async () => {
    const store = createServicesStore();
    let release!: () => void;
    const calls: string[] = [];
    const call = <T>(path: string, init: { method?: string } = {}) =>
      new Promise<T>((resolve) => {
        calls.push(`${init.method} ${path}`);
        release = () => resolve(mse('running') as T);
      });
    const pending = runServiceAction(store, 'mse', 'start', call);
    expect(store.get().busy).toEqual({ service: 'mse', action: 'start' });
    // A second click while one runs does nothing.
    await runServiceAction(store, 'engine', 'stop', call);
    release();
    await pending;
    expect(calls).toEqual(['POST api/streams/mse/start']);
    expect(store.get()).toMatchObject({ mse: mse('running'), busy: null, failure: null });
  });

  it('a refused download is kept with the setting it names', async () => {
    const store = createServicesStore();
    await runServiceAction(store, 'engine', 'download', async () => {
      throw new ApiFailure(409, 'download_disabled', 'downloads are disabled', 'engine.allow_download');
    });
    expect(store.get()).toMatchObject({ busy: null, failure: { service: 'engine', message: 'downloads are disabled', field: 'engine.allow_download' } });
  });
});
