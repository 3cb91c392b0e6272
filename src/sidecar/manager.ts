import { createServer } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import * as v from 'valibot';
import type { StreamingSettings } from '../domain/settings.js';
import { ApiError } from '../shared/errors.js';
import { backoffDelay, DEFAULT_BACKOFF } from '../process/backoff.js';
import { binaryStatus, createDownloadJob, createSerialQueue, createStartTracker } from '../process/lifecycle.js';
import { createChangeGate } from '../process/lines.js';
import { ServiceStartError, serviceState, startService, type Service } from '../process/service.js';
import type { ChildHandle, Supervisor } from '../process/types.js';
import {
  DEFAULT_GO2RTC_BUNDLED_PATHS,
  GO2RTC_VERSION,
  cachedGo2rtcPath,
  executableProblem,
  go2rtcPlatform,
  resolveGo2rtcBinary,
  type Go2rtcBinaryResolution,
  type Go2rtcBinarySource,
  type Go2rtcPlatform,
} from './binary.js';
import { go2rtcStreamName, go2rtcStreams, renderGo2rtcConfig, writeGo2rtcConfig } from './config.js';
import { DEFAULT_GO2RTC_DOWNLOAD_BASE_URL, Go2rtcDownloadError, downloadGo2rtc } from './download.js';
import { GO2RTC_SHA256 } from './pins.js';

export type SidecarState = 'disabled' | 'missing' | 'stopped' | 'starting' | 'running' | 'failed';

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

export interface SyncStreamsResult {
  /** go2rtc was restarted to load the new stream set. */
  restarted: boolean;
  /** Nothing to do to a process: MSE is disabled or go2rtc is not running (the set is kept for the next start). */
  skipped: boolean;
  streams: number;
}

export interface Go2rtcManagerOptions {
  supervisor: Supervisor;
  logger: Logger;
  dataDir: string;
  settings: () => StreamingSettings;
  /** MediaMTX's actual RTSP port (`engine.rtspPort()`), read at every render. */
  rtspPort: () => number;
  /** The server's log level (pino names). */
  logLevel: string;
  /** TOPOSYNC_STREAMING_GO2RTC_PATH, read by the caller. When set, the only candidate. */
  go2rtcPath?: string | undefined;
  /** Default `['/usr/local/bin/go2rtc']`. */
  bundledPaths?: string[];
  /** Preferred loopback API port; another free one is used when it is taken. Default 1984. */
  apiPort?: number;
  downloadBaseUrl?: string;
  fetch?: typeof fetch;
  /** Expected SHA-256 per platform; default the pinned values of `pins.ts` (tests inject their own). */
  downloadPins?: Readonly<Record<Go2rtcPlatform, string | null>>;
  /** How long go2rtc gets to answer `GET /api` after a start. Default 15 s. */
  startTimeoutMs?: number;
  /** Per API request. Default 2 s. */
  apiTimeoutMs?: number;
  /** The clock of the retries after a failed start. Default Date.now. */
  now?: () => number;
}

export interface Go2rtcManager {
  status(): SidecarStatus;
  /** Re-checks the binary when no process exists, then returns the status. */
  inspect(): Promise<SidecarStatus>;
  /** Never throws: failures end in `missing`/`failed` with the reason; with MSE disabled it stays `disabled`. */
  start(): Promise<SidecarStatus>;
  /** Server start-up: `start()` when `mse.enabled`, otherwise only looks for the binary. */
  autoStart(): Promise<SidecarStatus>;
  stop(): Promise<SidecarStatus>;
  restart(): Promise<SidecarStatus>;
  /** After a settings change: stops go2rtc when MSE was disabled; starts it when re-enabled (unless stopped by hand). */
  applySettings(): Promise<SidecarStatus>;
  /** Fetches and verifies the release into the cache. ApiError 409 when not allowed or not pinned, 502 when refused. */
  download(): Promise<SidecarStatus>;
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
  running(): boolean;
}

