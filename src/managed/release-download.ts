import { chmod, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { executableProblem } from './executable.js';

export type DownloadFailure = 'unsupported_platform' | 'checksum_not_pinned' | 'checksum_missing' | 'checksum_mismatch' | 'http' | 'network' | 'too_large' | 'bad_archive' | 'not_executable';

/** A refused release download; `message` is safe to show (release URLs carry no secrets). */
export class DownloadError extends Error {
  constructor(
    readonly kind: DownloadFailure,
    message: string,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

/** GET of a release file: a failed request or an answer that is not 2xx with a body is a DownloadError. */
export async function fetchReleaseFile(fetchImpl: typeof fetch, url: string, timeoutMs: number): Promise<Response & { body: ReadableStream<Uint8Array> }> {
  let res: Response;
  try {
    res = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (err) {
    throw new DownloadError('network', `GET ${url} failed: ${(err as Error).message}`);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    throw new DownloadError('http', `GET ${url} answered HTTP ${res.status}`);
  }
  return res as Response & { body: ReadableStream<Uint8Array> };
}

/**
 * Runs `work` with a fresh temporary directory inside `cacheDir` (so the final rename stays on one
 * file system), and removes it afterwards, whatever happens.
 */
export async function inTempDir<T>(cacheDir: string, work: (tmp: string) => Promise<T>): Promise<T> {
  await mkdir(cacheDir, { recursive: true });
  const tmp = await mkdtemp(join(cacheDir, '.download-'));
  try {
    return await work(tmp);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Makes a verified file executable and renames it into the cache, so the cache holds either
 * nothing or a complete, executable binary; one that still cannot be run is removed again and
 * refused as `problemKind`.
 */
export async function installExecutable(o: { file: string; target: string; problemKind: DownloadFailure }): Promise<string> {
  await chmod(o.file, 0o755);
  await mkdir(dirname(o.target), { recursive: true });
  await rename(o.file, o.target);
  const problem = await executableProblem(o.target);
  if (problem) {
    await rm(o.target, { force: true });
    throw new DownloadError(o.problemKind, `installed ${o.target} ${problem}`);
  }
  return o.target;
}
