import { describe, expect, it } from 'vitest';
import { illFormed, isWellFormed } from './unicode.js';

describe('well-formed Unicode', () => {
  it.each([
    ['', true],
    ['plain', true],
    ['emoji \ud83d\ude00 pair', true],
    ['lone high \ud800', false],
    ['lone low \udc00', false],
    ['reversed pair \ude00\ud83d', false],
    ['high at the end \ud83d', false],
  ])('%j -> %s', (s, ok) => {
    expect(isWellFormed(s)).toBe(ok);
  });

  it('names strings and keys by dot path, in document order', () => {
    const value = {
      name: 'ok',
      sources: [
        { url: 'x', password: 'a\ud800' },
        { ['k\udfff']: 'v\udfff', username: '\udc00' },
      ],
      deep: { list: ['\ud800'] },
    };
    expect(illFormed(value)).toEqual([
      { path: 'sources.0.password', key: false },
      { path: 'sources.1', key: true },
      { path: 'sources.1.username', key: false },
      { path: 'deep.list.0', key: false },
    ]);
    expect(illFormed(value, 1)).toEqual([{ path: 'sources.0.password', key: false }]);
    expect(illFormed('\ud800')).toEqual([{ path: '', key: false }]);
    expect(illFormed({ a: [1, true, null, 'ok'] })).toEqual([]);
  });

  it('walks any depth without recursion', () => {
    let deep: unknown = '\ud800';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(illFormed(deep)).toHaveLength(1);
  });
});
