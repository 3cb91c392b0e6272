import { randomUUID } from 'node:crypto';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Files that hand a child a secret it would otherwise get on its command line (world-readable through
 * `ps` and /proc/<pid>/cmdline) or in its environment: a camera URL with credentials for an FFmpeg
 * that reads the camera itself. Each file is mode 0600 in a 0700 directory under the data directory
 * (which already holds the credentials in settings.json, so the file exposes nothing new), lives as
 * long as the child that reads it (across its restarts) and is removed with it. What a previous run
 * left behind (killed before it could clean up) is removed on first use.
 */
export const secretInputDir = (dataDir: string) => join(dataDir, 'runtime', 'streaming', 'secret-inputs');

export interface SecretInput {
  /** Absolute path to give the child. */
  file: string;
  /** Deletes the file (idempotent). */
  remove(): Promise<void>;
}

export function createSecretInputs(dir: string) {
  let ready: Promise<void> | null = null;
  const prepare = () =>
    (ready ??= (async () => {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700); // mkdir's mode only applies to a directory it creates
    })().catch((err: unknown) => {
      ready = null; // tried again on the next write
      throw err;
    }));

  return {
    dir,
    /** Writes `content` into a new 0600 file whose name says nothing of it (`suffix` gives the type: `.ffconcat`). */
    async write(content: string, suffix: string): Promise<SecretInput> {
      await prepare();
      const file = join(dir, `${randomUUID()}${suffix}`);
      // `wx`: never reuse or follow something already there; 0600 before the first byte is written.
      await writeFile(file, content, { mode: 0o600, flag: 'wx' });
      return { file, remove: () => rm(file, { force: true }) };
    },
  };
}
