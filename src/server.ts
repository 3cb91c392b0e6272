import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { createApp } from './api/app.js';
import { engineRoutes } from './api/routes/engine.js';
import { runtimeRoutes } from './api/routes/runtime.js';
import { prepareDoc } from './control/bootstrap.js';
import { createEngineManager, type EngineManager } from './engine/index.js';
import { createSupervisor } from './process/supervisor.js';
import type { Supervisor } from './process/types.js';
import { createCameraFrames } from './runtime/camera-frames.js';
import { createDemandTracker, type DemandTracker } from './runtime/demand.js';
import { createPlaceholders } from './runtime/placeholder.js';
import { createPublishers } from './runtime/publishers.js';
import { createRuntime, type Runtime } from './runtime/runtime.js';
import { createRuntimeService } from './runtime/service.js';
import { createRuntimeRegistry } from './runtime/transmission-state.js';
import { createWriterSocketServer } from './runtime/writer-socket.js';
import { openSettingsStore, type SettingsStore } from './store/settings-store.js';

export interface ServerOptions {
  dataDir: string;
  logger: Logger;
  logLevel: string;
  mediamtxPath?: string | undefined;
  /** Where the image bundles MediaMTX; tests pass [] so only `mediamtxPath` counts. */
  mediamtxBundledPaths?: string[];
  ffmpegPath?: string;
  tickMs?: number;
  /** Start the engine when settings say `auto_start`. Default true. */
  autoStartEngine?: boolean;
  /** Low-rate camera decoding for stills, fallback sessions and freshness. */
  cameraFrames?: { fps: number; maxWidth: number };
  /** How long one player heartbeat keeps demand alive. Default 30 s. */
  heartbeatTtlMs?: number;
}

export interface StreamingServer {
  app: ReturnType<typeof createApp>;
  store: SettingsStore;
  supervisor: Supervisor;
  engine: EngineManager;
  runtime: Runtime;
  demand: DemandTracker;
  /** Hooks the WebSocket endpoints onto the HTTP server. */
  attach(server: Server): void;
  /** Stops the runtime, every child process and the store; nothing is left running. */
  stop(): Promise<void>;
}

/** The composition root: every service built once, with its options checked at start-up. */
export async function createStreamingServer(opts: ServerOptions): Promise<StreamingServer> {
  const { logger, dataDir } = opts;
  const ffmpegPath = opts.ffmpegPath ?? 'ffmpeg';
  const store = await openSettingsStore({ dataDir, logger });
  await store.update((draft) => Object.assign(draft, prepareDoc(draft)));
  const settings = () => store.get().streaming;

  const supervisor = createSupervisor({ logger });
  const engine = createEngineManager({
    supervisor,
    logger,
    dataDir,
    settings,
    logLevel: opts.logLevel,
    mediamtxPath: opts.mediamtxPath,
    ...(opts.mediamtxBundledPaths ? { bundledPaths: opts.mediamtxBundledPaths } : {}),
  });
  const registry = createRuntimeRegistry({ stickyWindowMs: settings().writers.sticky_window_ms, staleAfterMs: settings().writers.stale_after_ms });
  const placeholders = createPlaceholders({ supervisor, ffmpegPath, logger });
  const demand = createDemandTracker({ heartbeatTtlMs: opts.heartbeatTtlMs ?? 30_000, now: Date.now });
  const publishers = createPublishers({ supervisor, logger, ffmpegPath, registry, placeholders, internalUrl: (p) => engine.internalRtspUrl(p) });
  const frames = createCameraFrames({ supervisor, logger, ffmpegPath, registry, ...(opts.cameraFrames ?? { fps: 2, maxWidth: 1280 }) });
  const runtime = createRuntime({ store, engine, demand, publishers, frames, logger, tickMs: opts.tickMs ?? 1000 });
  const service = createRuntimeService({ store, runtime, demand, registry, publishers, frames, supervisor, engine: () => engine.status() });
  const writers = createWriterSocketServer({
    registry,
    logger,
    apiToken: () => settings().api_token,
    transmissionExists: (id) => {
      const t = store.get().transmissions.find((x) => x.id === id);
      return t ? { exists: true, input: t.input, enabled: t.enabled } : { exists: false };
    },
  });

  const app = createApp({
    store,
    logger,
    mount: [
      ['/api/streams', engineRoutes(engine)],
      ['/api/streams', runtimeRoutes(service)],
    ],
  });

  let lastWriters = '';
  const applySettings = () => {
    const w = settings().writers;
    const key = `${w.sticky_window_ms}:${w.stale_after_ms}`;
    if (key !== lastWriters) registry.configure({ stickyWindowMs: w.sticky_window_ms, staleAfterMs: w.stale_after_ms });
    lastWriters = key;
  };
  const settingsTimer = setInterval(applySettings, 1000);
  applySettings();

  if (opts.autoStartEngine ?? true) await engine.autoStart();
  runtime.start();

  return {
    app,
    store,
    supervisor,
    engine,
    runtime,
    demand,
    attach(server) {
      server.on('upgrade', (req, socket, head) => {
        if (!writers.handleUpgrade(req, socket, head)) socket.destroy();
      });
    },
    async stop() {
      clearInterval(settingsTimer);
      await runtime.stop();
      await writers.close();
      await engine.stop();
      await supervisor.stopAll();
      await store.close();
    },
  };
}
