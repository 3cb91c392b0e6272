import { dirname } from 'node:path';
import * as v from 'valibot';
import { createManagedBinary, type ManagedBinaryControls } from '../managed/managed-binary.js';
import { checkOptions, functionOption, managedOptionEntries, type ManagedBinaryOptions } from '../managed/options.js';
import { MEDIAMTX_LOOKUP, MEDIAMTX_VERSION, type BinarySource } from './binary.js';
import { createMediamtxClient, encodePathName, type MediamtxClient } from './client.js';
import { renderMediamtxConfig, writeMediamtxConfig, type WebrtcHosts } from './config.js';
import { DEFAULT_DOWNLOAD_BASE_URL, downloadMediamtx } from './download.js';
import type { PathConf } from './path-conf.js';
import { createPathSync, type PathSyncStatus, type SyncResult } from './path-sync.js';
import { PORT_NAMES, resolvePorts, takenListener, type ListenerName, type PortName, type PortPlan } from './ports.js';
import { logMediamtxStdout } from './stdout-log.js';

export type EngineState = 'missing' | 'stopped' | 'starting' | 'running' | 'crashed' | 'failed';

interface PortStatus {
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
  paths: PathSyncStatus;
  /** The extra addresses WebRTC advertises (`webrtcAdditionalHosts`) and where they came from; source null before a start. */
  webrtc: { additional_hosts: string[]; source: WebrtcHosts['source'] | null };
}

export interface EngineManagerOptions extends ManagedBinaryOptions {
  /** TOPOSYNC_STREAMING_MEDIAMTX_PATH, read by the caller. */
  mediamtxPath?: string | undefined;
  /** Asked at every start: the LAN addresses browsers reach WebRTC media at (add-on mode). Default: the machine's interfaces only. */
  webrtcHosts?: () => Promise<WebrtcHosts>;
}

/** `autoStart()` follows `settings.engine.auto_start`; a start downloads a missing binary when `engine.allow_download` is on. */
export interface EngineManager extends ManagedBinaryControls<EngineStatus> {
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
  rtspPort(): number;
}

const optionsSchema = v.object({
  ...managedOptionEntries,
  mediamtxPath: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'))),
  webrtcHosts: v.optional(functionOption<() => Promise<WebrtcHosts>>()),
});

/** Start attempts when a port is taken between the probe and MediaMTX's bind. */
const PORT_CLASH_ATTEMPTS = 3;

/**
 * Owns the MediaMTX child: finds (or downloads) the binary, picks ports, renders the config,
 * starts it through the supervisor, waits for its control API, and keeps its runtime paths in
 * sync with what the server wants (path-sync.ts), re-applying them after every restart (MediaMTX
 * forgets API-added paths when it restarts). A missing binary is a state, not an error: the rest
 * of the server keeps working.
 */
