import { createHash } from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { saveHashed, type HashedDownloadFailure } from './hashed-download.js';

class Refused extends Error {
  constructor(
    readonly kind: HashedDownloadFailure,
    message: string,
  ) {
    super(message);
  }
}
const fail = (kind: HashedDownloadFailure, message: string) => new Refused(kind, message);
const bodyOf = (...chunks: Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of chunks) c.enqueue(chunk);
      c.close();
    },
  });

describe('saveHashed', () => {
  it('writes the body (0600) and returns its SHA-256 and size', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'dl-')), 'asset');
    const data = Buffer.from('release bytes '.repeat(1000));
    const got = await saveHashed(bodyOf(data.subarray(0, 5000), data.subarray(5000)), { file, asset: 'asset', maxBytes: 1 << 20, fail });
    expect(got).toEqual({ sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length });
    expect((await readFile(file)).equals(data)).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("stops past maxBytes with the caller's too_large error", async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'dl-')), 'asset');
    await expect(saveHashed(bodyOf(new Uint8Array(600), new Uint8Array(600)), { file, asset: 'asset', maxBytes: 1000, fail })).rejects.toMatchObject({ kind: 'too_large' });
  });

  it("a body that errors is the caller's network error", async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'dl-')), 'asset');
    const broken = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array(10));
        c.error(new Error('connection reset'));
      },
    });
    await expect(saveHashed(broken, { file, asset: 'asset', maxBytes: 1000, fail })).rejects.toMatchObject({ kind: 'network', message: expect.stringContaining('connection reset') });
  });
});
