export { MEDIAMTX_VERSION, DEFAULT_BUNDLED_PATHS, releasePlatform, resolveBinary, cachedBinaryPath, type BinaryResolution, type BinarySource } from './binary.js';
export { createMediamtxClient, encodePathName, MediamtxApiError, type MediamtxClient, type EnginePath, type ReportedPathConf } from './client.js';
export { mediamtxConfig, renderMediamtxConfig, writeMediamtxConfig, hashCredential, configPath } from './config.js';
export { downloadMediamtx, DEFAULT_DOWNLOAD_BASE_URL, releaseAssetName } from './download.js';
export { createEngineManager, type EngineManager, type EngineManagerOptions, type EngineState, type EngineStatus, type PortStatus } from './engine.js';
export type { SyncResult } from './path-sync.js';
export { pathConfSchema, pathConfError, samePathConf, redactPathConf, type PathConf } from './path-conf.js';
export { resolvePorts, PORT_NAMES, type PortName, type PortPlan, type PortAssignment } from './ports.js';
