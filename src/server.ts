import type { IncomingMessage, Server } from 'node:http';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import { createApp } from './api/app.js';
import { createRequestGuard } from './api/request-guard.js';
import { jsmpegUpgradeRoute, mseUpgradeRoute } from './api/ws/media.js';
import { createUpgradeRouter, type UpgradeGate } from './api/ws/router.js';
import { writerUpgradeRoute } from './api/ws/writers.js';
import { engineRoutes } from './api/routes/engine.js';
import { hlsRoutes } from './api/routes/hls.js';
import { playbackEventRoutes } from './api/routes/events.js';
import { jsmpegRoutes } from './api/routes/jsmpeg.js';
import { peerSyncRoutes } from './api/routes/distributed.js';
import { remoteRoutes } from './api/routes/remote.js';
import { mseRoutes } from './api/routes/mse.js';
import { playbackRoutes } from './api/routes/playback.js';
import { runtimeRoutes } from './api/routes/runtime.js';
import { stillRoutes } from './api/routes/still.js';
import { webrtcRoutes } from './api/routes/webrtc.js';
import { prepareDoc } from './control/bootstrap.js';
import { createDistributedService } from './control/distributed.js';
import { createPeerSync } from './control/peer-sync.js';
import { createProbeService } from './control/probe.js';
import { addDemoOnFirstStart } from './demo/pipeline.js';
import { createDemoWriter } from './demo/writer.js';
import { engineRuntimeDir } from './engine/binary.js';
import { createEngineManager, type EngineManager } from './engine/index.js';
import type { WebrtcHosts } from './engine/config.js';
import { hostedDoc, hostingKey, type HostedDoc } from './domain/hosting.js';
import type { SettingsDoc } from './domain/settings.js';
import { createPlaybackEvents } from './playback/events.js';
import { createJsmpegSessions } from './playback/jsmpeg/sessions.js';
import { createMseRelay } from './playback/mse-relay.js';
import { createRemoteHls } from './playback/remote/hls-remote.js';
import { createPeerLinks, type PeerLinks } from './playback/remote/peer-links.js';
import { createWsBridge } from './playback/remote/ws-bridge.js';
import { createPlaybackService } from './playback/service.js';
import { createStillService } from './playback/still.js';
import type { OnvifOptions } from './onvif/service.js';
import { createMediaTokens, loadOrCreateTokenKey, type MediaTokens } from './playback/tokens.js';
import { createWebrtcOffers } from './playback/webrtc.js';
import { createSupervisor } from './process/supervisor.js';
import type { Supervisor } from './process/types.js';
import { createCameraFrames } from './runtime/camera-frames.js';
import { createOnDemandListener, onDemandHook } from './runtime/on-demand.js';
import { createDemandTracker, type DemandTracker } from './runtime/demand.js';
import { createPlaceholders } from './runtime/placeholder.js';
import { createProbeReader, probeInputDir } from './runtime/probe-reader.js';
import { createPublishers } from './runtime/publishers.js';
import { createFailureLog } from './runtime/failure-log.js';
import { createRuntime, type Runtime } from './runtime/runtime.js';
import { secretInputDir } from './runtime/secret-input.js';
import { createRuntimeService } from './runtime/service.js';
import { createRuntimeRegistry } from './runtime/transmission-state.js';
import { createWriterSocketServer } from './runtime/writer-socket.js';
import { createGo2rtcManager, type Go2rtcManager } from './sidecar/index.js';
import { loadOrCreateSecret } from './store/secrets.js';
import { openSettingsStore, type SettingsStore } from './store/settings-store.js';
import { uiRoutes, type UiOptions } from './web/ui.js';