const optionsSchema = v.object({
  supervisor: v.custom<Supervisor>((s) => typeof s === 'object' && s !== null && typeof (s as Supervisor).start === 'function', 'must be a Supervisor'),
  logger: v.custom<Logger>((l) => typeof l === 'object' && l !== null && typeof (l as Logger).child === 'function', 'must be a pino logger'),
  dataDir: v.pipe(v.string(), v.minLength(1, 'must not be empty')),
  settings: v.custom<() => StreamingSettings>((f) => typeof f === 'function', 'must be a function'),
  rtspPort: v.custom<() => number>((f) => typeof f === 'function', 'must be a function'),
  logLevel: v.pipe(v.string(), v.minLength(1)),
  go2rtcPath: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'))),
  bundledPaths: v.optional(v.array(v.pipe(v.string(), v.startsWith('/', 'must be absolute')))),
  apiPort: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535))),
  downloadBaseUrl: v.optional(v.pipe(v.string(), v.regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL'))),
  fetch: v.optional(v.custom<typeof fetch>((f) => typeof f === 'function', 'must be a function')),
  downloadPins: v.optional(v.record(v.string(), v.nullable(v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex characters'))))),
  startTimeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(600_000))),
  apiTimeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(50), v.maxValue(60_000))),
  now: v.optional(v.custom<() => number>((f) => typeof f === 'function', 'must be a function')),
});

const CHILD_NAME = 'go2rtc';

/** `GET /api` (go2rtc v1.9.14 `app.Info`): only what we read. */
const infoSchema = v.object({ version: v.string() });

/**
 * Whether go2rtc's reported version is the release this server is tested with. A build from the
 * tagged source (not the module proxy's exact module) reports `1.9.14+dev.` or `1.9.14+dev.<revision>`:
 * the same release, so no warning; any other release (or pre-release) is another version.
 */
export function isTestedGo2rtcVersion(reported: string): boolean {
  const release = GO2RTC_VERSION.replace(/^v/, '');
  return reported === release || (reported.startsWith(`${release}+dev.`) && /^[0-9a-f]*$/i.test(reported.slice(release.length + 5)));
}

/** Binds (then releases) a loopback port; null when taken. 0 asks the OS for a free one. */
function probeLoopback(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(null));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : null;
      server.close(() => resolve(bound));
    });
  });
}

