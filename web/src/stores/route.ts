import { createStore } from './store.js';

export type Route = 'streams' | 'settings';

/** The page shown, kept in the URL hash so reloads and the browser's back button work under any prefix. */
export const routeStore = createStore<Route>('streams');

export const routeFromHash = (hash: string): Route => (hash.replace(/^#\/?/, '').startsWith('settings') ? 'settings' : 'streams');
