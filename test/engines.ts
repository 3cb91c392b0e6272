/**
 * The engines the engine-facing tests run against: the real MediaMTX / go2rtc binaries when
 * TOPOSYNC_STREAMING_MEDIAMTX_PATH / TOPOSYNC_STREAMING_GO2RTC_PATH name them (`npm run test:engines`
 * on a machine that built them), else the project's doubles (CI). One place decides, so every suite
 * runs unchanged against either target.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import { streamingSettingsSchema } from '../src/domain/settings.js';
import { createEngineManager, type EngineManager } from '../src/engine/engine.js';
import { createLogger } from '../src/logger.js';
import { createSupervisor } from '../src/process/supervisor.js';
import { freeTcpPort } from './media/proc.js';
import { DOUBLE_BIN as GO2RTC_DOUBLE } from './doubles/go2rtc/release.js';
import { DOUBLE_BIN as MEDIAMTX_DOUBLE, makeReleaseTarball } from './doubles/mediamtx/release.js';

const realMediamtx = process.env.TOPOSYNC_STREAMING_MEDIAMTX_PATH || null;
const realGo2rtc = process.env.TOPOSYNC_STREAMING_GO2RTC_PATH || null;

export const ENGINE_BINS = {
  mediamtx: realMediamtx ?? MEDIAMTX_DOUBLE,
  go2rtc: realGo2rtc ?? GO2RTC_DOUBLE,
} as const;

/** Which target this run has: a test that reads a double's own log or knobs can only run against the double. */
export const REAL_ENGINES = { mediamtx: realMediamtx !== null, go2rtc: realGo2rtc !== null } as const;

/** Label for test titles and printed figures. */
export const engineTarget = (which: keyof typeof REAL_ENGINES): string => (REAL_ENGINES[which] ? `real ${which}` : `${which} double`);

/** A MediaMTX release tarball (the layout downloads unpack) whose `mediamtx` execs this run's engine. */
export const mediamtxReleaseTarball = (): Promise<Buffer> =>
  makeReleaseTarball({
    mediamtx: { content: `#!/bin/sh\nexec "${ENGINE_BINS.mediamtx}" "$@"\n`, mode: 0o755 },
    'mediamtx.yml': { content: 'api: false\n' },
    LICENSE: { content: 'MIT\n' },
  });

/** A go2rtc release asset (a bare executable) that execs this run's go2rtc. */
export const go2rtcReleaseAsset = (): Buffer => Buffer.from(`#!/bin/sh\nexec "${ENGINE_BINS.go2rtc}" "$@"\n`);

export interface TestEngine {
  engine: EngineManager;
  /** The control API, `http://127.0.0.1:<port>`. */
  apiUrl: string;
  close(): Promise<void>;
}

/** This run's MediaMTX under a supervisor over a fresh data directory, every listener on a free port. */
export async function startTestEngine(): Promise<TestEngine> {
  const dataDir = await mkdtemp(join(tmpdir(), 'test-engine-'));
  const logger = createLogger('silent');
  const supervisor = createSupervisor({ logger });
  const settings = v.parse(streamingSettingsSchema, {
    engine: { rtsp_port: await freeTcpPort(), hls_port: await freeTcpPort(), webrtc_port: await freeTcpPort(), webrtc_udp_port: await freeTcpPort(), api_port: await freeTcpPort() },
  });
  const engine = createEngineManager({ supervisor, logger, dataDir, settings: () => settings, logLevel: 'info', mediamtxPath: ENGINE_BINS.mediamtx, bundledPaths: [], startTimeoutMs: 20_000 });
  const status = await engine.start();
  const close = async () => {
    await engine.stop();
    await supervisor.stopAll();
    await rm(dataDir, { recursive: true, force: true });
  };
  if (!status.api_url) {
    await close();
    throw new Error(`${engineTarget('mediamtx')} did not start: ${status.state} ${status.last_error ?? status.binary.reason ?? ''}`);
  }
  return { engine, apiUrl: status.api_url, close };
}
