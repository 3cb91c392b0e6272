import { describe, expect, it } from 'vitest';
import type { LiveView, LiveViewVariant } from '../../../src/api/contract.js';
import { createLiveViewsStore, dashboardViews, refreshLiveViews } from './live-views.js';
import type { Fetcher } from './store.js';

const variant = (role: LiveViewVariant['role'], show = true): LiveViewVariant => ({
  publication_id: `camera:front:${role}`,
  role,
  label: role,
  transmission_id: `t-${role}`,
  output_id: 'default',
  owner_kind: 'camera_source',
  show_in_dashboard: show,
  show_in_home_assistant: true,
});
const meta = (cameraId: string): LiveView['metadata'] => ({
  generated_by: 'stream_publication',
  publication_id: null,
  owner_kind: 'live_view',
  camera_id: cameraId,
  camera_source_id: null,
  role: null,
  pipeline_name: null,
  publish_node_id: null,
});
const view = (id: string, variants: LiveViewVariant[]): LiveView => ({ id, name: id, camera_id: id, variants, metadata: meta(id) });

const answering =
  (result: unknown): Fetcher =>
  async <T>() =>
    result as T;
const failing =
  (message: string): Fetcher =>
  async () => {
    throw new Error(message);
  };

describe('dashboardViews', () => {
  it('drops variants hidden from the dashboard, then groups left empty', () => {
    const views = [view('front', [variant('main'), variant('sub', false)]), view('hidden', [variant('main', false)])];
    expect(dashboardViews(views)).toEqual([view('front', [variant('main')])]);
  });
});

describe('refreshLiveViews', () => {
  it('starts unloaded, then holds the dashboard views', async () => {
    const store = createLiveViewsStore();
    expect(store.get()).toEqual({ views: null, error: null });
    await refreshLiveViews(store, new AbortController().signal, answering([view('front', [variant('sub')])]));
    expect(store.get()).toEqual({ views: [view('front', [variant('sub')])], error: null });
  });

  it('asks the live views route', async () => {
    const asked: string[] = [];
    const fetcher: Fetcher = async <T>(path: string) => {
      asked.push(path);
      return [] as T;
    };
    await refreshLiveViews(createLiveViewsStore(), new AbortController().signal, fetcher);
    expect(asked).toEqual(['api/streams/live-views']);
  });

  it('an unchanged answer keeps the same state object', async () => {
    const store = createLiveViewsStore();
    const signal = new AbortController().signal;
    await refreshLiveViews(store, signal, answering([view('front', [variant('sub')])]));
    const first = store.get();
    await refreshLiveViews(store, signal, answering([view('front', [variant('sub')])]));
    expect(store.get()).toBe(first);
  });

  it('a failure keeps the last good views and records the error; the next success clears it', async () => {
    const store = createLiveViewsStore();
    const signal = new AbortController().signal;
    await refreshLiveViews(store, signal, answering([view('front', [variant('sub')])]));
    await refreshLiveViews(store, signal, failing('HTTP 502'));
    expect(store.get()).toEqual({ views: [view('front', [variant('sub')])], error: 'HTTP 502' });
    await refreshLiveViews(store, signal, answering([]));
    expect(store.get()).toEqual({ views: [], error: null });
  });

  it('an aborted refresh changes nothing', async () => {
    const store = createLiveViewsStore();
    const ctrl = new AbortController();
    const pending = refreshLiveViews(store, ctrl.signal, failing('aborted'));
    ctrl.abort();
    await pending;
    const late = new AbortController();
    const answer = refreshLiveViews(store, late.signal, async <T>() => {
      late.abort();
      return [view('front', [variant('sub')])] as T;
    });
    await answer;
    expect(store.get()).toEqual({ views: null, error: null });
  });
});
