import { describe, expect, it } from 'vitest';
import { DEFAULT_GRID, GRID_STORAGE_KEY, clampPage, createGridStore, pageCount, pageForMode, pageSlice, parseGrid, perPage, withChoice, withMode, withPageStep, type GridState } from './grid.js';

const memoryStorage = (initial: Record<string, string> = {}) => {
  const data = new Map(Object.entries(initial));
  return { data, getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v) };
};
const items = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('pagination math', () => {
  it.each([
    [0, 4, 1],
    [1, 4, 1],
    [4, 4, 1],
    [5, 4, 2],
    [9, 4, 3],
    [3, 1, 3],
  ])('pageCount(%i, %i) = %i', (total, per, count) => expect(pageCount(total, per)).toBe(count));

  it.each([
    [-1, 3, 0],
    [0, 3, 0],
    [2, 3, 2],
    [7, 3, 2],
    [1.6, 3, 1],
  ])('clampPage(%d, %i) = %i', (page, count, out) => expect(clampPage(page, count)).toBe(out));

  it('slices the page, clamping a page past the end', () => {
    expect(pageSlice(items(9), 0, 4)).toEqual([0, 1, 2, 3]);
    expect(pageSlice(items(9), 2, 4)).toEqual([8]);
    expect(pageSlice(items(9), 5, 4)).toEqual([8]);
    expect(pageSlice(items(3), 1, 1)).toEqual([1]);
    expect(pageSlice([], 0, 4)).toEqual([]);
  });

  it('a mode change keeps the first tile on screen', () => {
    expect(perPage('1x1')).toBe(1);
    expect(perPage('2x2')).toBe(4);
    expect(pageForMode(5, '1x1', '2x2')).toBe(1);
    expect(pageForMode(2, '2x2', '1x1')).toBe(8);
    expect(pageForMode(0, '2x2', '2x2')).toBe(0);
  });
});

describe('grid transitions', () => {
  const s = (over: Partial<GridState> = {}): GridState => ({ ...DEFAULT_GRID, ...over });

  it('withMode converts the page on screen and clamps it to the new count', () => {
    expect(withMode(s({ mode: '2x2', page: 1 }), '1x1', 6)).toMatchObject({ mode: '1x1', page: 4 });
    expect(withMode(s({ mode: '1x1', page: 5 }), '2x2', 6)).toMatchObject({ mode: '2x2', page: 1 });
    // A stale page past the end (cameras removed) starts from the last page there is.
    expect(withMode(s({ mode: '1x1', page: 40 }), '2x2', 6)).toMatchObject({ mode: '2x2', page: 1 });
    const same = s({ mode: '2x2' });
    expect(withMode(same, '2x2', 6)).toBe(same);
  });

  it('withPageStep stays within the pages there are', () => {
    expect(withPageStep(s({ page: 0 }), 1, 9).page).toBe(1);
    expect(withPageStep(s({ page: 2 }), 1, 9).page).toBe(2);
    expect(withPageStep(s({ page: 0 }), -1, 9).page).toBe(0);
    // From a stale page, "previous" goes to the page before the one on screen.
    expect(withPageStep(s({ page: 9 }), -1, 9).page).toBe(1);
    const first = s({ page: 0 });
    expect(withPageStep(first, -1, 9)).toBe(first);
  });

  it('withChoice remembers and forgets per live view', () => {
    const a = withChoice(s(), 'front', 'camera:front:main');
    const b = withChoice(a, 'back', 'camera:back:zoom');
    expect(b.choices).toEqual({ front: 'camera:front:main', back: 'camera:back:zoom' });
    expect(withChoice(b, 'front', null).choices).toEqual({ back: 'camera:back:zoom' });
    expect(a.choices).toEqual({ front: 'camera:front:main' });
  });
});

describe('grid persistence', () => {
  it('parseGrid keeps what fits and drops the rest', () => {
    expect(parseGrid(null)).toEqual(DEFAULT_GRID);
    expect(parseGrid('{not json')).toEqual(DEFAULT_GRID);
    expect(parseGrid('42')).toEqual(DEFAULT_GRID);
    expect(parseGrid('null')).toEqual(DEFAULT_GRID);
    expect(parseGrid(JSON.stringify({ mode: '3x3', page: -2, choices: { a: 'x', b: 7 } }))).toEqual({ mode: '2x2', page: 0, choices: { a: 'x' } });
    expect(parseGrid(JSON.stringify({ mode: '1x1', page: 3, choices: { a: 'x' } }))).toEqual({ mode: '1x1', page: 3, choices: { a: 'x' } });
  });

  it('the store starts from storage and writes every change back', () => {
    const storage = memoryStorage({ [GRID_STORAGE_KEY]: JSON.stringify({ mode: '1x1', page: 2, choices: {} }) });
    const store = createGridStore(storage);
    expect(store.get()).toEqual({ mode: '1x1', page: 2, choices: {} });
    store.set((g) => withChoice(g, 'front', 'camera:front:sub'));
    expect(parseGrid(storage.data.get(GRID_STORAGE_KEY) ?? null).choices).toEqual({ front: 'camera:front:sub' });
  });

  it('works without storage, and a storage that refuses writes does not break it', () => {
    const none = createGridStore(null);
    none.set((g) => withMode(g, '1x1', 3));
    expect(none.get().mode).toBe('1x1');
    const refusing = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    const store = createGridStore(refusing);
    expect(() => store.set((g) => withMode(g, '1x1', 3))).not.toThrow();
    expect(store.get().mode).toBe('1x1');
  });
});
