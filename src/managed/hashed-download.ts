import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';

export type HashedDownloadFailure = 'too_large' | 'network';

/**
 * Streams a response body into `file` (mode 0600) while counting and hashing it: past `maxBytes`
 * it stops. Failures are made by the caller's `fail`, so each product keeps its own error type.
 */
export async function saveHashed(
  body: ReadableStream | globalThis.ReadableStream,
  opts: { file: string; asset: string; maxBytes: number; fail: (kind: HashedDownloadFailure, message: string) => Error },
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  let tooLarge = null as Error | null; // set by the transform, which TypeScript's narrowing does not see
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > opts.maxBytes) {
        done((tooLarge = opts.fail('too_large', `${opts.asset} is larger than ${opts.maxBytes} bytes`)));
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(body as ReadableStream), meter, createWriteStream(opts.file, { mode: 0o600 }));
  } catch (err) {
    throw tooLarge ?? opts.fail('network', `download of ${opts.asset} failed: ${(err as Error).message}`);
  }
  return { sha256: hash.digest('hex'), bytes };
}
