import { chmod, lstat, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { saveHashed } from '../process/hashed-download.js';
import * as tar from 'tar';
import { MEDIAMTX_VERSION, cachedBinaryPath, executableProblem, versionCacheDir, type ReleasePlatform } from './binary.js';

export const DEFAULT_DOWNLOAD_BASE_URL = 'https://github.com/bluenviron/mediamtx/releases/download';

export type DownloadFailure = 'unsupported_platform' | 'http' | 'network' | 'checksum_missing' | 'checksum_mismatch' | 'too_large' | 'bad_archive';

/** A refused download; `message` is safe to show (no secrets are involved in release URLs). */
export class DownloadError extends Error {
  constructor(
    readonly kind: DownloadFailure,
    message: string,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

export interface DownloadOptions {
  dataDir: string;
  platform: ReleasePlatform;
  baseUrl?: string;
  fetch?: typeof fetch;
  /** For each HTTP request (the whole body included). */
  timeoutMs?: number;
  maxBytes?: number;
}

export const releaseAssetName = (platform: ReleasePlatform) => `mediamtx_${MEDIAMTX_VERSION}_${platform}.tar.gz`;

/** The hex SHA-256 that a `sha256sum [-b]` listing gives for `fileName`, or null. */
export function checksumFor(listing: string, fileName: string): string | null {
  for (const line of listing.split(/\r?\n/)) {
    const m = /^([0-9a-fA-F]{64})\s+\*?(.+?)\s*$/.exec(line);
    if (m && m[2] === fileName) return (m[1] as string).toLowerCase();
  }
  return null;
}

async function get(fetchImpl: typeof fetch, url: string, timeoutMs: number): Promise<Response> {
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
  return res;
}

/**
 * Downloads the release tarball and `checksums.sha256`, verifies the tarball's SHA-256 (hashed
 * while it streams to disk), and only then extracts `mediamtx` into a temporary directory next to
 * the cache and renames it into place, so the cache holds either nothing or a verified, complete,
 * executable binary. Every temporary file is removed, whatever happens. Returns the cached path.
 */
export async function downloadMediamtx(options: DownloadOptions): Promise<string> {
  const { dataDir, platform, baseUrl = DEFAULT_DOWNLOAD_BASE_URL, timeoutMs = 300_000, maxBytes = 256 * 1024 * 1024 } = options;
  const fetchImpl = options.fetch ?? fetch;
  const asset = releaseAssetName(platform);
  const root = baseUrl.replace(/\/+$/, '');
  const target = cachedBinaryPath(dataDir, platform);

  await mkdir(versionCacheDir(dataDir), { recursive: true });
  const tmp = await mkdtemp(join(versionCacheDir(dataDir), '.download-'));
  try {
    const sumsRes = await get(fetchImpl, `${root}/${MEDIAMTX_VERSION}/checksums.sha256`, timeoutMs);
    const sums = await sumsRes.text();
    const expected = checksumFor(sums, asset);
    if (!expected) throw new DownloadError('checksum_missing', `checksums.sha256 of ${MEDIAMTX_VERSION} has no line for ${asset}; refusing to install an unverified binary`);

    const tarRes = await get(fetchImpl, `${root}/${MEDIAMTX_VERSION}/${asset}`, timeoutMs);
    const tarball = join(tmp, asset);
    // get() refuses an answer without a body.
    const { sha256: actual } = await saveHashed(tarRes.body!, { file: tarball, asset, maxBytes, fail: (kind, message) => new DownloadError(kind, message) });
    if (actual !== expected) {
      throw new DownloadError('checksum_mismatch', `SHA-256 of ${asset} is ${actual}, checksums.sha256 says ${expected}; refusing to install it`);
    }

    const extractDir = join(tmp, 'x');
    await mkdir(extractDir);
    let found = false;
    try {
      await tar.x({
        file: tarball,
        cwd: extractDir,
        strict: true,
        filter: (path, entry) => {
          const isBinary = (path === 'mediamtx' || path === './mediamtx') && 'type' in entry && entry.type === 'File';
          if (isBinary) found = true;
          return isBinary;
        },
      });
    } catch (err) {
      throw new DownloadError('bad_archive', `${asset} could not be extracted: ${(err as Error).message}`);
    }
    const extracted = join(extractDir, 'mediamtx');
    const info = found ? await lstat(extracted).catch(() => null) : null;
    if (!info?.isFile()) throw new DownloadError('bad_archive', `${asset} has no "mediamtx" file at its root`);
    await chmod(extracted, 0o755);
    await mkdir(dirname(target), { recursive: true });
    await rename(extracted, target);
    const problem = await executableProblem(target);
    if (problem) {
      await rm(target, { force: true });
      throw new DownloadError('bad_archive', `installed ${target} ${problem}`);
    }
    return target;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
