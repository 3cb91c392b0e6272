import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** The one MediaMTX release this server is written and tested against. */
export const MEDIAMTX_VERSION = 'v1.20.1';

export const DEFAULT_BUNDLED_PATHS: readonly string[] = ['/usr/local/bin/mediamtx', '/usr/bin/mediamtx'];

export type ReleasePlatform = 'linux_amd64' | 'linux_arm64';
export type BinarySource = 'env' | 'bundled' | 'cache';

export type BinaryResolution = { path: string; source: BinarySource } | { path: null; reason: string };

/** The release asset suffix for this machine, or why there is none. */
export function releasePlatform(platform: string = process.platform, arch: string = process.arch): { platform: ReleasePlatform } | { reason: string } {
  if (platform !== 'linux') return { reason: `MediaMTX release binaries are used on Linux only (this is ${platform}/${arch})` };
  if (arch === 'x64') return { platform: 'linux_amd64' };
  if (arch === 'arm64') return { platform: 'linux_arm64' };
  return { reason: `unsupported architecture ${arch}: MediaMTX ${MEDIAMTX_VERSION} is fetched for linux_amd64 and linux_arm64 only` };
}

/** `<dataDir>/runtime/streaming/mediamtx` (rendered config, cache). */
export const engineRuntimeDir = (dataDir: string) => join(dataDir, 'runtime', 'streaming', 'mediamtx');

/** `<dataDir>/runtime/streaming/mediamtx/v1.20.1` (downloads of this version). */
export const versionCacheDir = (dataDir: string) => join(engineRuntimeDir(dataDir), MEDIAMTX_VERSION);

/** `<dataDir>/runtime/streaming/mediamtx/v1.20.1/<platform>/mediamtx`. */
export const cachedBinaryPath = (dataDir: string, platform: ReleasePlatform) => join(versionCacheDir(dataDir), platform, 'mediamtx');

/** Null when `path` is an executable regular file, otherwise why not (in words). */
export async function executableProblem(path: string): Promise<string | null> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : `cannot be read (${code ?? String(err)})`;
  }
  if (!info.isFile()) return 'is not a regular file';
  try {
    await access(path, constants.X_OK);
  } catch {
    return 'is not executable';
  }
  return null;
}

export interface ResolveBinaryOptions {
  /** Value of TOPOSYNC_STREAMING_MEDIAMTX_PATH, if set (read by the caller, not here). */
  envPath?: string | undefined;
  bundledPaths?: readonly string[];
  dataDir: string;
  allowDownload: boolean;
  platform?: string;
  arch?: string;
}

/**
 * Finds the MediaMTX binary: the explicit path (which, when set, is the only candidate: a wrong
 * override is an error, not a reason to silently run another binary), then the bundled paths,
 * then the download cache of this version and platform.
 */
export async function resolveBinary(options: ResolveBinaryOptions): Promise<BinaryResolution> {
  const { envPath, bundledPaths = DEFAULT_BUNDLED_PATHS, dataDir, allowDownload } = options;
  if (envPath !== undefined && envPath !== '') {
    const problem = await executableProblem(envPath);
    if (problem === null) return { path: envPath, source: 'env' };
    return { path: null, reason: `TOPOSYNC_STREAMING_MEDIAMTX_PATH points to ${envPath}, which ${problem}` };
  }
  const notes: string[] = [];
  for (const candidate of bundledPaths) {
    const problem = await executableProblem(candidate);
    if (problem === null) return { path: candidate, source: 'bundled' };
    if (problem !== 'does not exist') notes.push(`${candidate} ${problem}`);
  }
  const rp = releasePlatform(options.platform, options.arch);
  if ('reason' in rp) {
    return { path: null, reason: `not bundled (${bundledPaths.join(', ') || 'no bundled paths'}) and no download possible: ${rp.reason}` };
  }
  const cached = cachedBinaryPath(dataDir, rp.platform);
  const cacheProblem = await executableProblem(cached);
  if (cacheProblem === null) return { path: cached, source: 'cache' };
  if (cacheProblem !== 'does not exist') notes.push(`${cached} ${cacheProblem}`);
  const extra = notes.length ? ` (${notes.join('; ')})` : '';
  const tail = allowDownload
    ? `it will be downloaded (${MEDIAMTX_VERSION}, ${rp.platform}) on start`
    : 'automatic download is disabled (settings.engine.allow_download=false)';
  return { path: null, reason: `MediaMTX ${MEDIAMTX_VERSION} is not bundled and not in the cache${extra}; ${tail}` };
}
