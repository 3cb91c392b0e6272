import { join } from 'node:path';
import { binaryResolver, releasePlatformFor, type BinaryLookup, type ExecutableSource, type ReleasePlatform } from '../managed/executable.js';

/** The one MediaMTX release this server is written and tested against. */
export const MEDIAMTX_VERSION = 'v1.20.1';

export const DEFAULT_BUNDLED_PATHS: readonly string[] = ['/usr/local/bin/mediamtx', '/usr/bin/mediamtx'];

export type { ReleasePlatform } from '../managed/executable.js';
export type BinarySource = ExecutableSource;

/** The release asset suffix for this machine, or why there is none. */
export const releasePlatform = (platform?: string, arch?: string) => releasePlatformFor({ product: 'MediaMTX', version: MEDIAMTX_VERSION }, { platform, arch });

/** `<dataDir>/runtime/streaming/mediamtx` (rendered config, cache). */
export const engineRuntimeDir = (dataDir: string) => join(dataDir, 'runtime', 'streaming', 'mediamtx');

/** `<dataDir>/runtime/streaming/mediamtx/v1.20.1` (downloads of this version). */
export const versionCacheDir = (dataDir: string) => join(engineRuntimeDir(dataDir), MEDIAMTX_VERSION);

/** `<dataDir>/runtime/streaming/mediamtx/v1.20.1/<platform>/mediamtx`. */
export const cachedBinaryPath = (dataDir: string, platform: ReleasePlatform) => join(versionCacheDir(dataDir), platform, 'mediamtx');

/** Where the MediaMTX binary is looked for: TOPOSYNC_STREAMING_MEDIAMTX_PATH, the image's paths, the download cache. */
export const MEDIAMTX_LOOKUP: BinaryLookup = {
  product: 'MediaMTX',
  version: MEDIAMTX_VERSION,
  envVar: 'TOPOSYNC_STREAMING_MEDIAMTX_PATH',
  defaultBundledPaths: DEFAULT_BUNDLED_PATHS,
  cachedPath: cachedBinaryPath,
  missingTail: (allowDownload, platform) =>
    allowDownload ? `it will be downloaded (${MEDIAMTX_VERSION}, ${platform}) on start` : 'automatic download is disabled (settings.engine.allow_download=false)',
};

export const resolveBinary = binaryResolver(MEDIAMTX_LOOKUP);
