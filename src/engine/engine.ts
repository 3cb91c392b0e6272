import { dirname } from 'node:path';
import type { Logger } from 'pino';
import * as v from 'valibot';
import type { StreamingSettings } from '../domain/settings.js';
import { ApiError } from '../errors.js';
import { redactUrls } from '../logger.js';
import { createChangeGate, createLineSplitter, createRedactor, createRepeatLimiter } from '../process/lines.js';
import { binaryStatus, createDownloadJob, createSerialQueue, createStartTracker } from '../process/lifecycle.js';
import { ServiceStartError, serviceState, startService, type Service } from '../process/service.js';
import type { ChildHandle, Supervisor } from '../process/types.js';
import { DEFAULT_BUNDLED_PATHS, MEDIAMTX_VERSION, cachedBinaryPath, executableProblem, releasePlatform, resolveBinary, type BinaryResolution, type BinarySource } from './binary.js';
import { createMediamtxClient, encodePathName, type MediamtxClient } from './client.js';
import { renderMediamtxConfig, writeMediamtxConfig } from './config.js';
import { DEFAULT_DOWNLOAD_BASE_URL, DownloadError, downloadMediamtx } from './download.js';
import { pathConfError, redactPathConf, samePathConf, type PathConf } from './path-conf.js';
import { PORT_NAMES, resolvePorts, type PortName, type PortPlan } from './ports.js';

export type EngineState = 'missing' | 'stopped' | 'starting' | 'running' | 'crashed' | 'failed';

export interface PortStatus {
  preferred: number;
  /** The port MediaMTX listens on; null while no engine process exists. */
  actual: number | null;
  changed: boolean;
}

export interface EngineStatus {
  state: EngineState;
  version: string;
  binary: { path: string | null; source: BinarySource | null; reason: string | null };
  pid: number | null;
  ports: Record<PortName, PortStatus>;
  /** Restarts after crashes since the last start. */
  restarts: number;
  last_error: string | null;
  download: { allowed: boolean; in_progress: boolean; last_error: string | null };
  /** `http://127.0.0.1:<api>` of the running engine. */
  api_url: string | null;
  paths: { desired: number; last_sync_at: string | null; last_sync_errors: number };
}

export interface SyncResult {
  added: string[];
  replaced: string[];
  deleted: string[];
  /** Per path (`path: null` when the engine could not even be listed); messages are redacted. */
  errors: { path: string | null; error: string }[];
  /** True when nothing was done because the engine is not running (the map is kept for the next start). */
  skipped: boolean;
}

export interface EngineManagerOptions {
  supervisor: Supervisor;
  logger: Logger;
  dataDir: string;
  settings: () => StreamingSettings;
  /** The server's log level (pino names), mapped onto MediaMTX's. */
  logLevel: string;
  /** TOPOSYNC_STREAMING_MEDIAMTX_PATH, read by the caller. */
  mediamtxPath?: string | undefined;
  bundledPaths?: string[];
  downloadBaseUrl?: string;
  fetch?: typeof fetch;
  /** How long MediaMTX gets to answer `/v3/info` after a start. Default 15 s. */
  startTimeoutMs?: number;
  /** Per control-API request. Default 2 s. */
  apiTimeoutMs?: number;
}

export interface EngineManager {
  status(): EngineStatus;
  /** Re-checks the binary when no engine process exists, then returns the status. */
  inspect(): Promise<EngineStatus>;
  /** Never throws: failures end in state `missing` or `failed` with the reason. */
  start(): Promise<EngineStatus>;
  /** `start()` when `settings.engine.auto_start` is on (server start-up), otherwise only looks for the binary. */
  autoStart(): Promise<EngineStatus>;
  stop(): Promise<EngineStatus>;
  restart(): Promise<EngineStatus>;
  /** Fetches and verifies the release into the cache; ApiError 409 when not allowed, 502 when refused. */
  download(): Promise<EngineStatus>;
  /** Makes the engine's runtime paths equal `desired`; remembered and re-applied after every (re)start. */
  syncPaths(desired: ReadonlyMap<string, PathConf>): Promise<SyncResult>;
  /** Readers of a path excluding MediaMTX's hidden ones; null when not running or the path does not exist. */
  readers(path: string): Promise<number | null>;
  /** The video codec the engine reports for an online path; `unknown` until it has read the stream. */
  videoCodec(path: string): Promise<'h264' | 'h265' | 'unknown'>;
  /** `rtsp://127.0.0.1:<actual rtsp>/<path>` (the preferred port while not running). */
  internalRtspUrl(path: string): string;
  /** `http://127.0.0.1:<port>` of the engine's loopback HLS or WebRTC (WHEP) listener, null when not running. */
  internalHttpBase(listener: 'hls' | 'webrtc'): string | null;
  running(): boolean;
  rtspPort(): number;
}