export interface ServerOptions {
  dataDir: string;
  logger: Logger;
  logLevel: string;
  mediamtxPath?: string | undefined;
  /** Where the image bundles MediaMTX; tests pass [] so only `mediamtxPath` counts. */
  mediamtxBundledPaths?: string[];
  go2rtcPath?: string | undefined;
  go2rtcBundledPaths?: string[];
  ffmpegPath?: string;
  /** Default: `ffprobe` beside `ffmpegPath` (the same name with `ffmpeg` replaced). */
  ffprobePath?: string;
  tickMs?: number;
  /** Start the engine and the MSE sidecar when settings say so. Default true. */
  autoStartEngine?: boolean;
  /** Low-rate camera decoding for stills and freshness (a fallback session raises it to its own fps). */
  cameraFrames?: { fps: number; maxWidth: number };
  /** How long one player heartbeat keeps demand alive. Default 30 s. */
  heartbeatTtlMs?: number;
  /** The demo stream: added on the first start (no settings yet) and fed on demand. Default true. */
  demo?: boolean;
  /** The ingress panel's bundle. */
  ui?: UiOptions;
  /** Frames going into an encoder (publisher, JSMpeg session) with no output for this long is a stall. Default 5 s (OUTPUT_STALL_MS). */
  outputStallMs?: number;
  /** What a host platform adds (src/addon/ for Home Assistant); the core runs without one. */
  integration?: Integration;
  /** Host names answered besides loopback names and IP literals (DNS rebinding guard); 'any' when a platform's proxy chooses them. */
  allowedHosts?: readonly string[] | 'any';
  /** Camera source probes: `auto` probes each source a save leaves without facts (added, or a new URL) in the background. Default off (tests create cameras at addresses nothing may connect to); the entry turns it on. */
  probe?: { auto: boolean };
  /** ONVIF discovery target and camera request timeout (tests aim discovery at a loopback responder). */
  onvif?: OnvifOptions;
  /** How often this server pulls, from each peer, what it hosts for it (default 30 s; a notification pulls at once). */
  peerPollMs?: number;
  /** Calls to the hosts of this server's transmissions: timeout, and how often a host that is down is tried again (defaults 3 s, 2 s). */
  peerLinks?: { timeoutMs?: number; retryMs?: number; checkMs?: number };
}

/** What the core lends an integration once its services exist. */
export interface IntegrationCore {
  store: SettingsStore;
  tokens: MediaTokens;
  rtspPort: () => number;
  logger: Logger;
  /** The hosts of the transmissions a peer hosts (Home Assistant entities of those read the host or a relay here). */
  remote: Pick<PeerLinks, 'hostOf' | 'resolve'>;
}

/**
 * A platform the server runs inside (Home Assistant's add-on), plugged in from outside: the core
 * calls these hooks and never learns what the platform is.
 */
export interface Integration {
  /** Laid over the stored settings at every start, after the generated secrets (the platform's options win). */
  overlay?(doc: SettingsDoc, generated: { readerPassword: string }): SettingsDoc;
  /** Asked at each engine start: where LAN browsers reach WebRTC media. */
  webrtcHosts?(): Promise<WebrtcHosts>;
  /** Built once the core services exist. */
  extend?(core: IntegrationCore): IntegrationParts;
}

export interface IntegrationParts {
  /** Mounted under /api/streams. */
  routes?: Hono;
  /** Proxies whose X-Forwarded-Host the request guard takes as the page's own origin. */
  ingressPeers?: readonly string[];
  /** For the writer API: an upgrade the platform's proxy vouched for needs no token. */
  isTrustedUpgrade?(req: IncomingMessage): boolean;
}

export interface StreamingServer {
  app: ReturnType<typeof createApp>;
  store: SettingsStore;
  supervisor: Supervisor;
  engine: EngineManager;
  sidecar: Go2rtcManager;
  runtime: Runtime;
  demand: DemandTracker;
  /** Hooks the WebSocket endpoints (writers, MSE, JSMpeg) onto the HTTP server, behind the port's upgrade gate. */
  attach(server: Server, gate?: UpgradeGate | null): void;
  /** Stops the runtime, every child process and the store; nothing is left running. */
  stop(): Promise<void>;
}

