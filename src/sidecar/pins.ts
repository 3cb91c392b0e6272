import type { Go2rtcPlatform } from './binary.js';

/**
 * PINNED SHA-256 of the go2rtc v1.9.14 release assets: the ONLY place these values live.
 *
 * go2rtc publishes no checksum file, so the download is verified against hashes we computed
 * ourselves. They are `null` here because this repository was written on machines without
 * internet access: nobody here has seen the real assets, and a value copied from anywhere else
 * would be a guess. While a value is `null`, `POST /api/streams/mse/download` refuses with
 * `checksum_not_pinned` (the image's `/usr/local/bin/go2rtc` and `TOPOSYNC_STREAMING_GO2RTC_PATH`
 * are unaffected).
 *
 * BEFORE RELEASE, fill both values, produced exactly like this on a trusted machine:
 *
 *   for a in go2rtc_linux_amd64 go2rtc_linux_arm64; do
 *     curl -fsSL -o "$a" "https://github.com/AlexxIT/go2rtc/releases/download/v1.9.14/$a"
 *     sha256sum "$a"
 *   done
 *
 * and cross-check them against the digest GitHub shows for each asset on the release page
 * (`gh release view v1.9.14 -R AlexxIT/go2rtc --json assets` lists `digest: sha256:...`) and,
 * once the add-on Dockerfile pins the same assets, against that pin: all must agree.
 * Lower-case hex, 64 chars.
 * Changing GO2RTC_VERSION means re-doing this for the new tag.
 */
export const GO2RTC_SHA256: Readonly<Record<Go2rtcPlatform, string | null>> = Object.freeze({
  linux_amd64: null,
  linux_arm64: null,
});

export const SHA256_HEX_RE = /^[0-9a-f]{64}$/;
