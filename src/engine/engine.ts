import { dirname } from 'node:path';
import type { Logger } from 'pino';
import * as v from 'valibot';
import type { StreamingSettings } from '../domain/settings.js';
import { ApiError } from '../shared/errors.js';
import { redactUrls } from '../shared/logger.js';
import { createChangeGate, createLineSplitter, createRedactor, createRepeatLimiter } from '../process/lines.js';
import { binaryStatus, createDownloadJob, createSerialQueue, createStartTracker } from '../process/lifecycle.js';
import { ServiceStartError, serviceState, startService, type Service } from '../process/service.js';
import type { ChildHandle, Supervisor } from '../process/types.js';
import { DEFAULT_BUNDLED_PATHS, MEDIAMTX_VERSION, cachedBinaryPath, executableProblem, releasePlatform, resolveBinary, type BinaryResolution, type BinarySource } from './binary.js';
import { createMediamtxClient, encodePathName, type MediamtxClient } from './client.js';
import { renderMediamtxConfig, writeMediamtxConfig, type WebrtcHosts } from './config.js';
import { DEFAULT_DOWNLOAD_BASE_URL, DownloadError, downloadMediamtx } from './download.js';
import { pathConfError, redactPathConf, samePathConf, type PathConf } from './path-conf.js';
import { PORT_NAMES, resolvePorts, takenListener, type ListenerName, type PortName, type PortPlan } from './ports.js';

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
  /** `errors`: the paths the engine refused at the last sync, with why (redacted); each is retried after a back-off. */
  paths: { desired: number; last_sync_at: string | null; last_sync_errors: number; errors: { path: string | null; error: string }[] };
  /** The extra addresses WebRTC advertises (`webrtcAdditionalHosts`) and where they came from; source null before a start. */
  webrtc: { additional_hosts: string[]; source: WebrtcHosts['source'] | null };
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
  /** Clock of the path-config back-off (tests). Default Date.now. */
  now?: () => number;
  /** Asked at every start: the LAN addresses browsers reach WebRTC media at (add-on mode). Default: the machine's interfaces only. */
  webrtcHosts?: () => Promise<WebrtcHosts>;
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
  now: v.optional(v.custom<() => number>((f) => typeof f === 'function', 'must be a function')),
  webrtcHosts: v.optional(v.custom<() => Promise<WebrtcHosts>>((f) => typeof f === 'function', 'must be a function')),
});

const CHILD_NAME = 'mediamtx';

