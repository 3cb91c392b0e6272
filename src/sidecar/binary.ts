import { join } from 'node:path';
import { binaryResolver, releasePlatformFor, type BinaryLookup, type ExecutableSource, type ReleasePlatform } from '../managed/executable.js';

/** The one go2rtc release this server is written and tested against (tag name). */
export const GO2RTC_VERSION = 'v1.9.14';

/** Where the add-on image installs go2rtc (the Dockerfile downloads and verifies it). */
export const DEFAULT_GO2RTC_BUNDLED_PATHS: readonly string[] = ['/usr/local/bin/go2rtc'];

export type Go2rtcPlatform = ReleasePlatform;
export type Go2rtcBinarySource = ExecutableSource;

/** The release asset suffix for this machine, or why there is none. */
export const go2rtcPlatform = (platform?: string, arch?: string) => releasePlatformFor({ product: 'go2rtc', version: GO2RTC_VERSION }, { platform, arch });

/** `<dataDir>/runtime/streaming/go2rtc` (the rendered config; go2rtc's working directory). */
export const sidecarRuntimeDir = (dataDir: string) => join(dataDir, 'runtime', 'streaming', 'go2rtc');

/** `<dataDir>/runtime/streaming/go2rtc-bin/v1.9.14` (downloads of this version). */
export const go2rtcVersionCacheDir = (dataDir: string) => join(dataDir, 'runtime', 'streaming', 'go2rtc-bin', GO2RTC_VERSION);

/** `<dataDir>/runtime/streaming/go2rtc-bin/v1.9.14/<platform>/go2rtc`. */
export const cachedGo2rtcPath = (dataDir: string, platform: Go2rtcPlatform) => join(go2rtcVersionCacheDir(dataDir), platform, 'go2rtc');

/** Where the go2rtc binary is looked for: TOPOSYNC_STREAMING_GO2RTC_PATH, the image's path, the download cache. */
export const GO2RTC_LOOKUP: BinaryLookup = {
  product: 'go2rtc',
  version: GO2RTC_VERSION,
  envVar: 'TOPOSYNC_STREAMING_GO2RTC_PATH',
  defaultBundledPaths: DEFAULT_GO2RTC_BUNDLED_PATHS,
  cachedPath: cachedGo2rtcPath,
  missingTail: (allowDownload, platform) =>
    allowDownload ? `download it with POST /api/streams/mse/download (${GO2RTC_VERSION}, ${platform})` : 'downloading is disabled (settings streaming.mse.allow_download=false)',
};

export const resolveGo2rtcBinary = binaryResolver(GO2RTC_LOOKUP);

/**
 * Whether go2rtc's reported version is the release this server is tested with. A build from the
 * tagged source (not the module proxy's exact module) reports `1.9.14+dev.` or `1.9.14+dev.<revision>`:
 * the same release, so no warning; any other release (or pre-release) is another version.
 */
export function isTestedGo2rtcVersion(reported: string): boolean {
  const release = GO2RTC_VERSION.replace(/^v/, '');
  return reported === release || (reported.startsWith(`${release}+dev.`) && /^[0-9a-f]*$/i.test(reported.slice(release.length + 5)));
}
