/** A small observable value: the state primitive of every store in the UI (tested without a DOM). */
export interface Store<T> {
  get(): T;
  set(next: T | ((prev: T) => T)): void;
  subscribe(listener: (value: T) => void): () => void;
}

/** How a store's refresh asks the server (the API client; a stub in tests). */
export type Fetcher = <T>(path: string, init: { signal: AbortSignal }) => Promise<T>;

export function createStore<T>(initial: T): Store<T> {
  let value = initial;
  const listeners = new Set<(value: T) => void>();
  return {
    get: () => value,
    set(next) {
      const resolved = typeof next === 'function' ? (next as (prev: T) => T)(value) : next;
      if (Object.is(resolved, value)) return;
      value = resolved;
      for (const l of [...listeners]) l(value);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** What a failure says to the user: an Error's message, or whatever was thrown, as text. */
export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * One request into a store whose state keeps the last failure in `error`. Never throws: a failure
 * is kept next to the last good value; an abort (the view went away) changes nothing.
 */
export async function refreshStore<S extends { error: string | null }, T>(store: Store<S>, signal: AbortSignal, load: () => Promise<T>, next: (value: T, prev: S) => S): Promise<void> {
  try {
    const value = await load();
    if (!signal.aborted) store.set((prev) => next(value, prev));
  } catch (err) {
    if (!signal.aborted) store.set((prev) => ({ ...prev, error: errorMessage(err) }));
  }
}