/** A path config the engine refused is sent again after 10 s, then 20 s, ... at most every 5 min (unless it changes). */
const REFUSED_RETRY_MS = { initial: 10_000, max: 300_000 };
/** Start attempts when a port is taken between the probe and MediaMTX's bind. */
const PORT_CLASH_ATTEMPTS = 3;

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
  const now = options.now ?? Date.now;

  let binary: BinaryResolution | null = null;
  let ports: PortPlan | null = null;
  let service: Service | null = null;
  let handle: ChildHandle | null = null;
  let client: MediamtxClient | null = null;
  const start = createStartTracker({ log, label: 'MediaMTX' });
  let desired: Map<string, PathConf> | null = null;
  let lastSyncAt: string | null = null;
  let lastSyncErrors: SyncResult['errors'] = [];
  /** Path configs the engine refused: not sent again, identical, before `retryAt`. */
  const refused = new Map<string, { conf: string; error: string; attempts: number; retryAt: number }>();
  let loggedErrors = '';
  let webrtcHosts: WebrtcHosts | null = null;
  /** Bumped at every launch: a crash of an older process must not relaunch a newer one. */
  let generation = 0;

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
      paths: { desired: desired?.size ?? 0, last_sync_at: lastSyncAt, last_sync_errors: lastSyncErrors.length, errors: lastSyncErrors.map((e) => ({ ...e })) },
      webrtc: { additional_hosts: [...(webrtcHosts?.hosts ?? [])], source: webrtcHosts?.source ?? null },
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
    for (let attempt = 1; ; attempt++) {
      const outcome = await launch(found.path, found.source);
      if (outcome === 'running') break;
      if (outcome !== null && attempt < PORT_CLASH_ATTEMPTS) {
        log.warn({ listener: outcome }, 'an engine port was taken while MediaMTX started; picking ports again');
        continue;
      }
      return;
    }
    if (desired) await syncPaths(desired);
  }

  /**
   * Picks ports, renders the config and starts MediaMTX once. Resolves `running`, the listener whose
   * port someone else took meanwhile (worth another try with fresh ports), or null (failed, recorded).
   */
  async function launch(binaryPath: string, source: BinarySource): Promise<'running' | ListenerName | null> {
    const s = settings();
    const plan = await resolvePorts({ rtsp: s.engine.rtsp_port, hls: s.engine.hls_port, webrtc: s.engine.webrtc_port, webrtc_udp: s.engine.webrtc_udp_port, api: s.engine.api_port });
    ports = plan;
    for (const name of PORT_NAMES) {
      const p = plan[name];
      if (p.changed) log.warn({ listener: name, preferred: p.preferred, actual: p.actual }, 'preferred engine port is taken; using another');
    }
    webrtcHosts = await lookUpWebrtcHosts();
    const file = await writeMediamtxConfig(dataDir, renderMediamtxConfig({ settings: s, ports: plan, logLevel, webrtcHosts: webrtcHosts.hosts }));
    const c = createMediamtxClient({ baseUrl: `http://127.0.0.1:${plan.api.actual}`, fetch: fetchImpl, timeoutMs: apiTimeoutMs });
    const secrets = s.lan_reader.password ? [s.lan_reader.password] : [];
    client = c;
    const gen = ++generation;
    try {
      service = await startService({
        supervisor,
        log,
        label: 'MediaMTX',
        spec: {
          name: CHILD_NAME,
          command: binaryPath,
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
        onCrash: (message) => {
          start.crashed(message);
          // A bind failure is an exit with a code; a signal (the OOM killer, a kill) never is, and probing
          // the ports then could race the supervisor's quick restart.
          if (/exited \(code [1-9]/.test(message)) void relaunchIfClash(gen, plan);
        },
      });
    } catch (err) {
      if (!(err instanceof ServiceStartError)) throw err;
      client = null;
      const taken = await takenListener(plan);
      if (taken === null) start.failedToStart(err.message);
      else start.failedToStart(`${err.message}: the ${taken} port ${plan[taken].actual} is in use by another program`);
      return taken;
    }
    handle = service.handle;
    start.running();
    log.info({ pid: service.handle.status().pid, binary: binaryPath, source, ports: Object.fromEntries(PORT_NAMES.map((n) => [n, plan[n].actual])) }, 'MediaMTX running');
    return 'running';
  }

  /** The WebRTC hosts to advertise; a failed look-up is `unknown`, never a failed start. */
  async function lookUpWebrtcHosts(): Promise<WebrtcHosts> {
    if (!options.webrtcHosts) return { hosts: [], source: 'interfaces' };
    try {
      const found = await options.webrtcHosts();
      if (found.source === 'unknown') log.warn('no LAN address of the host is known: WebRTC from LAN browsers will not connect; set the webrtc_hosts option');
      return found;
    } catch (err) {
      log.warn({ error: (err as Error).message }, 'could not look up the LAN addresses for WebRTC');
      return { hosts: [], source: 'unknown' };
    }
  }

  /**
   * After a crash: when another program now holds one of the engine's ports, restarting the same
   * config would only crash again (MediaMTX exits when a bind fails), so the engine is started
   * afresh with new ports instead of letting the supervisor loop.
   */
  async function relaunchIfClash(gen: number, plan: PortPlan): Promise<void> {
    const taken = await takenListener(plan);
    if (taken === null) return;
    await serially(async () => {
      if (gen !== generation || !handle) return status();
      log.warn({ listener: taken, port: plan[taken].actual }, 'an engine port was taken by another program; restarting MediaMTX on other ports');
      await stopChild();
      return doStart();
    });
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
      lastSyncErrors = result.errors;
      return result;
    }
    const attempt = async (path: string, op: () => Promise<void>, bucket: string[]) => {
      try {
        await op();
        bucket.push(path);
        return null;
      } catch (err) {
        const error = redactUrls((err as Error).message);
        result.errors.push({ path, error });
        return error;
      }
    };
    for (const [name, conf] of want) {
      const invalid = pathConfError(name, conf);
      if (invalid) {
        result.errors.push({ path: name, error: invalid });
        continue;
      }
      const have = current.get(name);
      if (have && samePathConf(conf, have)) {
        refused.delete(name);
        continue;
      }
      // The same config the engine refused a moment ago would be refused again: wait out its back-off.
      const key = JSON.stringify(conf);
      const before = refused.get(name);
      if (before && before.conf === key && now() < before.retryAt) {
        result.errors.push({ path: name, error: before.error });
        continue;
      }
      const error = have ? await attempt(name, () => c.replacePath(name, conf), result.replaced) : await attempt(name, () => c.addPath(name, conf), result.added);
      if (error === null) refused.delete(name);
      else {
        const attempts = before && before.conf === key ? before.attempts + 1 : 1;
        refused.set(name, { conf: key, error, attempts, retryAt: now() + Math.min(REFUSED_RETRY_MS.max, REFUSED_RETRY_MS.initial * 2 ** (attempts - 1)) });
      }
    }
    for (const name of refused.keys()) if (!want.has(name)) refused.delete(name);
    for (const name of current.keys()) {
      if (!want.has(name)) await attempt(name, () => c.deletePath(name), result.deleted);
    }
    lastSyncAt = new Date().toISOString();
    lastSyncErrors = result.errors;
    // Errors are said when they change, not at every sync that still has them.
    const errorsKey = JSON.stringify(result.errors);
    const newErrors = errorsKey !== loggedErrors;
    loggedErrors = errorsKey;
    if (result.added.length + result.replaced.length + result.deleted.length > 0 || newErrors) {
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
