import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMediaTokens, loadOrCreateTokenKey, type MediaScope } from './tokens.js';
import { makeDataDir, removeDataDir } from '../../test/support/data-dir.js';

const key = Buffer.alloc(32, 7);
const scope: MediaScope = { transmission_id: 'tx1', output_id: 'default', path: 'cam/front/main', transport: 'hls' };

function tokens(at = 1_000_000) {
  let t = at;
  return { tk: createMediaTokens({ key, now: () => t }), advance: (ms: number) => (t += ms) };
}
const errorOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e as { status: number; code: string };
  }
  throw new Error('did not throw');
};

describe('media tokens', () => {
  it('a token verifies for its own scope', () => {
    const { tk } = tokens();
    expect(tk.verify(tk.issue(scope), scope)).toMatchObject(scope);
  });

  it.each([
    ['missing', () => '', {}, 401, 'missing_token'],
    ['garbage', () => 'abc', {}, 401, 'invalid_token'],
    ['forged signature', (t: string) => `${t.split('.')[0]}.${Buffer.alloc(32, 1).toString('base64url')}`, {}, 401, 'invalid_token'],
    [
      'payload swapped under a valid signature',
      (t: string) => `${Buffer.from(JSON.stringify({ t: 'tx2', o: 'default', p: 'x', x: 'hls', e: 9e9 })).toString('base64url')}.${t.split('.')[1]}`,
      {},
      401,
      'invalid_token',
    ],
    ['other transmission', (t: string) => t, { transmission_id: 'tx2' }, 403, 'token_scope'],
    ['other output', (t: string) => t, { output_id: 'sub' }, 403, 'token_scope'],
    ['other path', (t: string) => t, { path: 'cam/back/main' }, 403, 'token_scope'],
    ['other transport', (t: string) => t, { transport: 'jsmpeg' as const }, 403, 'token_scope'],
  ])('%s -> %i %s', (_name, mangle, expected, status, code) => {
    const { tk } = tokens();
    expect(errorOf(() => tk.verify(mangle(tk.issue(scope)), expected))).toMatchObject({ status, code });
  });

  it('expires after its TTL', () => {
    const { tk, advance } = tokens();
    const t = tk.issue(scope, 5_000);
    advance(4_000);
    expect(tk.verify(t, scope).transport).toBe('hls');
    advance(1_000);
    expect(errorOf(() => tk.verify(t, scope))).toMatchObject({ status: 401, code: 'expired_token' });
  });

  it('a token already verified (remembered) still has its scope and expiry checked', () => {
    const { tk, advance } = tokens();
    const t = tk.issue(scope, 5_000);
    expect(tk.verify(t, scope).path).toBe(scope.path);
    expect(errorOf(() => tk.verify(t, { path: 'cam/back/main' }))).toMatchObject({ status: 403, code: 'token_scope' });
    expect(errorOf(() => tk.verify(t, { transport: 'mse' }))).toMatchObject({ status: 403, code: 'token_scope' });
    // One character off a remembered token is a different token: its MAC is checked again.
    const dot = t.indexOf('.') + 1;
    expect(errorOf(() => tk.verify(`${t.slice(0, dot)}${t[dot] === 'A' ? 'B' : 'A'}${t.slice(dot + 1)}`, scope))).toMatchObject({ status: 401, code: 'invalid_token' });
    advance(5_000);
    expect(errorOf(() => tk.verify(t, scope))).toMatchObject({ status: 401, code: 'expired_token' });
  });

  describe('only the canonical encoding verifies', () => {
    // Both parts holding a "-" or "_", so the standard-base64 mutation changes each of them.
    const issueMixed = (tk: ReturnType<typeof tokens>['tk']) => {
      for (let i = 0; ; i++) {
        const own = { ...scope, output_id: `out-${'~'.repeat(i % 7)}${i}` };
        const t = tk.issue(own);
        if (t.split('.').every((p) => /[-_]/.test(p))) return { token: t, scope: own };
      }
    };
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const insertAt = (s: string, i: number, c: string) => `${s.slice(0, i)}${c}${s.slice(i)}`;
    const part = (t: string, which: 0 | 1, f: (s: string) => string) => {
      const parts = t.split('.');
      parts[which] = f(parts[which]!);
      return parts.join('.');
    };
    const mutations: [string, (t: string) => string][] = [];
    for (const which of [0, 1] as const) {
      const name = which === 0 ? 'payload' : 'signature';
      for (const c of ['!', ' ', '*', '~', '=', '+', '/', '.', '\n', '%']) {
        for (const at of ['start', 'middle', 'end'] as const) {
          mutations.push([`${JSON.stringify(c)} inserted at the ${at} of the ${name}`, (t) => part(t, which, (s) => insertAt(s, at === 'start' ? 0 : at === 'end' ? s.length : s.length >> 1, c))]);
        }
      }
      mutations.push([`"=" padding after the ${name}`, (t) => part(t, which, (s) => `${s}=`)]);
      mutations.push([`"==" padding after the ${name}`, (t) => part(t, which, (s) => `${s}==`)]);
      mutations.push([`standard base64 "+" and "/" in the ${name}`, (t) => part(t, which, (s) => s.replace(/-/g, '+').replace(/_/g, '/'))]);
    }
    // 32 bytes take 43 characters: the last one carries 2 unused bits.
    for (const bits of [1, 2, 3]) {
      mutations.push([`unused bits ${bits} of the signature's last character set`, (t) => part(t, 1, (s) => s.slice(0, -1) + ALPHABET[ALPHABET.indexOf(s.at(-1)!) ^ bits]!)]);
    }

    it.each(mutations)('%s -> 401', (_name, mutate) => {
      const { tk } = tokens();
      const { token, scope: own } = issueMixed(tk);
      const variant = mutate(token);
      expect(variant).not.toBe(token);
      expect(errorOf(() => tk.verify(variant, own))).toMatchObject({ status: 401, code: 'invalid_token' });
    });

    it('the genuine token still verifies, and refused variants take no cache slot', () => {
      const { tk } = tokens();
      const { token, scope: own } = issueMixed(tk);
      expect(tk.verify(token, own)).toMatchObject(own);
      expect(tk.cached()).toBe(1);
      for (const [, mutate] of mutations) {
        try {
          tk.verify(mutate(token), own);
        } catch {
          // refused, as the table above requires
        }
      }
      expect(tk.cached()).toBe(1);
      expect(tk.verify(token, own)).toMatchObject(own);
    });
  });

  it('a token signed with another key is refused', () => {
    const other = createMediaTokens({ key: Buffer.alloc(32, 8) });
    const { tk } = tokens(Date.now());
    expect(errorOf(() => tk.verify(other.issue(scope), scope))).toMatchObject({ status: 401, code: 'invalid_token' });
  });

  it('refuses a short key and a tiny TTL at creation', () => {
    expect(() => createMediaTokens({ key: Buffer.alloc(16) })).toThrow(/32 bytes/);
    expect(() => createMediaTokens({ key, ttlMs: 10 })).toThrow(/ttlMs/);
  });

  it('the key is generated once, kept with mode 0600, and reused', async () => {
    const dir = await makeDataDir('tokens');
    try {
      const a = await loadOrCreateTokenKey(dir);
      const b = await loadOrCreateTokenKey(dir);
      expect(a.equals(b)).toBe(true);
      expect(a.length).toBe(32);
      expect((await stat(join(dir, 'secrets', 'media-token.key'))).mode & 0o777).toBe(0o600);
    } finally {
      await removeDataDir(dir);
    }
  });
});
