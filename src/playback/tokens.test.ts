import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMediaTokens, loadOrCreateTokenKey, type MediaScope } from './tokens.js';

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
    ['missing', (t: string) => '', {}, 401, 'missing_token'],
    ['garbage', () => 'abc', {}, 401, 'invalid_token'],
    ['forged signature', (t: string) => `${t.split('.')[0]}.${Buffer.alloc(32, 1).toString('base64url')}`, {}, 401, 'invalid_token'],
    ['payload swapped under a valid signature', (t: string) => `${Buffer.from(JSON.stringify({ t: 'tx2', o: 'default', p: 'x', x: 'hls', e: 9e9 })).toString('base64url')}.${t.split('.')[1]}`, {}, 401, 'invalid_token'],
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
    const dir = await mkdtemp(join(tmpdir(), 'tokens-'));
    try {
      const a = await loadOrCreateTokenKey(dir);
      const b = await loadOrCreateTokenKey(dir);
      expect(a.equals(b)).toBe(true);
      expect(a.length).toBe(32);
      expect((await stat(join(dir, 'secrets', 'media-token.key'))).mode & 0o777).toBe(0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
