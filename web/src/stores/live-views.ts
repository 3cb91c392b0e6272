import type { LiveView } from '../../../src/api/contract.js';
import { api } from '../api/client.js';
import { createStore, refreshStore, type Fetcher, type Store } from './store.js';

export interface LiveViewsState {
  /** Null until the first answer: the view tells "loading" apart from "none configured". */
  views: LiveView[] | null;
  /** The last refresh failed; the views of the last good answer stay on screen. */
  error: string | null;
}

export const createLiveViewsStore = (): Store<LiveViewsState> => createStore<LiveViewsState>({ views: null, error: null });

/** Module-wide, so going to Settings and back shows the last list at once instead of "loading". */
export const liveViewsStore = createLiveViewsStore();

/** Only what the dashboard may show: variants hidden from it are dropped, then groups left empty. */
export function dashboardViews(views: readonly LiveView[]): LiveView[] {
  return views.map((v) => ({ ...v, variants: v.variants.filter((x) => x.show_in_dashboard) })).filter((v) => v.variants.length > 0);
}

/** Never throws: a failure is recorded in the state; an abort (the view unmounted) changes nothing. */
export function refreshLiveViews(store: Store<LiveViewsState>, signal: AbortSignal, fetcher: Fetcher = api): Promise<void> {
  return refreshStore(
    store,
    signal,
    () => fetcher<LiveView[]>('api/streams/live-views', { signal }),
    (views, prev) => {
      const next = dashboardViews(views);
      // An unchanged answer keeps the same state object, so a poll does not re-render every tile.
      return prev.error === null && JSON.stringify(prev.views) === JSON.stringify(next) ? prev : { views: next, error: null };
    },
  );
}
