import { dirname } from 'node:path';
import * as v from 'valibot';
import { backoffDelay, DEFAULT_BACKOFF } from '../process/backoff.js';
import { createManagedBinary, type ManagedBinaryControls } from '../managed/managed-binary.js';
import { checkOptions, functionOption, managedOptionEntries, type ManagedBinaryOptions } from '../managed/options.js';
import { pickLoopbackPort } from '../managed/port-probe.js';
import { createGo2rtcApi } from './api.js';
import { GO2RTC_LOOKUP, GO2RTC_VERSION, go2rtcPlatform, isTestedGo2rtcVersion, type Go2rtcBinarySource, type Go2rtcPlatform } from './binary.js';
import { DEFAULT_GO2RTC_DOWNLOAD_BASE_URL, downloadGo2rtc } from './download.js';
import { GO2RTC_SHA256, SHA256_HEX_RE } from './pins.js';
import { createStreamSet } from './streams.js';

type SidecarState = 'disabled' | 'missing' | 'stopped' | 'starting' | 'running' | 'failed';

export interface SidecarStatus {
  state: SidecarState;
  /** The go2rtc release this server is written for. */
  version: string;
  /** What the running go2rtc reported on `GET /api` (null while none answered). */
  running_version: string | null;
  binary: { path: string | null; source: Go2rtcBinarySource | null; reason: string | null };
  pid: number | null;
  /** `http://127.0.0.1:<port>` of go2rtc's loopback API while a process exists. */
  api_url: string | null;
  /** Restarts after crashes since the last start. */
  restarts: number;
  last_error: string | null;
  download: { allowed: boolean; pinned: boolean; in_progress: boolean; last_error: string | null };
  /** `desired`: engine paths the server wants over MSE; `configured`: those in the running go2rtc's config. */
  streams: { desired: number; configured: number; restart_pending: boolean };
}

interface SyncStreamsResult {
  /** go2rtc was restarted to load the new stream set. */
  restarted: boolean;
  /** Nothing to do to a process: MSE is disabled or go2rtc is not running (the set is kept for the next start). */
  skipped: boolean;
  streams: number;
}

export interface Go2rtcManagerOptions extends ManagedBinaryOptions {
  /** MediaMTX's actual RTSP port (`engine.rtspPort()`), read at every render. */
  rtspPort: () => number;
  /** TOPOSYNC_STREAMING_GO2RTC_PATH, read by the caller. When set, the only candidate. */
  go2rtcPath?: string | undefined;
  /** Preferred loopback API port; another free one is used when it is taken. Default 1984. */
  apiPort?: number;
  /** Expected SHA-256 per platform; default the pinned values of `pins.ts` (tests inject their own). */
  downloadPins?: Readonly<Record<Go2rtcPlatform, string | null>>;
}

/** State `disabled` while `mse.enabled` is off (a start then only looks for the binary); `autoStart()` follows `mse.enabled`. */
export interface Go2rtcManager extends ManagedBinaryControls<SidecarStatus> {
  /** After a settings change: stops go2rtc when MSE was disabled; starts it when re-enabled (unless stopped by hand). */
  applySettings(): Promise<SidecarStatus>;
  /**
   * The engine paths to serve (every enabled output). Remembered; when go2rtc runs and the rendered
   * stream map (names, or MediaMTX's RTSP port) differs from its config, go2rtc is restarted with
   * the new file. Cheap when nothing changed: call it whenever the plan or the engine port may have.
   */
  syncStreams(paths: Iterable<string>): Promise<SyncStreamsResult>;
  /** `ws://127.0.0.1:<port>/api/ws?src=<name>` when go2rtc runs and serves `path`, else null. */
  wsUrl(path: string): string | null;
  /** Whether the running go2rtc's config has a stream for `path`. */
  hasStream(path: string): boolean;
}

const optionsSchema = v.object({
  ...managedOptionEntries,
  rtspPort: functionOption<() => number>(),
  go2rtcPath: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'))),
  apiPort: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535))),
  downloadPins: v.optional(v.record(v.string(), v.nullable(v.pipe(v.string(), v.regex(SHA256_HEX_RE, 'must be 64 lower-case hex characters'))))),
});

/**
 * Owns the go2rtc child (MSE over WebSocket): finds the binary (env path, image, cache), renders
 * `go2rtc.yaml` from the engine paths to serve, starts it through the supervisor as `go2rtc
 * -config <file>`, waits for `GET /api`, and restarts it when the stream set changes. A missing
 * binary or disabled MSE is a state, never an exception: the plan blocks MSE with that reason.
 *
 * New streams are added through `PATCH /api/streams` (go2rtc v1.9.14: in memory only; `PUT` and
 * `DELETE` would make go2rtc rewrite the config file itself), and the file is rewritten by this
 * server so a crash restart loads the same set; current MSE viewers stay. A removed stream stays in
 * go2rtc's memory until its next start (it is pulled only while a consumer reads it, and the relay
 * serves only planned outputs). go2rtc is restarted only when an existing stream's source changes
 * (MediaMTX's RTSP port moved, which restarts the engine and cuts every viewer anyway) or the API
 * refuses: that drops current MSE viewers (the relay closes them with 4502; players reconnect).
 */
