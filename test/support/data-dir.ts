/**
 * Temporary data directories for tests and benchmarks: under the OS temporary folder (never a fixed
 * machine path), named for the test, removed by `removeDataDirs()` (an afterAll/afterEach) or one by one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();

/** A new empty directory `<tmp>/<prefix>-XXXXXX`, remembered for `removeDataDirs()`. */
export async function makeDataDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  made.add(dir);
  return dir;
}

/** Removes one directory (made here or not) with everything in it; a missing one is fine. */
export async function removeDataDir(dir: string): Promise<void> {
  made.delete(dir);
  await rm(dir, { recursive: true, force: true });
}

/** Removes every directory `makeDataDir` made in this worker and that still exists. */
export async function removeDataDirs(): Promise<void> {
  await Promise.all([...made].map(removeDataDir));
}
