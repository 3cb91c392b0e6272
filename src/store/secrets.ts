import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * A random secret kept in `<data>/secrets/<name>` (directory 0700, file 0600), created on first use
 * and the same on every later start. A file shorter than `bytes` (truncated) is replaced.
 */
export async function loadOrCreateSecret(dataDir: string, name: string, bytes = 32): Promise<Buffer> {
  const file = join(dataDir, 'secrets', name);
  try {
    const secret = await readFile(file);
    if (secret.length >= bytes) return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const secret = randomBytes(bytes);
  await writeFile(file, secret, { mode: 0o600 });
  return secret;
}