export function createGo2rtcManager(options: Go2rtcManagerOptions): Go2rtcManager {
  checkOptions('createGo2rtcManager', optionsSchema, options);
  const { dataDir, settings } = options;
  const log = options.logger.child({ component: 'sidecar' });
  const downloadBaseUrl = options.downloadBaseUrl ?? DEFAULT_GO2RTC_DOWNLOAD_BASE_URL;
  const fetchImpl = options.fetch ?? fetch;
  const pins = options.downloadPins ?? GO2RTC_SHA256;
  const preferredPort = options.apiPort ?? 1984;
  const now = options.now ?? Date.now;
  const api = createGo2rtcApi({ fetch: fetchImpl, timeoutMs: options.apiTimeoutMs ?? 2000 });
  const streams = createStreamSet({ log, dataDir, logLevel: options.logLevel, rtspPort: options.rtspPort, api });

  let apiPort: number | null = null;
  let runningVersion: string | null = null;
  /** Failed starts in a row, and when the settings follower may try again (a growing delay, not every second). */
  let failedStarts = 0;
  let retryAt = 0;

  const enabled = () => settings().mse.enabled;

  const core = createManagedBinary<SidecarStatus>({
    lookup: GO2RTC_LOOKUP,
    childName: 'go2rtc',
    options,
    log,
    envPath: options.go2rtcPath,
    release: {
      allowed: () => settings().mse.allow_download,
      setting: 'mse.allow_download',
      baseUrl: downloadBaseUrl,
      fetch: (platform) => downloadGo2rtc({ dataDir, platform, baseUrl: downloadBaseUrl, fetch: fetchImpl, pins }),
      onStart: false,
    },
    missing: 'go2rtc is missing; MSE is unavailable',
    launch,
    onStop: () => {
      apiPort = null;
      runningVersion = null;
      streams.unload();
    },
    enabled,
    autoStart: enabled,
    status,
  });

  function state(): SidecarState {
    const st = core.state();
    // The sidecar's status has no `crashed`: waiting to restart is `starting`.
    if (st === 'crashed') return 'starting';
    if (st === 'starting' || enabled()) return st;
    // MSE is off: `disabled`, unless a process still exists in another state than stopped.
    return core.service() && st !== 'stopped' ? st : 'disabled';
  }

  function status(): SidecarStatus {
    const parts = core.statusParts();
    const proc = core.service();
    const rp = go2rtcPlatform();
    return {
      state: state(),
      version: GO2RTC_VERSION,
      running_version: proc?.ready() ? runningVersion : null,
      binary: parts.binary,
      pid: parts.pid,
      api_url: proc && apiPort !== null ? `http://127.0.0.1:${apiPort}` : null,
      restarts: parts.restarts,
      last_error: parts.last_error,
      download: { allowed: parts.download.allowed, pinned: 'platform' in rp && pins[rp.platform] != null, in_progress: parts.download.in_progress, last_error: parts.download.last_error },
      streams: streams.status(proc !== null),
    };
  }

  /** Picks the API port, renders `go2rtc.yaml` and starts `go2rtc -config <file>` once. */
  async function launch(found: { path: string; source: Go2rtcBinarySource }): Promise<void> {
    const picked = await pickLoopbackPort(preferredPort, 'the go2rtc API');
    if (picked.changed) log.warn({ preferred: preferredPort, actual: picked.port }, 'preferred go2rtc API port is taken; using another');
    const { file, streams: loading } = await streams.render(picked.port);
    const service = await core.serve({
      child: { command: found.path, args: ['-config', file], cwd: dirname(file) },
      probe: async () => {
        runningVersion = await api.version(picked.port);
      },
      probeName: 'GET /api',
    });
    if (!service) return;
    apiPort = picked.port;
    streams.loaded(loading);
    failedStarts = 0;
    if (runningVersion !== null && !isTestedGo2rtcVersion(runningVersion)) {
      log.warn({ expected: GO2RTC_VERSION, running: runningVersion }, 'go2rtc reports another version than the one this server is tested with');
    }
    log.info({ pid: service.handle.status().pid, binary: found.path, source: found.source, api_port: picked.port, streams: Object.keys(loading).length, version: runningVersion }, 'go2rtc running');
  }

  const { running } = core.controls;

  return {
    ...core.controls,
    applySettings: () =>
      core.serially(async () => {
        if (!enabled()) {
          if (core.service()) {
            await core.stopNow();
            log.info('MSE disabled: go2rtc stopped');
          }
          core.clearFailure();
          return status();
        }
        if (core.service() || core.stoppedByHand() || (core.failed() && now() < retryAt)) return status();
        const st = await core.startNow();
        if (st.state === 'failed') {
          const delay = backoffDelay(failedStarts++, DEFAULT_BACKOFF);
          retryAt = now() + delay;
          log.info({ retry_in_ms: delay }, 'go2rtc failed to start; trying again later');
        }
        return st;
      }),
    syncStreams(paths) {
      streams.want(paths);
      return core.serially(async () => {
        if (!enabled()) {
          if (core.service()) await core.stopNow();
          return { restarted: false, skipped: true, streams: streams.count() };
        }
        if (!core.service() || apiPort === null) return { restarted: false, skipped: true, streams: streams.count() };
        if (await streams.apply(apiPort)) return { restarted: false, skipped: false, streams: streams.count() };
        log.info({ streams: streams.count() }, 'MSE stream sources changed; restarting go2rtc with the new config');
        await core.stopNow();
        await core.startNow();
        return { restarted: true, skipped: false, streams: streams.count() };
      });
    },
    wsUrl(path) {
      const name = streams.loadedName(path);
      if (!running() || apiPort === null || name === null) return null;
      return `ws://127.0.0.1:${apiPort}/api/ws?src=${encodeURIComponent(name)}`;
    },
    hasStream: (path) => core.service() !== null && streams.loadedName(path) !== null,
  };
}