const optionsSchema = v.object({
  supervisor: v.custom<Supervisor>((s) => typeof s === 'object' && s !== null && typeof (s as Supervisor).start === 'function', 'must be a Supervisor'),
  logger: v.custom<Logger>((l) => typeof l === 'object' && l !== null && typeof (l as Logger).child === 'function', 'must be a pino logger'),
  dataDir: v.pipe(v.string(), v.minLength(1, 'must not be empty')),
  settings: v.custom<() => StreamingSettings>((f) => typeof f === 'function', 'must be a function'),
  logLevel: v.pipe(v.string(), v.minLength(1)),
  mediamtxPath: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'))),
  bundledPaths: v.optional(v.array(v.pipe(v.string(), v.startsWith('/', 'must be absolute')))),
  downloadBaseUrl: v.optional(v.pipe(v.string(), v.regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL'))),
  fetch: v.optional(v.custom<typeof fetch>((f) => typeof f === 'function', 'must be a function')),
  startTimeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(600_000))),
  apiTimeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(50), v.maxValue(60_000))),
});

const CHILD_NAME = 'mediamtx';

/**
 * Owns the MediaMTX child: finds (or downloads) the binary, picks ports, renders the config,
 * starts it through the supervisor, waits for its control API, and keeps its runtime paths in
 * sync with what the server wants, re-applying them after every restart (MediaMTX forgets
 * API-added paths when it restarts). A missing binary is a state, not an error: the rest of the
 * server keeps working.
 */
