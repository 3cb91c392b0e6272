import { join } from 'node:path';
import { executableProblem } from '../engine/binary.js';

export { executableProblem };

/** The one go2rtc release this server is written and tested against (tag name). */
export const GO2RTC_VERSION = 'v1.9.14';

/** Where the add-on image installs go2rtc (the Dockerfile downloads and verifies it). */
export const DEFAULT_GO2RTC_BUNDLED_PATHS: readonly string[] = ['/usr/local/bin/go2rtc'];

export type Go2rtcPlatform = 'linux_amd64' | 'linux_arm64';
export type Go2rtcBinarySource = 'env' | 'bundled' | 'cache';

export type Go2rtcBinaryResolution = { path: string; source: Go2rtcBinarySource } | { path: null; reason: string };

/** The release asset suffix for this machine, or why there is none. */
export function go2rtcPlatform(platform: string = process.platform, arch: string = process.arch): { platform: Go2rtcPlatform } | { reason: string } {
  if (platform !== 'linux') return { reason: `go2rtc release binaries are used on Linux only (this is ${platform}/${arch})` };
  if (arch === 'x64') return { platform: 'linux_amd64' };
  if (arch === 'arm64') return { platform: 'linux_arm64' };
  return { reason: `unsupported architecture ${arch}: go2rtc ${GO2RTC_VERSION} is fetched for linux_amd64 and linux_arm64 only` };
}

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

/**
 * Finds the go2rtc binary: the explicit path (when set, the only candidate: a wrong override is an
 * error, not a reason to silently run another binary), then the image's path, then the download
 * cache of this version and platform. Never throws for a missing binary: the reason says why.
 */
export async function resolveGo2rtcBinary(options: ResolveGo2rtcOptions): Promise<Go2rtcBinaryResolution> {
  const { envPath, bundledPaths = DEFAULT_GO2RTC_BUNDLED_PATHS, dataDir, allowDownload } = options;
  if (envPath !== undefined && envPath !== '') {
    const problem = await executableProblem(envPath);
    if (problem === null) return { path: envPath, source: 'env' };
    return { path: null, reason: `TOPOSYNC_STREAMING_GO2RTC_PATH points to ${envPath}, which ${problem}` };
  }
  const notes: string[] = [];
  for (const candidate of bundledPaths) {
    const problem = await executableProblem(candidate);
    if (problem === null) return { path: candidate, source: 'bundled' };
    if (problem !== 'does not exist') notes.push(`${candidate} ${problem}`);
  }
  const rp = go2rtcPlatform(options.platform, options.arch);
  if ('reason' in rp) {
    return { path: null, reason: `go2rtc is not bundled (${bundledPaths.join(', ') || 'no bundled paths'}) and cannot be downloaded: ${rp.reason}` };
  }
  const cached = cachedGo2rtcPath(dataDir, rp.platform);
  const cacheProblem = await executableProblem(cached);
  if (cacheProblem === null) return { path: cached, source: 'cache' };
  if (cacheProblem !== 'does not exist') notes.push(`${cached} ${cacheProblem}`);
  const extra = notes.length ? ` (${notes.join('; ')})` : '';
  const tail = allowDownload
    ? `download it with POST /api/streams/mse/download (${GO2RTC_VERSION}, ${rp.platform})`
    : 'downloading is disabled (settings streaming.mse.allow_download=false)';
  return { path: null, reason: `go2rtc ${GO2RTC_VERSION} is not bundled and not in the cache${extra}; ${tail}` };
}
