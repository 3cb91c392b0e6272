import { join } from 'node:path';
import { findExecutable, releasePlatformFor, type ExecutableResolution, type ExecutableSource, type ReleasePlatform } from '../process/executable.js';

export { executableProblem } from '../process/executable.js';

/** The one go2rtc release this server is written and tested against (tag name). */
export const GO2RTC_VERSION = 'v1.9.14';

/** Where the add-on image installs go2rtc (the Dockerfile downloads and verifies it). */
export const DEFAULT_GO2RTC_BUNDLED_PATHS: readonly string[] = ['/usr/local/bin/go2rtc'];

export type Go2rtcPlatform = ReleasePlatform;
export type Go2rtcBinarySource = ExecutableSource;
export type Go2rtcBinaryResolution = ExecutableResolution;

/** The release asset suffix for this machine, or why there is none. */
export const go2rtcPlatform = (platform?: string, arch?: string) => releasePlatformFor('go2rtc', GO2RTC_VERSION, platform, arch);

/** `<dataDir>/runtime/streaming/go2rtc` (the rendered config; go2rtc's working directory). */
export const sidecarRuntimeDir = (dataDir: string) => join(dataDir, 'runtime', 'streaming', 'go2rtc');

/** `<dataDir>/runtime/streaming/go2rtc-bin/v1.9.14` (downloads of this version). */
export const go2rtcVersionCacheDir = (dataDir: string) => join(dataDir, 'runtime', 'streaming', 'go2rtc-bin', GO2RTC_VERSION);

/** `<dataDir>/runtime/streaming/go2rtc-bin/v1.9.14/<platform>/go2rtc`. */
export const cachedGo2rtcPath = (dataDir: string, platform: Go2rtcPlatform) => join(go2rtcVersionCacheDir(dataDir), platform, 'go2rtc');

export interface ResolveGo2rtcOptions {
  /** Value of TOPOSYNC_STREAMING_GO2RTC_PATH, if set (read by the caller, not here). */
  envPath?: string | undefined;
  bundledPaths?: readonly string[];
  dataDir: string;
  /** `streaming.mse.allow_download`: only changes the wording of the reason. */
  allowDownload: boolean;
  platform?: string;
  arch?: string;
}

/** Finds the go2rtc binary (see `findExecutable`). */
export function resolveGo2rtcBinary(options: ResolveGo2rtcOptions): Promise<Go2rtcBinaryResolution> {
  const { dataDir, allowDownload } = options;
  return findExecutable({
    product: 'go2rtc',
    version: GO2RTC_VERSION,
    envVar: 'TOPOSYNC_STREAMING_GO2RTC_PATH',
    envPath: options.envPath,
    bundledPaths: options.bundledPaths ?? DEFAULT_GO2RTC_BUNDLED_PATHS,
    cachedPath: (platform) => cachedGo2rtcPath(dataDir, platform),
    missingTail: (platform) =>
      allowDownload ? `download it with POST /api/streams/mse/download (${GO2RTC_VERSION}, ${platform})` : 'downloading is disabled (settings streaming.mse.allow_download=false)',
    ...(options.platform ? { platform: options.platform } : {}),
    ...(options.arch ? { arch: options.arch } : {}),
  });
}