export function createEngineManager(options: EngineManagerOptions): EngineManager {
  const parsed = v.safeParse(optionsSchema, options);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw new TypeError(`createEngineManager: ${v.getDotPath(issue) ?? 'options'} ${issue.message}`);
  }
  const { supervisor, dataDir, settings, logLevel } = options;
  const log = options.logger.child({ component: 'engine' });
  const engineLog = options.logger.child({ component: 'mediamtx' });
  const bundledPaths = options.bundledPaths ?? [...DEFAULT_BUNDLED_PATHS];
  const downloadBaseUrl = options.downloadBaseUrl ?? DEFAULT_DOWNLOAD_BASE_URL;
  const fetchImpl = options.fetch ?? fetch;
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  const apiTimeoutMs = options.apiTimeoutMs ?? 2000;

  let binary: BinaryResolution | null = null;
  let ports: PortPlan | null = null;
  let service: Service | null = null;
  let handle: ChildHandle | null = null;
  let client: MediamtxClient | null = null;
  const start = createStartTracker({ log, label: 'MediaMTX' });
  let desired: Map<string, PathConf> | null = null;
  let lastSyncAt: string | null = null;
  let lastSyncErrors = 0;

  const serially = createSerialQueue();
  const syncSerially = createSerialQueue();
  /** A missing binary is said when it changes, not at every start asked for. */
  const missingChanged = createChangeGate<string | null>();

  function state(): EngineState {
    if (handle) {
      const s = handle.status();
      return serviceState(s.state, s.pid, service?.ready() ?? false);
    }
    if (start.starting()) return 'starting';
    if (start.failed()) return 'failed';
    if (binary && binary.path === null) return 'missing';
    return 'stopped';
  }

  function status(): EngineStatus {
    const s = settings();
    const preferred: Record<PortName, number> = {
      rtsp: s.engine.rtsp_port,
      hls: s.engine.hls_port,
      webrtc: s.engine.webrtc_port,
      webrtc_udp: s.engine.webrtc_udp_port,
      api: s.engine.api_port,
    };
    const live = handle !== null && ports !== null ? ports : null;
    const portStatus = Object.fromEntries(
      PORT_NAMES.map((name) => [name, live ? { ...live[name] } : { preferred: preferred[name], actual: null, changed: false }]),
    ) as Record<PortName, PortStatus>;
    const st = handle?.status();
    return {
      state: state(),
      version: MEDIAMTX_VERSION,
      binary: binaryStatus(binary),
      pid: st?.pid ?? null,
      ports: portStatus,
      restarts: st?.restarts ?? 0,
      last_error: start.lastError(),
      download: { allowed: s.engine.allow_download, in_progress: download.inProgress(), last_error: download.lastError() },
      api_url: live ? `http://127.0.0.1:${live.api.actual}` : null,
      paths: { desired: desired?.size ?? 0, last_sync_at: lastSyncAt, last_sync_errors: lastSyncErrors },
    };
  }

  async function refreshBinary(): Promise<BinaryResolution> {
    binary = await resolveBinary({ envPath: options.mediamtxPath, bundledPaths, dataDir, allowDownload: settings().engine.allow_download });
    return binary;
  }

  /** The cache is checked first. */
  const download = createDownloadJob({
    log,
    label: 'MediaMTX',
    run: async () => {
      const rp = releasePlatform();
      if ('reason' in rp) throw new DownloadError('unsupported_platform', rp.reason);
      const target = cachedBinaryPath(dataDir, rp.platform);
      if ((await executableProblem(target)) === null) return target;
      log.info({ version: MEDIAMTX_VERSION, platform: rp.platform, base_url: downloadBaseUrl }, 'downloading MediaMTX');
      const path = await downloadMediamtx({ dataDir, platform: rp.platform, baseUrl: downloadBaseUrl, fetch: fetchImpl });
      log.info({ path }, 'MediaMTX downloaded and verified');
      return path;
    },
  });

  function pipeStdout(h: ChildHandle): void {
    const out = h.stdout();
    if (!out) return;
    const redact = createRedactor([]);
    // MediaMTX repeats a warning per packet or per reader at times: logged once, then counted.
    const repeats = createRepeatLimiter({ now: Date.now });
    const emit = ({ line, count }: { line: string; count: number }) => {
      const text = count === 1 ? line : `${line} (repeated ${count} times)`;
      const fields = count === 1 ? {} : { repeated: count };
      if (/\b(ERR|WAR)\b/.test(line)) engineLog.warn(fields, text);
      else if (/\bDEB\b/.test(line)) engineLog.debug(fields, text);
      else engineLog.info(fields, text);
    };
    const splitter = createLineSplitter((raw) => {
      if (raw.trim() !== '') repeats.offer(redact(raw)).forEach(emit);
    });
    out.on('data', (chunk: Buffer) => splitter.push(chunk));
    out.on('end', () => {
      splitter.end();
      repeats.flush().forEach(emit);
    });
    out.on('error', () => undefined);
  }

  async function stopChild(): Promise<void> {
    const running = service;
    service = null;
    handle = null;
    client = null;
    await running?.stop();
  }

  async function doStart(): Promise<EngineStatus> {
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
    let found = await refreshBinary();
    if (found.path === null && settings().engine.allow_download) {
      try {
        await download.ensure();
      } catch (err) {
        binary = { path: null, reason: `${found.reason.replace(/; it will be downloaded.*$/, '')}; the download failed: ${(err as Error).message}` };
        return;
      }
      found = await refreshBinary();
    }
    if (found.path === null) {
      if (missingChanged(found.reason)) log.warn({ reason: found.reason }, 'MediaMTX is missing; streaming through the engine is unavailable');
      return;
    }
    missingChanged(null);
    const s = settings();
    ports = await resolvePorts({ rtsp: s.engine.rtsp_port, hls: s.engine.hls_port, webrtc: s.engine.webrtc_port, webrtc_udp: s.engine.webrtc_udp_port, api: s.engine.api_port });
    for (const name of PORT_NAMES) {
      const p = ports[name];
      if (p.changed) log.warn({ listener: name, preferred: p.preferred, actual: p.actual }, 'preferred engine port is taken; using another');
    }
    const file = await writeMediamtxConfig(dataDir, renderMediamtxConfig({ settings: s, ports, logLevel }));
    const c = createMediamtxClient({ baseUrl: `http://127.0.0.1:${ports.api.actual}`, fetch: fetchImpl, timeoutMs: apiTimeoutMs });
    const secrets = s.lan_reader.password ? [s.lan_reader.password] : [];
    client = c;
    try {
      service = await startService({
        supervisor,
        log,
        label: 'MediaMTX',
        spec: {
          name: CHILD_NAME,
          command: found.path,
          args: [file],
          // MediaMTX resolves relative files (recordings, generated keys) against its working directory.
          cwd: dirname(file),
          restart: 'on-crash',
          stop: { signal: 'SIGTERM', timeoutMs: 5000 },
          stdout: 'pipe',
          secrets,
        },
        probe: () => c.info().then(() => undefined),
        probeName: 'GET /v3/info',
        startTimeoutMs,
        onSpawn: pipeStdout,
        onRecovered: () => (desired ? syncPaths(desired) : undefined),
        onCrash: start.crashed,
      });
    } catch (err) {
      if (!(err instanceof ServiceStartError)) throw err;
      client = null;
      start.failedToStart(err.message);
      return;
    }
    handle = service.handle;
    start.running();
    log.info({ pid: service.handle.status().pid, binary: found.path, source: found.source, ports: Object.fromEntries(PORT_NAMES.map((n) => [n, ports?.[n].actual])) }, 'MediaMTX running');
    if (desired) await syncPaths(desired);
  }

  async function doSync(): Promise<SyncResult> {
    const result: SyncResult = { added: [], replaced: [], deleted: [], errors: [], skipped: false };
    const c = client;
    const want = desired ?? new Map<string, PathConf>();
    if (!c || state() !== 'running') return { ...result, skipped: true };
    let current: Map<string, Record<string, unknown>>;
    try {
      current = new Map((await c.listPathConfigs()).map((p) => [p.name, p]));
    } catch (err) {
      result.errors.push({ path: null, error: (err as Error).message });
      lastSyncAt = new Date().toISOString();
      lastSyncErrors = 1;
      return result;
    }
    const attempt = async (path: string, op: () => Promise<void>, bucket: string[]) => {
      try {
        await op();
        bucket.push(path);
      } catch (err) {
        result.errors.push({ path, error: redactUrls((err as Error).message) });
      }
    };
    for (const [name, conf] of want) {
      const invalid = pathConfError(name, conf);
      if (invalid) {
        result.errors.push({ path: name, error: invalid });
        continue;
      }
      const have = current.get(name);
      if (!have) await attempt(name, () => c.addPath(name, conf), result.added);
      else if (!samePathConf(conf, have)) await attempt(name, () => c.replacePath(name, conf), result.replaced);
    }
    for (const name of current.keys()) {
      if (!want.has(name)) await attempt(name, () => c.deletePath(name), result.deleted);
    }
    lastSyncAt = new Date().toISOString();
    lastSyncErrors = result.errors.length;
    if (result.added.length + result.replaced.length + result.deleted.length + result.errors.length > 0) {
      log.info(
        {
          added: result.added,
          replaced: result.replaced.map((p) => ({ path: p, conf: redactPathConf(want.get(p) as PathConf) })),
          deleted: result.deleted,
          errors: result.errors,
        },
        'engine paths synced',
      );
    }
    return result;
  }

  function syncPaths(next: ReadonlyMap<string, PathConf>): Promise<SyncResult> {
    desired = new Map(next);
    return syncSerially(doSync);
  }

  const running = () => state() === 'running';
  const rtspPort = () => (handle && ports ? ports.rtsp.actual : settings().engine.rtsp_port);

  // First look at the binary, so the status says `missing` before anyone starts anything.
  void refreshBinary().catch((err: Error) => log.warn({ error: err.message }, 'could not look for the MediaMTX binary'));

  return {
    status,
    async inspect() {
      // Not behind the lifecycle queue: a status poll must not wait for a start in progress.
      if (!handle && !start.starting()) await refreshBinary();
      return status();
    },
    start: () => serially(doStart),
    async autoStart() {
      if (settings().engine.auto_start) return serially(doStart);
      await refreshBinary();
      return status();
    },
    stop: () =>
      serially(async () => {
        await stopChild();
        start.stopped();
        log.info('MediaMTX stopped');
        return status();
      }),
    restart: () =>
      serially(async () => {
        await stopChild();
        return doStart();
      }),
    async download() {
      if (!settings().engine.allow_download) {
        throw new ApiError(409, 'download_disabled', 'downloading MediaMTX is disabled; set engine.allow_download to true to allow it', 'engine.allow_download');
      }
      const rp = releasePlatform();
      if ('reason' in rp) throw new ApiError(409, 'unsupported_platform', rp.reason);
      try {
        await download.ensure();
      } catch (err) {
        const e = err as Error;
        const code = e instanceof DownloadError && e.kind === 'checksum_mismatch' ? 'checksum_mismatch' : 'download_failed';
        throw new ApiError(502, code, e.message, null, { download_error: e instanceof DownloadError ? e.kind : 'unknown' });
      }
      if (!handle) await refreshBinary();
      return status();
    },
    syncPaths,
    async readers(path) {
      const c = client;
      if (!c || !running()) return null;
      try {
        return await c.readerCount(path);
      } catch (err) {
        log.debug({ path, error: (err as Error).message }, 'reader count failed');
        return null;
      }
    },
    async videoCodec(path) {
      const c = client;
      if (!c || !running()) return 'unknown';
      try {
        const tracks = (await c.getPath(path))?.tracks2 ?? [];
        const codecs = tracks.map((t) => t.codec);
        return codecs.includes('H264') ? 'h264' : codecs.includes('H265') ? 'h265' : 'unknown';
      } catch {
        return 'unknown';
      }
    },
    internalRtspUrl: (path) => `rtsp://127.0.0.1:${rtspPort()}/${encodePathName(path)}`,
    internalHttpBase: (listener) => (handle && ports && running() ? `http://127.0.0.1:${ports[listener].actual}` : null),
    running,
    rtspPort,
  };
}
