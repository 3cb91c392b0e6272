export {
  GO2RTC_VERSION,
  DEFAULT_GO2RTC_BUNDLED_PATHS,
  go2rtcPlatform,
  resolveGo2rtcBinary,
  cachedGo2rtcPath,
  sidecarRuntimeDir,
  type Go2rtcBinaryResolution,
  type Go2rtcBinarySource,
  type Go2rtcPlatform,
} from './binary.js';
export {
  GO2RTC_MODULES,
  GO2RTC_ALLOW_PATHS,
  go2rtcConfig,
  renderGo2rtcConfig,
  writeGo2rtcConfig,
  go2rtcConfigPath,
  go2rtcStreamName,
  enginePathOfStream,
  internalSource,
} from './config.js';
export { downloadGo2rtc, DEFAULT_GO2RTC_DOWNLOAD_BASE_URL, go2rtcAssetName, go2rtcAssetUrl } from './download.js';
export { createGo2rtcManager, type Go2rtcManager, type Go2rtcManagerOptions, type SidecarState, type SidecarStatus, type SyncStreamsResult } from './manager.js';
export { GO2RTC_SHA256 } from './pins.js';
