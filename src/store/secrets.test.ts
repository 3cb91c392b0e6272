import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateSecret } from './secrets.js';
import { makeDataDir } from '../../test/support/data-dir.js';

describe('loadOrCreateSecret', () => {
  it('creates the secret once (0600 in a 0700 folder) and returns the same bytes on later calls', async () => {
    const dir = await makeDataDir('secrets');
    const a = await loadOrCreateSecret(dir, 'x.key', 18);
    expect(a.length).toBe(18);
    expect((await stat(join(dir, 'secrets', 'x.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'secrets'))).mode & 0o777).toBe(0o700);
    expect((await loadOrCreateSecret(dir, 'x.key', 18)).equals(a)).toBe(true);
    expect((await loadOrCreateSecret(dir, 'y.key', 18)).equals(a)).toBe(false);
  });

  it('replaces a truncated file', async () => {
    const dir = await makeDataDir('secrets');
    await loadOrCreateSecret(dir, 'x.key');
    await writeFile(join(dir, 'secrets', 'x.key'), 'short');
    expect((await loadOrCreateSecret(dir, 'x.key')).length).toBe(32);
  });
});
