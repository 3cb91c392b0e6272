import { createStore, type Store } from './store.js';

export type GridMode = '1x1' | '2x2';
export const GRID_MODES: readonly GridMode[] = ['1x1', '2x2'];

export interface GridState {
  mode: GridMode;
  /** Zero-based; may exceed the page count after cameras are removed, so readers clamp it (`clampPage`). */
  page: number;
  /** The variant the user picked per live view: live view id -> publication id. */
  choices: Readonly<Record<string, string>>;
}

export const DEFAULT_GRID: GridState = { mode: '2x2', page: 0, choices: {} };

// Pagination math, pure.

export const perPage = (mode: GridMode): number => (mode === '1x1' ? 1 : 4);

/** At least one page, so "page 1 of 1" holds for an empty grid too. */
export const pageCount = (total: number, per: number): number => Math.max(1, Math.ceil(total / per));

export const clampPage = (page: number, count: number): number => Math.min(Math.max(0, Math.floor(page)), count - 1);

export function pageSlice<T>(items: readonly T[], page: number, per: number): T[] {
  const p = clampPage(page, pageCount(items.length, per));
  return items.slice(p * per, p * per + per);
}

/** The page of the new mode that holds the first tile the user was looking at. */
export const pageForMode = (page: number, from: GridMode, to: GridMode): number => Math.floor((page * perPage(from)) / perPage(to));

// Transitions.

export function withMode(s: GridState, mode: GridMode, total: number): GridState {
  if (mode === s.mode) return s;
  const from = clampPage(s.page, pageCount(total, perPage(s.mode)));
  return { ...s, mode, page: clampPage(pageForMode(from, s.mode, mode), pageCount(total, perPage(mode))) };
}

/** A step from the page on screen (the clamped one), staying within the pages there are. */
export function withPageStep(s: GridState, delta: number, total: number): GridState {
  const count = pageCount(total, perPage(s.mode));
  const page = clampPage(clampPage(s.page, count) + delta, count);
  return page === s.page ? s : { ...s, page };
}

/** `null` forgets the choice, so the tile goes back to the context's default variant. */
export function withChoice(s: GridState, liveViewId: string, publicationId: string | null): GridState {
  if (publicationId === null) return { ...s, choices: Object.fromEntries(Object.entries(s.choices).filter(([id]) => id !== liveViewId)) };
  return { ...s, choices: { ...s.choices, [liveViewId]: publicationId } };
}

// Persistence: the layout and the choices survive a reload of the panel.

export const GRID_STORAGE_KEY = 'toposync-streaming.grid';

/** A stored document from another version or edited by hand never breaks the view: what does not fit is dropped. */
export function parseGrid(raw: string | null): GridState {
  if (raw === null) return DEFAULT_GRID;
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return DEFAULT_GRID;
  }
  if (typeof data !== 'object' || data === null) return DEFAULT_GRID;
  const d = data as Record<string, unknown>;
  const mode = GRID_MODES.find((m) => m === d.mode) ?? DEFAULT_GRID.mode;
  const page = typeof d.page === 'number' && Number.isInteger(d.page) && d.page >= 0 ? d.page : 0;
  const choices: Record<string, string> = {};
  if (typeof d.choices === 'object' && d.choices !== null) {
    for (const [k, v] of Object.entries(d.choices)) if (typeof v === 'string') choices[k] = v;
  }
  return { mode, page, choices };
}

/** localStorage when the browser lets the page use it (private modes and sandboxed frames may throw on access). */
function browserStorage(): Pick<Storage, 'getItem' | 'setItem'> | null {
  try {
    const s = globalThis.localStorage;
    s.getItem(GRID_STORAGE_KEY);
    return s;
  } catch {
    return null;
  }
}

export function createGridStore(storage: Pick<Storage, 'getItem' | 'setItem'> | null): Store<GridState> {
  const store = createStore(parseGrid(storage?.getItem(GRID_STORAGE_KEY) ?? null));
  if (storage) {
    store.subscribe((s) => {
      try {
        storage.setItem(GRID_STORAGE_KEY, JSON.stringify(s));
      } catch {
        // A full or refused storage only costs the memory across reloads; the view keeps working.
      }
    });
  }
  return store;
}

export const gridStore = createGridStore(browserStorage());