/** The preferred port when it is free on 127.0.0.1, else one the OS picks (a snapshot: a race makes go2rtc fail and the supervisor retry). */
export async function pickApiPort(preferred: number): Promise<{ port: number; changed: boolean }> {
  if ((await probeLoopback(preferred)) === preferred) return { port: preferred, changed: false };
  for (let i = 0; i < 20; i++) {
    const p = await probeLoopback(0);
    if (p !== null) return { port: p, changed: true };
  }
  throw new Error('no free loopback port for the go2rtc API');
}

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
  const parsed = v.safeParse(optionsSchema, options);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw new TypeError(`createGo2rtcManager: ${v.getDotPath(issue) ?? 'options'} ${issue.message}`);
  }
  const { supervisor, dataDir, settings, logLevel, rtspPort } = options;
  const log = options.logger.child({ component: 'sidecar' });
  const bundledPaths = options.bundledPaths ?? [...DEFAULT_GO2RTC_BUNDLED_PATHS];
  const downloadBaseUrl = options.downloadBaseUrl ?? DEFAULT_GO2RTC_DOWNLOAD_BASE_URL;
  const fetchImpl = options.fetch ?? fetch;
  const pins = options.downloadPins ?? GO2RTC_SHA256;
  const preferredPort = options.apiPort ?? 1984;
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  const apiTimeoutMs = options.apiTimeoutMs ?? 2000;
  const now = options.now ?? Date.now;

  let binary: Go2rtcBinaryResolution | null = null;
  let service: Service | null = null;
  let handle: ChildHandle | null = null;
  let apiPort: number | null = null;
  let runningVersion: string | null = null;
  const start = createStartTracker({ log, label: 'go2rtc' });
  /** Engine paths wanted (sorted, unique). */
  let desired: string[] = [];
  /** name → source of the config the current process was started with. */
  let configured: Record<string, string> = {};
  /** Stopped by hand (API): `applySettings()` does not start it again. */
  let stoppedByUser = false;
  /** The settings follower calls `applySettings()` every second: a missing binary is said when it changes. */
  const missingChanged = createChangeGate<string | null>();
  /** Failed starts in a row, and when the follower may try again (a growing delay, not every second). */
  let failedStarts = 0;
  let retryAt = 0;

  const serially = createSerialQueue();

  const enabled = () => settings().mse.enabled;

  function state(): SidecarState {
    if (handle) {
      const s = handle.status();
      const st = serviceState(s.state, s.pid, service?.ready() ?? false);
      // The sidecar's status has no `crashed`: waiting to restart is `starting`.
      return st === 'crashed' ? 'starting' : st === 'stopped' && !enabled() ? 'disabled' : st;
    }
    if (start.starting()) return 'starting';
    if (!enabled()) return 'disabled';
    if (start.failed()) return 'failed';
    if (binary && binary.path === null) return 'missing';
    return 'stopped';
  }

  const wantedMap = () => {
    try {
      return go2rtcStreams(rtspPort(), desired);
    } catch {
      return {};
    }
  };

  function status(): SidecarStatus {
    const s = settings();
    const st = handle?.status();
    const rp = go2rtcPlatform();
    return {
      state: state(),
      version: GO2RTC_VERSION,
      running_version: service?.ready() ? runningVersion : null,
      binary: binaryStatus(binary),
      pid: st?.pid ?? null,
      api_url: handle && apiPort !== null ? `http://127.0.0.1:${apiPort}` : null,
      restarts: st?.restarts ?? 0,
      last_error: start.lastError(),
      download: { allowed: s.mse.allow_download, pinned: 'platform' in rp && pins[rp.platform] != null, in_progress: download.inProgress(), last_error: download.lastError() },
      streams: { desired: desired.length, configured: handle ? Object.keys(configured).length : 0, restart_pending: handle !== null && (movedStreams().length > 0 || addedStreams().length > 0) },
    };
  }

  async function refreshBinary(): Promise<Go2rtcBinaryResolution> {
    binary = await resolveGo2rtcBinary({ envPath: options.go2rtcPath, bundledPaths, dataDir, allowDownload: settings().mse.allow_download });
    return binary;
  }

  /** The cache is checked first. */
  const download = createDownloadJob({
    log,
    label: 'go2rtc',
    run: async () => {
      const rp = go2rtcPlatform();
      if ('reason' in rp) throw new Go2rtcDownloadError('unsupported_platform', rp.reason);
      const target = cachedGo2rtcPath(dataDir, rp.platform);
      if ((await executableProblem(target)) === null) return target;
      log.info({ version: GO2RTC_VERSION, platform: rp.platform, base_url: downloadBaseUrl }, 'downloading go2rtc');
      const path = await downloadGo2rtc({ dataDir, platform: rp.platform, baseUrl: downloadBaseUrl, fetch: fetchImpl, pins });
      log.info({ path }, 'go2rtc downloaded and verified');
      return path;
    },
  });

  /** Wanted streams go2rtc does not have yet. */
  const addedStreams = () => Object.entries(wantedMap()).filter(([name]) => !(name in configured));
  /** Wanted streams go2rtc has with another source. */
  const movedStreams = () => Object.entries(wantedMap()).filter(([name, src]) => name in configured && configured[name] !== src);

  /** `PATCH /api/streams?name=&src=`: adds a stream to the running go2rtc, in memory. */
  async function patchStream(port: number, name: string, src: string): Promise<void> {
    const res = await fetchImpl(`http://127.0.0.1:${port}/api/streams?name=${encodeURIComponent(name)}&src=${encodeURIComponent(src)}`, { method: 'PATCH', signal: AbortSignal.timeout(apiTimeoutMs) });
    const text = (await res.text()).trim();
    if (res.status !== 200) throw new Error(`PATCH /api/streams answered HTTP ${res.status}${text ? `: ${text}` : ''}`);
  }

  /** Adds the new streams through the API; false when go2rtc refused (a restart loads them instead). */
  async function addThroughApi(added: [string, string][]): Promise<boolean> {
    const port = apiPort;
    if (port === null) return false;
    try {
      for (const [name, src] of added) {
        await patchStream(port, name, src);
        configured = { ...configured, [name]: src };
      }
      await writeGo2rtcConfig(dataDir, renderGo2rtcConfig({ apiPort: port, rtspPort: rtspPort(), paths: desired, logLevel }));
      log.info({ added: added.map(([name]) => name) }, 'MSE streams added to go2rtc through its API');
      return true;
    } catch (err) {
      log.warn({ error: (err as Error).message }, 'go2rtc refused a new stream through its API; restarting it with the new config');
      return false;
    }
  }

  async function apiInfo(port: number): Promise<string> {
    const res = await fetchImpl(`http://127.0.0.1:${port}/api`, { signal: AbortSignal.timeout(apiTimeoutMs) });
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      throw new Error(`GET /api answered HTTP ${res.status}`);
    }
    const body = v.safeParse(infoSchema, await res.json());
    if (!body.success) throw new Error('GET /api answered without a version');
    return body.output.version;
  }

  async function stopChild(): Promise<void> {
    const running = service;
    service = null;
    handle = null;
    apiPort = null;
    runningVersion = null;
    configured = {};
    await running?.stop();
  }

  async function doStart(): Promise<SidecarStatus> {
    if (!enabled()) {
      await stopChild();
      await refreshBinary();
      return status();
    }
    if (handle) {
      const s = handle.status().state;
      if (s !== 'stopped' && s !== 'failed') return status();
      await stopChild();
    }
    await start.attempt(attemptStart, stopChild);
    return status();
  }

  /** One start attempt; `start` records its outcome. */
  async function attemptStart(): Promise<void> {
    const found = await refreshBinary();
    if (found.path === null) {
      if (missingChanged(found.reason)) log.warn({ reason: found.reason }, 'go2rtc is missing; MSE is unavailable');
      return;
    }
    missingChanged(null);
    const picked = await pickApiPort(preferredPort);
    if (picked.changed) log.warn({ preferred: preferredPort, actual: picked.port }, 'preferred go2rtc API port is taken; using another');
    const streams = go2rtcStreams(rtspPort(), desired);
    const file = await writeGo2rtcConfig(dataDir, renderGo2rtcConfig({ apiPort: picked.port, rtspPort: rtspPort(), paths: desired, logLevel }));
    try {
      service = await startService({
        supervisor,
        log,
        label: 'go2rtc',
        spec: {
          name: CHILD_NAME,
          command: found.path,
          args: ['-config', file],
          cwd: dirname(file),
          restart: 'on-crash',
          stop: { signal: 'SIGTERM', timeoutMs: 5000 },
        },
        probe: async () => {
          runningVersion = await apiInfo(picked.port);
        },
        probeName: 'GET /api',
        startTimeoutMs,
        onCrash: start.crashed,
      });
    } catch (err) {
      if (!(err instanceof ServiceStartError)) throw err;
      start.failedToStart(err.message);
      return;
    }
    handle = service.handle;
    apiPort = picked.port;
    configured = streams;
    start.running();
    failedStarts = 0;
    if (runningVersion !== null && !isTestedGo2rtcVersion(runningVersion)) {
      log.warn({ expected: GO2RTC_VERSION, running: runningVersion }, 'go2rtc reports another version than the one this server is tested with');
    }
    log.info({ pid: service.handle.status().pid, binary: found.path, source: found.source, api_port: picked.port, streams: Object.keys(streams).length, version: runningVersion }, 'go2rtc running');
  }

  const running = () => state() === 'running';

  function wsUrl(path: string): string | null {
    if (!running() || apiPort === null) return null;
    let name: string;
    try {
      name = go2rtcStreamName(path);
    } catch {
      return null;
    }
    if (!(name in configured)) return null;
    return `ws://127.0.0.1:${apiPort}/api/ws?src=${encodeURIComponent(name)}`;
  }

  function hasStream(path: string): boolean {
    try {
      return handle !== null && go2rtcStreamName(path) in configured;
    } catch {
      return false;
    }
  }

  // First look at the binary, so the status says `missing` before anyone starts anything.
  void refreshBinary().catch((err: Error) => log.warn({ error: err.message }, 'could not look for the go2rtc binary'));

  return {
    status,
    async inspect() {
      if (!handle && !start.starting()) await refreshBinary();
      return status();
    },
    start: () =>
      serially(async () => {
        stoppedByUser = false;
        return doStart();
      }),
    async autoStart() {
      if (enabled()) return serially(doStart);
      await refreshBinary();
      return status();
    },
    stop: () =>
      serially(async () => {
        stoppedByUser = true;
        await stopChild();
        start.stopped();
        log.info('go2rtc stopped');
        return status();
      }),
    restart: () =>
      serially(async () => {
        stoppedByUser = false;
        await stopChild();
        return doStart();
      }),
    applySettings: () =>
      serially(async () => {
        if (!enabled()) {
          if (handle) {
            await stopChild();
            log.info('MSE disabled: go2rtc stopped');
          }
          start.stopped();
          return status();
        }
        if (handle || stoppedByUser || (start.failed() && now() < retryAt)) return status();
        const st = await doStart();
        if (st.state === 'failed') {
          const delay = backoffDelay(failedStarts++, DEFAULT_BACKOFF);
          retryAt = now() + delay;
          log.info({ retry_in_ms: delay }, 'go2rtc failed to start; trying again later');
        }
        return st;
      }),
    async download() {
      if (!settings().mse.allow_download) {
        throw new ApiError(409, 'download_disabled', 'downloading go2rtc is disabled; set mse.allow_download to true to allow it', 'mse.allow_download');
      }
      const rp = go2rtcPlatform();
      if ('reason' in rp) throw new ApiError(409, 'unsupported_platform', rp.reason);
      try {
        await download.ensure();
      } catch (err) {
        const e = err as Error;
        const kind = e instanceof Go2rtcDownloadError ? e.kind : 'unknown';
        if (kind === 'checksum_not_pinned') throw new ApiError(409, 'checksum_not_pinned', e.message, null, { download_error: kind });
        throw new ApiError(502, kind === 'checksum_mismatch' ? 'checksum_mismatch' : 'download_failed', e.message, null, { download_error: kind });
      }
      if (!handle) await refreshBinary();
      return status();
    },
    syncStreams(paths) {
      const next = [...new Set(paths)].filter((p) => {
        try {
          go2rtcStreamName(p);
          return true;
        } catch {
          log.warn({ path: p }, 'not an engine path; not served over MSE');
          return false;
        }
      });
      next.sort();
      desired = next;
      return serially(async () => {
        if (!enabled()) {
          if (handle) await stopChild();
          return { restarted: false, skipped: true, streams: desired.length };
        }
        if (!handle) return { restarted: false, skipped: true, streams: desired.length };
        const added = addedStreams();
        if (movedStreams().length === 0 && (added.length === 0 || (await addThroughApi(added)))) return { restarted: false, skipped: false, streams: desired.length };
        log.info({ streams: desired.length }, 'MSE stream sources changed; restarting go2rtc with the new config');
        await stopChild();
        await doStart();
        return { restarted: true, skipped: false, streams: desired.length };
      });
    },
    wsUrl,
    hasStream,
    running,
  };
}