/** `/usr/bin/ffmpeg` → `/usr/bin/ffprobe`; a build named otherwise leaves ffprobe to the PATH. */
const ffprobeBeside = (ffmpegPath: string) => (/ffmpeg[^/]*$/.test(ffmpegPath) ? ffmpegPath.replace(/ffmpeg(?=[^/]*$)/, 'ffprobe') : 'ffprobe');

/** The composition root: every service built once, with its options checked at start-up. */
export async function createStreamingServer(opts: ServerOptions): Promise<StreamingServer> {
  const { logger, dataDir } = opts;
  const ffmpegPath = opts.ffmpegPath ?? 'ffmpeg';
  const store = await openSettingsStore({ dataDir, logger });
  // The add-on options win over stored settings at every start (applied after the generated secrets).
  const readerPassword = (await loadOrCreateSecret(dataDir, 'rtsp-reader.password', 18)).toString('base64url');
  const overlay = opts.integration?.overlay ?? ((d: SettingsDoc) => d);
  await store.update((draft) => Object.assign(draft, overlay(prepareDoc(draft), { readerPassword })));
  if (opts.demo ?? true) await addDemoOnFirstStart(store, logger);
  const settings = () => store.get().streaming;
  const peerSync = createPeerSync({ store, dataDir, logger, ...(opts.peerPollMs === undefined ? {} : { pollMs: opts.peerPollMs }), onChange: () => void runtime.tick() });
  // What runs here: the transmissions this server hosts, its own and its peers'; rebuilt only when one of them changed.
  let hostedMemo: HostedDoc | null = null;
  const hosted = (): HostedDoc => {
    const pulled = peerSync.pulled();
    if (hostedMemo?.hosting_key !== hostingKey(store.get(), pulled)) hostedMemo = hostedDoc(store.get(), pulled);
    return hostedMemo;
  };
  const doc = hosted;
  const links = createPeerLinks({ store, logger, ...opts.peerLinks });

  const supervisor = createSupervisor({ logger });
  const engine = createEngineManager({
    supervisor,
    logger,
    dataDir,
    settings,
    logLevel: opts.logLevel,
    mediamtxPath: opts.mediamtxPath,
    ...(opts.mediamtxBundledPaths ? { bundledPaths: opts.mediamtxBundledPaths } : {}),
    ...(opts.integration?.webrtcHosts ? { webrtcHosts: opts.integration.webrtcHosts } : {}),
  });
  const registry = createRuntimeRegistry({ stickyWindowMs: settings().writers.sticky_window_ms, staleAfterMs: settings().writers.stale_after_ms });
  const placeholders = createPlaceholders({ supervisor, ffmpegPath, logger });
  const demand = createDemandTracker({ heartbeatTtlMs: opts.heartbeatTtlMs ?? 30_000, now: Date.now });
  const tokens = createMediaTokens({ key: await loadOrCreateTokenKey(dataDir) });
  const stall = opts.outputStallMs === undefined ? {} : { outputStallMs: opts.outputStallMs };
  const publishers = createPublishers({ supervisor, logger, ffmpegPath, registry, placeholders, internalUrl: (p) => engine.internalRtspUrl(p), ...stall });
  const frames = createCameraFrames({ supervisor, logger, ffmpegPath, registry, secretDir: secretInputDir(dataDir), ...(opts.cameraFrames ?? { fps: 2, maxWidth: 1280 }) });
  const jsmpeg = createJsmpegSessions({ supervisor, logger, ffmpegPath, registry, demand, placeholders, doc, ...stall });
  // RTSP readers (Home Assistant, VLC) start publishers through MediaMTX's runOnDemand hook.
  const onDemand = createOnDemandListener({
    dir: engineRuntimeDir(dataDir),
    logger,
    acquire: (path) => {
      const out = runtime.plan().outputs.find((o) => o.path === path);
      if (!out) return null;
      const release = demand.acquire({ transmission: out.transmission_id, output: out.output_id }, { frames: false });
      void runtime.tick(); // the reader is held by the engine meanwhile: start the publisher now
      return release;
    },
  });
  const onDemandCommand = await onDemand.start();
  const runtime = createRuntime({
    onDemand: () => onDemandHook(onDemandCommand),
    store,
    hosted,
    // RTSP readers that cannot reach a loopback peer read what it hosts through this server's engine.
    extraPaths: links.relays,
    engine,
    demand,
    publishers,
    frames,
    logger,
    tickMs: opts.tickMs ?? 1000,
    // A fallback session shows camera frames at its own rate; stills need only a few a second.
    framesFps: (read) => (read.transmission_ids.some((tx) => jsmpeg.count(tx) > 0) ? settings().jsmpeg.fps : undefined),
  });
  // The demo renders while its transmission has demand as the API reports it: heartbeats, primes, consumers, engine readers.
  const demo = (opts.demo ?? true) ? createDemoWriter({ supervisor, logger, ffmpegPath, registry, doc, wanted: (tx) => runtimeService.demand(tx).has_demand }) : null;
  const sidecar = createGo2rtcManager({
    supervisor,
    logger,
    dataDir,
    settings,
    rtspPort: () => engine.rtspPort(),
    logLevel: opts.logLevel,
    go2rtcPath: opts.go2rtcPath,
    ...(opts.go2rtcBundledPaths ? { bundledPaths: opts.go2rtcBundledPaths } : {}),
  });
  const lookup = (path: string) => runtime.plan().outputs.find((o) => o.path === path) ?? null;
  const mse = createMseRelay({ sidecar, lookup, logger, enabled: () => settings().mse.enabled, acquire: (tx) => demand.acquire(tx, { frames: false }) });
  const still = createStillService({ doc, registry, demand, supervisor, placeholders, plan: () => runtime.plan(), engine, ffmpegPath, logger, ...(demo ? { framesOnDemand: demo.feeds } : {}) });
  const offers = createWebrtcOffers({ doc, engine, logger });
  const probeReader = createProbeReader({
    supervisor,
    ffprobePath: opts.ffprobePath ?? ffprobeBeside(ffmpegPath),
    secretDir: probeInputDir(dataDir),
    engine: { running: () => engine.running(), internalRtspUrl: (p) => engine.internalRtspUrl(p) },
    plan: () => runtime.plan(),
    synced: () => runtime.tick(),
  });
  const probes = createProbeService({ store, read: probeReader.read, auto: opts.probe?.auto ?? false, logger });
  const events = createPlaybackEvents();
  const distributed = createDistributedService(store);
  const followFailures = createFailureLog(logger, 'settings follower');
  const runtimeService = createRuntimeService({
    store,
    runtime,
    demand,
    registry,
    publishers,
    frames,
    supervisor,
    engine: () => engine.status(),
    loops: { settings_follow: followFailures.current },
    jsmpegSessions: () => jsmpeg.sessions(),
    hosted,
    hostUnreachable: links.unreachable,
  });
  const playback = createPlaybackService({
    store,
    engine,
    tokens,
    sidecarState: () => sidecar.status().state,
    jsmpegSessions: (tx) => ({ total: jsmpeg.count(), transmission: jsmpeg.count(tx) }),
    hosted,
    remote: links,
  });
  const parts = opts.integration?.extend?.({ store, tokens, rtspPort: () => engine.rtspPort(), logger, remote: links }) ?? {};
  const writers = createWriterSocketServer({
    registry,
    logger,
    transmissionExists: (id) => {
      const t = hosted().transmissions.find((x) => x.id === id);
      return t ? { exists: true, input: t.input, enabled: t.enabled } : { exists: false };
    },
  });
  const guard = createRequestGuard({
    allowedHosts: opts.allowedHosts ?? [],
    ingressPeers: parts.ingressPeers ?? [],
  });
  const writersRoute = writerUpgradeRoute({ writers, apiToken: () => settings().api_token, isTrustedIngress: parts.isTrustedUpgrade ?? (() => false) });
  // A transmission a peer hosts: its media sockets are bridged to the host, its HLS fetched from it.
  const bridge = { isRemote: links.isRemote, ...createWsBridge({ links, logger }) };
  const mseRoute = mseUpgradeRoute({ relay: mse, tokens, remote: bridge });
  const jsmpegRoute = jsmpegUpgradeRoute({ sessions: jsmpeg, tokens, remote: bridge });
  const upgrades = createUpgradeRouter({ logger, guard, routes: [writersRoute, mseRoute, jsmpegRoute] });

  const app = createApp({
    store,
    logger,
    guard,
    onWrite: () => {
      void runtime.tick();
      peerSync.notifyPeers();
    },
    probes,
    onvif: opts.onvif ?? {},
    mount: [
      // First: a transmission a peer hosts is answered by that peer.
      ['/api/streams', remoteRoutes(links)],
      ['/api/streams', engineRoutes(engine)],
      ['/api/streams', mseRoutes(sidecar)],
      [
        '/api/streams',
        runtimeRoutes(runtimeService, () => ({ playback_events: events.summary(), jsmpeg: { count: jsmpeg.count(), counters: jsmpeg.counters }, still: still.counters, mse: mse.stats() })),
      ],
      ['/api/streams', playbackRoutes(playback, distributed.peerSecret)],
      ['/api/streams', stillRoutes(still)],
      ['/api/streams', webrtcRoutes(offers)],
      ['/api/streams', playbackEventRoutes(events)],
      ['/api/streams', jsmpegRoutes(jsmpeg)],
      ['/api/streams', peerSyncRoutes(peerSync, distributed, () => ({ hosts: links.status(), conflicts: hosted().conflicts }))],
      ...(parts.routes ? [['/api/streams', parts.routes] as const] : []),
      ['/', hlsRoutes({ tokens, engine, outputs: () => runtime.plan().outputs, logger, remote: { isRemote: links.isRemote, ...createRemoteHls({ links }) } })],
      ['/', uiRoutes(opts.ui)],
    ],
  });

  // Settings and the plan change through the API; these follow them once a second (cheap when nothing changed).
  let lastWriters = '';
  // A run that throws must not end the process (a timer's exception would): it is reported, and the next run tries again.
  const follow = () => {
    try {
      const w = settings().writers;
      const key = `${w.sticky_window_ms}:${w.stale_after_ms}`;
      if (key !== lastWriters) registry.configure({ stickyWindowMs: w.sticky_window_ms, staleAfterMs: w.stale_after_ms });
      lastWriters = key;
      void sidecar
        .applySettings()
        .then(() => sidecar.syncStreams(runtime.plan().outputs.map((o) => o.path)))
        .then(followFailures.ok, followFailures.fail);
    } catch (err) {
      followFailures.fail(err);
    }
  };
  const followTimer = setInterval(follow, 1000);

  if (opts.autoStartEngine ?? true) await engine.autoStart();
  await sidecar.syncStreams(runtime.plan().outputs.map((o) => o.path));
  if (opts.autoStartEngine ?? true) await sidecar.autoStart();
  follow();
  runtime.start();
  probes.unprobed();
  // Not awaited: a peer that is down must not hold the start (each pull is bounded and retried by the poll).
  void peerSync.start();
  links.start();
  demo?.start();

  return {
    app,
    store,
    supervisor,
    engine,
    sidecar,
    runtime,
    demand,
    attach(server, gate) {
      server.on('upgrade', (req, socket, head) => {
        if (!upgrades.handle(req, socket, head, gate)) socket.destroy();
      });
    },
    async stop() {
      clearInterval(followTimer);
      peerSync.stop();
      links.close();
      await runtime.stop();
      await onDemand.close();
      await Promise.all([writers.close(), mse.close(), jsmpeg.close(), demo?.close()]);
      await sidecar.stop();
      await engine.stop();
      await supervisor.stopAll();
      await store.close();
    },
  };
}
