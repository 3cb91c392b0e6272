import { join } from 'node:path';
import { saveHashed } from '../managed/hashed-download.js';
import { DownloadError, fetchReleaseFile, inTempDir, installExecutable } from '../managed/release-download.js';
import { GO2RTC_VERSION, cachedGo2rtcPath, go2rtcVersionCacheDir, type Go2rtcPlatform } from './binary.js';
import { GO2RTC_SHA256, SHA256_HEX_RE } from './pins.js';

export const DEFAULT_GO2RTC_DOWNLOAD_BASE_URL = 'https://github.com/AlexxIT/go2rtc/releases/download';

export interface Go2rtcDownloadOptions {
  dataDir: string;
  platform: Go2rtcPlatform;
  /** `…/releases/download`; the asset URL is `<base>/v1.9.14/go2rtc_<platform>`. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** The expected SHA-256 per platform. Default: the pinned {@link GO2RTC_SHA256}; tests inject their own. */
  pins?: Readonly<Record<Go2rtcPlatform, string | null>>;
  /** For the whole request, body included. Default 5 min. */
  timeoutMs?: number;
  /** go2rtc is about 20 MB; anything past this is refused. Default 128 MiB. */
  maxBytes?: number;
}

/** `go2rtc_linux_amd64` / `go2rtc_linux_arm64`: raw executables, not archives. */
export const go2rtcAssetName = (platform: Go2rtcPlatform) => `go2rtc_${platform}`;

/** The asset's URL under a base (`…/releases/download`). */
const go2rtcAssetUrl = (baseUrl: string, platform: Go2rtcPlatform) => `${baseUrl.replace(/\/+$/, '')}/${GO2RTC_VERSION}/${go2rtcAssetName(platform)}`;

/**
 * Fetches the raw release asset, hashing it while it streams into a temporary file beside the
 * cache, compares the SHA-256 with the pinned value, and only then makes it executable and renames
 * it into place: the cache holds either nothing or a verified, complete, executable binary. With no
 * pinned value for the platform it refuses before any request is made. Temporary files are always
 * removed. Returns the cached path.
 */
export async function downloadGo2rtc(options: Go2rtcDownloadOptions): Promise<string> {
  const { dataDir, platform, baseUrl = DEFAULT_GO2RTC_DOWNLOAD_BASE_URL, timeoutMs = 300_000, maxBytes = 128 * 1024 * 1024 } = options;
  const fetchImpl = options.fetch ?? fetch;
  const pins = options.pins ?? GO2RTC_SHA256;
  const asset = go2rtcAssetName(platform);
  const expected = pins[platform] ?? null;
  if (expected === null) {
    throw new DownloadError(
      'checksum_not_pinned',
      `no SHA-256 is pinned for ${asset} ${GO2RTC_VERSION} in this build (src/sidecar/pins.ts), and go2rtc publishes no checksum file; refusing to install an unverified binary. Use the add-on image's go2rtc or set TOPOSYNC_STREAMING_GO2RTC_PATH`,
    );
  }
  if (!SHA256_HEX_RE.test(expected)) throw new DownloadError('checksum_not_pinned', `the pinned SHA-256 of ${asset} is not 64 lower-case hex characters`);

  return inTempDir(go2rtcVersionCacheDir(dataDir), async (tmp) => {
    const res = await fetchReleaseFile(fetchImpl, go2rtcAssetUrl(baseUrl, platform), timeoutMs);
    const file = join(tmp, 'go2rtc');
    const { sha256: actual, bytes } = await saveHashed(res.body, { file, asset, maxBytes, fail: (kind, message) => new DownloadError(kind, message) });
    if (actual !== expected) {
      throw new DownloadError('checksum_mismatch', `SHA-256 of ${asset} (${bytes} bytes) is ${actual}, the pinned value is ${expected}; refusing to install it`);
    }
    return installExecutable({ file, target: cachedGo2rtcPath(dataDir, platform), problemKind: 'not_executable' });
  });
}