export function createEngineManager(options: EngineManagerOptions): EngineManager {
  checkOptions('createEngineManager', optionsSchema, options);
  const { dataDir, settings, logLevel } = options;
  const log = options.logger.child({ component: 'engine' });
  const engineLog = options.logger.child({ component: 'mediamtx' });
  const downloadBaseUrl = options.downloadBaseUrl ?? DEFAULT_DOWNLOAD_BASE_URL;
  const fetchImpl = options.fetch ?? fetch;
  const apiTimeoutMs = options.apiTimeoutMs ?? 2000;

  let ports: PortPlan | null = null;
  let client: MediamtxClient | null = null;
  let webrtcHosts: WebrtcHosts | null = null;
  /** Bumped at every launch: a crash of an older process must not relaunch a newer one. */
  let generation = 0;

  const core = createManagedBinary<EngineStatus>({
    lookup: MEDIAMTX_LOOKUP,
    childName: 'mediamtx',
    options,
    log,
    envPath: options.mediamtxPath,
    release: {
      allowed: () => settings().engine.allow_download,
      setting: 'engine.allow_download',
      baseUrl: downloadBaseUrl,
      fetch: (platform) => downloadMediamtx({ dataDir, platform, baseUrl: downloadBaseUrl, fetch: fetchImpl }),
      onStart: true,
    },
    missing: 'MediaMTX is missing; streaming through the engine is unavailable',
    launch: launchWithPorts,
    onStop: () => {
      client = null;
    },
    autoStart: () => settings().engine.auto_start,
    status,
  });

  const { running } = core.controls;
  const paths = createPathSync({ log, client: () => (running() ? client : null), now: options.now ?? Date.now });

  function status(): EngineStatus {
    const s = settings();
    const preferred: Record<PortName, number> = {
      rtsp: s.engine.rtsp_port,
      hls: s.engine.hls_port,
      webrtc: s.engine.webrtc_port,
      webrtc_udp: s.engine.webrtc_udp_port,
      api: s.engine.api_port,
    };
    const live = core.service() !== null && ports !== null ? ports : null;
    const portStatus = Object.fromEntries(PORT_NAMES.map((name) => [name, live ? { ...live[name] } : { preferred: preferred[name], actual: null, changed: false }])) as Record<PortName, PortStatus>;
    const parts = core.statusParts();
    return {
      state: core.state(),
      version: MEDIAMTX_VERSION,
      binary: parts.binary,
      pid: parts.pid,
      ports: portStatus,
      restarts: parts.restarts,
      last_error: parts.last_error,
      download: parts.download,
      api_url: live ? `http://127.0.0.1:${live.api.actual}` : null,
      paths: paths.status(),
      webrtc: { additional_hosts: [...(webrtcHosts?.hosts ?? [])], source: webrtcHosts?.source ?? null },
    };
  }

  /** Launches with fresh ports while another program takes one between the probe and MediaMTX's bind; then syncs the paths. */
  async function launchWithPorts(found: { path: string; source: BinarySource }): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await launch(found.path, found.source);
      if (outcome === 'running') break;
      if (outcome !== null && attempt < PORT_CLASH_ATTEMPTS) {
        log.warn({ listener: outcome }, 'an engine port was taken while MediaMTX started; picking ports again');
        continue;
      }
      return;
    }
    await paths.resync();
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
    client = c;
    const gen = ++generation;
    let taken: ListenerName | null = null;
    const service = await core.serve({
      // MediaMTX resolves relative files (recordings, generated keys) against its working directory.
      child: { command: binaryPath, args: [file], cwd: dirname(file), stdout: 'pipe', secrets: s.lan_reader.password ? [s.lan_reader.password] : [] },
      probe: () => c.info().then(() => undefined),
      probeName: 'GET /v3/info',
      onSpawn: (h) => logMediamtxStdout(h, engineLog),
      onRecovered: () => paths.resync(),
      onCrash: (message) => {
        // A bind failure is an exit with a code; a signal (the OOM killer, a kill) never is, and probing
        // the ports then could race the supervisor's quick restart.
        if (/exited \(code [1-9]/.test(message)) void relaunchIfClash(gen, plan);
      },
      explainFailure: async (message) => {
        taken = await takenListener(plan);
        return taken === null ? message : `${message}: the ${taken} port ${plan[taken].actual} is in use by another program`;
      },
    });
    if (!service) {
      client = null;
      return taken;
    }
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
    await core.serially(async () => {
      if (gen !== generation || !core.service()) return status();
      log.warn({ listener: taken, port: plan[taken].actual }, 'an engine port was taken by another program; restarting MediaMTX on other ports');
      await core.stopNow();
      return core.startNow();
    });
  }

  const rtspPort = () => (core.service() && ports ? ports.rtsp.actual : settings().engine.rtsp_port);

  return {
    ...core.controls,
    syncPaths: paths.sync,
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
    internalHttpBase: (listener) => (core.service() && ports && running() ? `http://127.0.0.1:${ports[listener].actual}` : null),
    rtspPort,
  };
}
