import { join } from 'node:path';
import { findExecutable, releasePlatformFor, type ExecutableResolution, type ExecutableSource, type ReleasePlatform } from '../process/executable.js';

/** The one MediaMTX release this server is written and tested against. */
export const MEDIAMTX_VERSION = 'v1.20.1';

export const DEFAULT_BUNDLED_PATHS: readonly string[] = ['/usr/local/bin/mediamtx', '/usr/bin/mediamtx'];

export type { ReleasePlatform } from '../process/executable.js';
export { executableProblem } from '../process/executable.js';
export type BinarySource = ExecutableSource;
export type BinaryResolution = ExecutableResolution;

/** The release asset suffix for this machine, or why there is none. */
export const releasePlatform = (platform?: string, arch?: string) => releasePlatformFor('MediaMTX', MEDIAMTX_VERSION, platform, arch);

/** `<dataDir>/runtime/streaming/mediamtx` (rendered config, cache). */
export const engineRuntimeDir = (dataDir: string) => join(dataDir, 'runtime', 'streaming', 'mediamtx');

/** `<dataDir>/runtime/streaming/mediamtx/v1.20.1` (downloads of this version). */
export const versionCacheDir = (dataDir: string) => join(engineRuntimeDir(dataDir), MEDIAMTX_VERSION);

/** `<dataDir>/runtime/streaming/mediamtx/v1.20.1/<platform>/mediamtx`. */
export const cachedBinaryPath = (dataDir: string, platform: ReleasePlatform) => join(versionCacheDir(dataDir), platform, 'mediamtx');

export interface ResolveBinaryOptions {
  /** Value of TOPOSYNC_STREAMING_MEDIAMTX_PATH, if set (read by the caller, not here). */
  envPath?: string | undefined;
  bundledPaths?: readonly string[];
  dataDir: string;
  allowDownload: boolean;
  platform?: string;
  arch?: string;
}

/** Finds the MediaMTX binary (see `findExecutable`). */
export function resolveBinary(options: ResolveBinaryOptions): Promise<BinaryResolution> {
  const { dataDir, allowDownload } = options;
  return findExecutable({
    product: 'MediaMTX',
    version: MEDIAMTX_VERSION,
    envVar: 'TOPOSYNC_STREAMING_MEDIAMTX_PATH',
    envPath: options.envPath,
    bundledPaths: options.bundledPaths ?? DEFAULT_BUNDLED_PATHS,
    cachedPath: (platform) => cachedBinaryPath(dataDir, platform),
    missingTail: (platform) =>
      allowDownload ? `it will be downloaded (${MEDIAMTX_VERSION}, ${platform}) on start` : 'automatic download is disabled (settings.engine.allow_download=false)',
    ...(options.platform ? { platform: options.platform } : {}),
    ...(options.arch ? { arch: options.arch } : {}),
  });
}
