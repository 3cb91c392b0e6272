/**
 * An engine manager on the engine the engine-facing tests target (test/engines.ts: the real MediaMTX
 * when TOPOSYNC_STREAMING_MEDIAMTX_PATH names it, else the double), with free ports, a log sink and a
 * fetch that notes every control-API request. `cleanUpEngines()` after each test.
 */
import { createServer, type Server } from 'node:net';
import * as v from 'valibot';
import { streamingSettingsSchema, type StreamingSettings } from '../src/domain/settings.js';
import { createEngineManager, type EngineManager, type EngineManagerOptions } from '../src/engine/engine.js';
import { createSupervisor } from '../src/process/supervisor.js';
import type { Supervisor, Timers } from '../src/process/types.js';
import { ENGINE_BINS } from './engines.js';
import { captureLogger } from './fixtures/proc-helpers.js';
import { makeDataDir, removeDataDir } from './support/data-dir.js';
import { freePorts } from './support/ports.js';

/** A TCP listener on every interface (as MediaMTX's `:port` binds), held until the test ends. */
const held: Server[] = [];
export function holdTcp(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    held.push(s);
    s.listen({ port, exclusive: true }, () => resolve());
  });
}

export interface Env {
  dataDir: string;
  logs: string[];
  supervisor: Supervisor;
  settings: StreamingSettings;
  engine: EngineManager;
  /** Control-API requests the engine manager made (method + path), through its fetch. */
  calls: string[];
}
const envs: Env[] = [];

/** The LAN reader password of every test engine (tests check it never reaches the rendered config or the log). */
export const LAN_PASSWORD = 'lan-reader-Secret-77';

export async function setupEngine(opts: { backoffMs?: number; timers?: Timers; allowDownload?: boolean; overrides?: Partial<EngineManagerOptions> } = {}): Promise<Env> {
  const dataDir = await makeDataDir('engine-env');
  const { logger, lines: logs } = captureLogger('debug');
  const backoff = opts.backoffMs ?? 100;
  const supervisor = createSupervisor({ logger, defaults: { backoff: { initialMs: backoff, maxMs: backoff * 4 } }, ...(opts.timers ? { timers: opts.timers } : {}) });
  const [rtsp_port, hls_port, webrtc_port, webrtc_udp_port, api_port] = await freePorts(5);
  const settings = v.parse(streamingSettingsSchema, {
    engine: { rtsp_port, hls_port, webrtc_port, webrtc_udp_port, api_port, allow_download: opts.allowDownload ?? false },
    lan_reader: { username: 'homeassistant', password: LAN_PASSWORD },
  });
  const calls: string[] = [];
  const countingFetch: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    calls.push(`${init?.method ?? 'GET'} ${url.pathname}`);
    return fetch(input, init);
  };
  const engine = createEngineManager({
    supervisor,
    logger,
    dataDir,
    settings: () => settings,
    logLevel: 'info',
    mediamtxPath: ENGINE_BINS.mediamtx,
    bundledPaths: [],
    startTimeoutMs: 20_000,
    fetch: countingFetch,
    ...opts.overrides,
  });
  const env = { dataDir, logs, supervisor, settings, engine, calls };
  envs.push(env);
  return env;
}

export async function cleanUpEngines(): Promise<void> {
  for (const env of envs.splice(0)) {
    await env.engine.stop();
    await env.supervisor.stopAll();
    await removeDataDir(env.dataDir);
  }
  await Promise.all(held.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
}
