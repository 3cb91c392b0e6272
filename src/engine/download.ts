import { lstat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tar from 'tar';
import { saveHashed } from '../managed/hashed-download.js';
import { DownloadError, fetchReleaseFile, inTempDir, installExecutable } from '../managed/release-download.js';
import { MEDIAMTX_VERSION, cachedBinaryPath, versionCacheDir, type ReleasePlatform } from './binary.js';

export const DEFAULT_DOWNLOAD_BASE_URL = 'https://github.com/bluenviron/mediamtx/releases/download';

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
    if (m?.[2] === fileName) return m[1]!.toLowerCase();
  }
  return null;
}

/** Extracts only the `mediamtx` file at the archive's root into `dir`; its path. */
async function extractBinary(tarball: string, asset: string, dir: string): Promise<string> {
  await mkdir(dir);
  let found = false as boolean; // set by the filter callback, which TypeScript's narrowing does not see
  try {
    await tar.x({
      file: tarball,
      cwd: dir,
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
  const extracted = join(dir, 'mediamtx');
  const info = found ? await lstat(extracted).catch(() => null) : null;
  if (!info?.isFile()) throw new DownloadError('bad_archive', `${asset} has no "mediamtx" file at its root`);
  return extracted;
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
  return inTempDir(versionCacheDir(dataDir), async (tmp) => {
    const sums = await (await fetchReleaseFile(fetchImpl, `${root}/${MEDIAMTX_VERSION}/checksums.sha256`, timeoutMs)).text();
    const expected = checksumFor(sums, asset);
    if (!expected) throw new DownloadError('checksum_missing', `checksums.sha256 of ${MEDIAMTX_VERSION} has no line for ${asset}; refusing to install an unverified binary`);

    const tarRes = await fetchReleaseFile(fetchImpl, `${root}/${MEDIAMTX_VERSION}/${asset}`, timeoutMs);
    const tarball = join(tmp, asset);
    const { sha256: actual } = await saveHashed(tarRes.body, { file: tarball, asset, maxBytes, fail: (kind, message) => new DownloadError(kind, message) });
    if (actual !== expected) {
      throw new DownloadError('checksum_mismatch', `SHA-256 of ${asset} is ${actual}, checksums.sha256 says ${expected}; refusing to install it`);
    }
    const extracted = await extractBinary(tarball, asset, join(tmp, 'x'));
    return installExecutable({ file: extracted, target: cachedBinaryPath(dataDir, platform), problemKind: 'bad_archive' });
  });
}
