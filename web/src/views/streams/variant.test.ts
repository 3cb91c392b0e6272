import { describe, expect, it } from 'vitest';
import type { PlayContext, Role } from '../../../../src/api/contract.js';
import { defaultVariant, resolveVariant } from './variant.js';

const v = (role: Role, id: string = role) => ({ role, publication_id: `camera:c:${id}` });
const all = [v('custom'), v('zoom'), v('main'), v('sub')];

describe('defaultVariant', () => {
  const table: [PlayContext, ReturnType<typeof v>[], Role | null][] = [
    ['grid', all, 'sub'],
    ['thumbnail', all, 'sub'],
    ['pip', all, 'sub'],
    ['diagnostics', all, 'sub'],
    ['grid', [v('zoom'), v('main')], 'main'],
    ['grid', [v('custom'), v('zoom')], 'custom'],
    ['fullscreen', all, 'main'],
    ['large', all, 'main'],
    ['fullscreen', [v('zoom'), v('sub')], 'zoom'],
    ['large', [v('sub')], 'sub'],
    ['ptz', all, 'zoom'],
    ['ptz', [v('sub'), v('main')], 'main'],
    ['ptz', [v('custom'), v('sub')], 'sub'],
    ['ptz', [v('custom')], 'custom'],
    ['grid', [], null],
  ];
  it.each(table)('%s of %j -> %s', (context, variants, role) => {
    expect(defaultVariant(variants, context)?.role ?? null).toBe(role);
  });

  it('takes the first of several variants with the preferred role', () => {
    expect(defaultVariant([v('sub', 'a'), v('sub', 'b')], 'grid')?.publication_id).toBe('camera:c:a');
  });
});

describe('resolveVariant', () => {
  it("the user's pick wins in every context", () => {
    for (const context of ['grid', 'fullscreen', 'ptz'] as const) expect(resolveVariant(all, context, 'camera:c:custom')?.role).toBe('custom');
  });
  it('a pick that is no longer published falls back to the default', () => {
    expect(resolveVariant(all, 'fullscreen', 'camera:c:gone')?.role).toBe('main');
  });
  it('no pick: the default', () => {
    expect(resolveVariant(all, 'grid', undefined)?.role).toBe('sub');
  });
});
