import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamingSettingsSchema, type StreamingSettings } from '../domain/settings.js';
import { ApiError } from '../shared/errors.js';
import { createSupervisor } from '../process/supervisor.js';
import type { Supervisor } from '../process/types.js';
import { sha256hex, startReleaseServer, type ReleaseServer } from '../../test/doubles/mediamtx/release.js';
import type { Violation } from '../../test/doubles/go2rtc/server.js';
import { ENGINE_BINS, REAL_ENGINES, engineTarget, go2rtcReleaseAsset } from '../../test/engines.js';
import { mseRoutes } from '../api/routes/mse.js';
import { cachedGo2rtcPath, go2rtcPlatform, isTestedGo2rtcVersion, resolveGo2rtcBinary } from './binary.js';
import { go2rtcAssetName } from './download.js';
import { createGo2rtcManager, type Go2rtcManager, type Go2rtcManagerOptions } from './manager.js';
import { GO2RTC_SHA256 } from './pins.js';
import { captureLogger } from '../../test/fixtures/proc-helpers.js';
import { freePort } from '../../test/support/ports.js';
import { waitFor } from '../../test/support/wait.js';
import { onApiError } from '../api/errors.js';

const PLATFORM = (() => {
  const p = go2rtcPlatform();
  return 'platform' in p ? p.platform : 'linux_amd64';
})();

interface Env {
  dataDir: string;
  logs: string[];
  supervisor: Supervisor;
  settings: StreamingSettings;
  sidecar: Go2rtcManager;
  rtsp: { port: number };
}

async function setup(overrides: Partial<Go2rtcManagerOptions> = {}, mse: { enabled?: boolean; allow_download?: boolean } = {}): Promise<Env> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sidecar-'));
  const { logger, lines: logs } = captureLogger('debug');
  const supervisor = createSupervisor({ logger, defaults: { backoff: { initialMs: 100, maxMs: 400 } } });
  const settings = v.parse(streamingSettingsSchema, { mse: { enabled: mse.enabled ?? true, allow_download: mse.allow_download ?? false } });
  const rtsp = { port: 18554 };
  const sidecar = createGo2rtcManager({
    supervisor,
    logger,
    dataDir,
    settings: () => settings,
    rtspPort: () => rtsp.port,
    logLevel: 'info',
    go2rtcPath: ENGINE_BINS.go2rtc,
    bundledPaths: [],
    apiPort: await freePort(),
    startTimeoutMs: 20_000,
    ...overrides,
  });
  return { dataDir, logs, supervisor, settings, sidecar, rtsp };
}

async function teardown(env: Env | undefined) {
  if (!env) return;
  await env.sidecar.stop();
  await env.supervisor.stopAll();
  await rm(env.dataDir, { recursive: true, force: true });
}

const api = async <T>(env: Env, path: string): Promise<T> => {
  const base = env.sidecar.status().api_url;
  if (!base) throw new Error('go2rtc not running');
  return (await (await fetch(`${base}${path}`)).json()) as T;
};
/** Double only: the double's record of contract violations (the real go2rtc keeps none; against it this checks nothing). */
const doubleViolations = async (env: Env): Promise<Violation[]> => (REAL_ENGINES.go2rtc ? [] : api<Violation[]>(env, '/_double/violations'));

describe('go2rtc binary resolution', () => {
  it('is missing with a reason naming every place looked at', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sidecar-bin-'));
    try {
      const none = await resolveGo2rtcBinary({ dataDir, bundledPaths: ['/nonexistent/go2rtc'], allowDownload: false });
      expect(none.path).toBeNull();
      expect('reason' in none && none.reason).toMatch(/go2rtc v1\.9\.14 is not bundled and not in the cache; downloading is disabled \(settings streaming\.mse\.allow_download=false\)/);
      const allowed = await resolveGo2rtcBinary({ dataDir, bundledPaths: [], allowDownload: true });
      expect('reason' in allowed && allowed.reason).toMatch(/POST \/api\/streams\/mse\/download/);
      const wrongEnv = await resolveGo2rtcBinary({ dataDir, envPath: join(dataDir, 'nope'), allowDownload: false });
      expect('reason' in wrongEnv && wrongEnv.reason).toBe(`TOPOSYNC_STREAMING_GO2RTC_PATH points to ${join(dataDir, 'nope')}, which does not exist`);
      const notExec = join(dataDir, 'go2rtc');
      await writeFile(notExec, '#!/bin/sh\n', { mode: 0o644 });
      const bad = await resolveGo2rtcBinary({ dataDir, bundledPaths: [notExec], allowDownload: false });
      expect('reason' in bad && bad.reason).toContain(`${notExec} is not executable`);
      const other = await resolveGo2rtcBinary({ dataDir, bundledPaths: [], allowDownload: false, platform: 'darwin', arch: 'arm64' });
      expect('reason' in other && other.reason).toMatch(/Linux only/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('prefers the env path, then the image path, then the cache', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sidecar-bin-'));
    try {
      const cached = cachedGo2rtcPath(dataDir, PLATFORM);
      expect(cached).toBe(join(dataDir, 'runtime', 'streaming', 'go2rtc-bin', 'v1.9.14', PLATFORM, 'go2rtc'));
      await mkdir(join(cached, '..'), { recursive: true });
      await writeFile(cached, '#!/bin/sh\n', { mode: 0o755 });
      expect(await resolveGo2rtcBinary({ dataDir, bundledPaths: ['/nonexistent'], allowDownload: false })).toEqual({ path: cached, source: 'cache' });
      expect(await resolveGo2rtcBinary({ dataDir, bundledPaths: [ENGINE_BINS.go2rtc], allowDownload: false })).toEqual({ path: ENGINE_BINS.go2rtc, source: 'bundled' });
      expect(await resolveGo2rtcBinary({ dataDir, envPath: ENGINE_BINS.go2rtc, bundledPaths: [cached], allowDownload: false })).toEqual({ path: ENGINE_BINS.go2rtc, source: 'env' });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('go2rtc download', () => {
  const goodAsset = go2rtcReleaseAsset();
  let release: ReleaseServer;
  beforeAll(async () => {
    release = await startReleaseServer({ [`v1.9.14/${go2rtcAssetName(PLATFORM)}`]: goodAsset });
  });
  afterAll(async () => {
    await release.close();
  });

  it('refuses when not allowed (409 naming mse.allow_download)', async () => {
    const env = await setup({ downloadBaseUrl: release.baseUrl }, { allow_download: false });
    try {
      const err = await env.sidecar.download().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({ status: 409, code: 'download_disabled', field: 'mse.allow_download' });
    } finally {
      await teardown(env);
    }
  });

  it('refuses before any request while this build has no pinned SHA-256', async () => {
    expect(GO2RTC_SHA256[PLATFORM]).toBeNull();
    const env = await setup({ go2rtcPath: undefined, downloadBaseUrl: release.baseUrl }, { allow_download: true });
    try {
      const hits = release.hits.length;
      const err = await env.sidecar.download().catch((e: unknown) => e);
      expect(err).toMatchObject({ status: 409, code: 'checksum_not_pinned' });
      expect((err as Error).message).toMatch(/no SHA-256 is pinned for go2rtc_linux_(amd|arm)64 v1\.9\.14.*refusing to install an unverified binary/);
      expect(release.hits.length).toBe(hits);
      expect(env.sidecar.status().download).toMatchObject({ allowed: true, pinned: false, in_progress: false });
    } finally {
      await teardown(env);
    }
  });

  it('refuses an asset whose SHA-256 does not match the pin, and leaves nothing behind', async () => {
    const env = await setup(
      { go2rtcPath: undefined, downloadBaseUrl: release.baseUrl, downloadPins: { linux_amd64: sha256hex('something else'), linux_arm64: sha256hex('something else') } },
      { allow_download: true },
    );
    try {
      const err = await env.sidecar.download().catch((e: unknown) => e);
      expect(err).toMatchObject({ status: 502, code: 'checksum_mismatch' });
      expect((err as Error).message).toContain(`SHA-256 of ${go2rtcAssetName(PLATFORM)} (${goodAsset.length} bytes) is ${sha256hex(goodAsset)}`);
      expect(release.hits).toContain(`v1.9.14/${go2rtcAssetName(PLATFORM)}`);
      const cacheDir = join(env.dataDir, 'runtime', 'streaming', 'go2rtc-bin', 'v1.9.14');
      expect(await readdir(cacheDir)).toEqual([]);
      expect((await env.sidecar.inspect()).state).toBe('missing');
      expect(env.sidecar.status().download.last_error).toMatch(/refusing to install it/);
    } finally {
      await teardown(env);
    }
  });

  it('installs the asset with the injected pin, and the downloaded binary runs', async () => {
    const pin = sha256hex(goodAsset);
    const env = await setup({ go2rtcPath: undefined, downloadBaseUrl: release.baseUrl, downloadPins: { linux_amd64: pin, linux_arm64: pin } }, { allow_download: true });
    try {
      expect((await env.sidecar.inspect()).state).toBe('missing');
      const st = await env.sidecar.download();
      const cached = cachedGo2rtcPath(env.dataDir, PLATFORM);
      expect(st.binary).toEqual({ path: cached, source: 'cache', reason: null });
      expect(await readFile(cached)).toEqual(goodAsset);
      expect(await readdir(join(cached, '..', '..'))).toEqual([PLATFORM]);
      const started = await env.sidecar.start();
      expect(started.state).toBe('running');
      expect(isTestedGo2rtcVersion(started.running_version ?? '')).toBe(true);
    } finally {
      await teardown(env);
    }
  });
});

describe(`go2rtc manager with the ${engineTarget('go2rtc')} under the supervisor`, () => {
  let env: Env;
  beforeAll(async () => {
    env = await setup();
  });
  afterAll(async () => {
    await teardown(env);
  });

  it('starts through the supervisor as `go2rtc -config <file>` and waits for GET /api', async () => {
    await env.sidecar.syncStreams(['cam/front/main', 'cam/front/sub']);
    const st = await env.sidecar.start();
    expect(st).toMatchObject({
      state: 'running',
      version: 'v1.9.14',
      running_version: expect.stringMatching(/^1\.9\.14/),
      binary: { path: ENGINE_BINS.go2rtc, source: 'env', reason: null },
      restarts: 0,
      last_error: null,
    });
    // What this go2rtc reports (a source build says `1.9.14+dev.`) is the release this server is tested with: no warning.
    expect(env.logs.join('\n')).not.toContain('another version');
    expect(st.pid).toEqual(expect.any(Number));
    expect(st.api_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(st.streams).toEqual({ desired: 2, configured: 2, restart_pending: false });
    expect(env.supervisor.count('go2rtc')).toBe(1);
    expect(env.supervisor.get('go2rtc')?.status().pid).toBe(st.pid);
    const info = await api<{ version: string; config_path: string }>(env, '/api');
    expect(info.config_path).toBe(join(env.dataDir, 'runtime', 'streaming', 'go2rtc', 'go2rtc.yaml'));
    expect(Object.keys(await api<Record<string, unknown>>(env, '/api/streams')).sort()).toEqual(['cam~front~main', 'cam~front~sub']);
    expect(env.sidecar.running()).toBe(true);
    expect(env.sidecar.wsUrl('cam/front/main')).toBe(`ws://127.0.0.1:${new URL(st.api_url!).port}/api/ws?src=cam~front~main`);
    expect(env.sidecar.wsUrl('cam/other')).toBeNull();
    expect(await env.sidecar.start()).toMatchObject({ state: 'running', pid: st.pid });
    expect(await doubleViolations(env)).toEqual([]);
  });

  it('adds new streams through the API without a restart; restarts only when MediaMTX port changes', async () => {
    const pid = env.sidecar.status().pid;
    expect(await env.sidecar.syncStreams(['cam/front/sub', 'cam/front/main', 'cam/front/main'])).toEqual({ restarted: false, skipped: false, streams: 2 });
    expect(env.sidecar.status().pid).toBe(pid);
    const r = await env.sidecar.syncStreams(['cam/front/main', 'cam/front/sub', 'pipe/det/out']);
    expect(r).toEqual({ restarted: false, skipped: false, streams: 3 });
    const st = env.sidecar.status();
    expect(st).toMatchObject({ state: 'running', pid, streams: { desired: 3, configured: 3, restart_pending: false } });
    const added = await api<Record<string, { producers: { url: string }[] }>>(env, '/api/streams');
    expect(Object.keys(added).sort()).toEqual(['cam~front~main', 'cam~front~sub', 'pipe~det~out']);
    expect(added['pipe~det~out']?.producers[0]?.url).toBe(`rtsp://127.0.0.1:${env.rtsp.port}/pipe/det/out#backchannel=0`);
    // The file holds the stream too, so a crash restart loads the same set.
    expect(await readFile(join(env.dataDir, 'runtime', 'streaming', 'go2rtc', 'go2rtc.yaml'), 'utf8')).toContain('pipe~det~out');
    // A removed stream needs no restart either.
    expect(await env.sidecar.syncStreams(['cam/front/main', 'cam/front/sub'])).toEqual({ restarted: false, skipped: false, streams: 2 });
    expect(await env.sidecar.syncStreams(['cam/front/main', 'cam/front/sub', 'pipe/det/out'])).toEqual({ restarted: false, skipped: false, streams: 3 });
    expect(env.sidecar.status().pid).toBe(pid);
    env.rtsp.port = 28554;
    expect(env.sidecar.status().streams.restart_pending).toBe(true);
    expect((await env.sidecar.syncStreams(['cam/front/main', 'cam/front/sub', 'pipe/det/out'])).restarted).toBe(true);
    const streams = await api<Record<string, { producers: { url: string }[] }>>(env, '/api/streams');
    expect(streams['pipe~det~out']?.producers[0]?.url).toBe('rtsp://127.0.0.1:28554/pipe/det/out#backchannel=0');
    expect(env.supervisor.count('go2rtc')).toBe(1);
    expect(await doubleViolations(env)).toEqual([]);
  });

  it('comes back after a crash (supervisor restart) and answers again', async () => {
    const before = env.sidecar.status();
    process.kill(before.pid!, 'SIGKILL');
    const after = await waitFor('running again', () => {
      const s = env.sidecar.status();
      return s.state === 'running' && s.pid !== before.pid ? s : null;
    });
    expect(after.restarts).toBe(before.restarts + 1);
    expect(after.last_error).toMatch(/go2rtc exited \(signal SIGKILL\)/);
    expect(env.supervisor.count('go2rtc')).toBe(1);
  });

  it('stops through the supervisor: no go2rtc process left', async () => {
    const pid = env.sidecar.status().pid!;
    const st = await env.sidecar.stop();
    expect(st).toMatchObject({ state: 'stopped', pid: null, api_url: null });
    expect(env.supervisor.count('go2rtc')).toBe(0);
    expect(env.supervisor.count()).toBe(0);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(env.sidecar.wsUrl('cam/front/main')).toBeNull();
    // A stop by hand is not undone by a settings change.
    expect((await env.sidecar.applySettings()).state).toBe('stopped');
  });

  it('serves the lifecycle routes (mounted by the lead under /api/streams)', async () => {
    const app = new Hono();
    app.route('/api/streams', mseRoutes(env.sidecar));
    app.onError(onApiError(null));
    const status = await app.request('/api/streams/mse/status');
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ state: 'stopped', version: 'v1.9.14' });
    const started = await app.request('/api/streams/mse/start', { method: 'POST' });
    expect(await started.json()).toMatchObject({ state: 'running' });
    const restarted = await app.request('/api/streams/mse/restart', { method: 'POST' });
    expect(await restarted.json()).toMatchObject({ state: 'running' });
    const download = await app.request('/api/streams/mse/download', { method: 'POST' });
    expect(download.status).toBe(409);
    expect(await download.json()).toEqual({ error: { code: 'download_disabled', message: expect.stringMatching(/mse\.allow_download/), field: 'mse.allow_download' } });
    const stopped = await app.request('/api/streams/mse/stop', { method: 'POST' });
    expect(await stopped.json()).toMatchObject({ state: 'stopped' });
    expect(env.supervisor.count('go2rtc')).toBe(0);
  });
});

describe('go2rtc version check', () => {
  // What builds of v1.9.14 report: the release asset, a source build (`go build` at the tag), one with a VCS revision.
  it.each([
    ['1.9.14', true],
    ['1.9.14+dev.', true],
    ['1.9.14+dev.a1b2c3d', true],
    ['1.9.13', false],
    ['1.9.15+dev.', false],
    ['1.9.140', false],
    ['1.9.14-rc1', false],
    ['1.9.14+dev.-dirty', false],
    ['', false],
  ])('%j is the tested release: %s', (reported, tested) => {
    expect(isTestedGo2rtcVersion(reported)).toBe(tested);
  });
});

describe('go2rtc manager states', () => {
  it('is disabled (and starts nothing) while mse.enabled is false; stops go2rtc when MSE gets disabled', async () => {
    const env = await setup({}, { enabled: false });
    try {
      expect((await env.sidecar.inspect()).state).toBe('disabled');
      expect((await env.sidecar.start()).state).toBe('disabled');
      expect((await env.sidecar.autoStart()).state).toBe('disabled');
      expect(env.supervisor.count()).toBe(0);
      env.settings.mse.enabled = true;
      expect((await env.sidecar.applySettings()).state).toBe('running');
      expect(env.supervisor.count('go2rtc')).toBe(1);
      env.settings.mse.enabled = false;
      expect((await env.sidecar.applySettings()).state).toBe('disabled');
      expect(env.supervisor.count()).toBe(0);
    } finally {
      await teardown(env);
    }
  });

  it('is missing with the reason when no binary exists, and start() does not throw', async () => {
    const env = await setup({ go2rtcPath: undefined, bundledPaths: ['/nonexistent/go2rtc'] });
    try {
      const st = await env.sidecar.start();
      expect(st.state).toBe('missing');
      expect(st.binary.reason).toMatch(/go2rtc v1\.9\.14 is not bundled and not in the cache/);
      expect(env.supervisor.count()).toBe(0);
    } finally {
      await teardown(env);
    }
  });

  it("fails with go2rtc's last error line when the process exits at start", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sidecar-fake-'));
    const fake = join(dataDir, 'go2rtc-broken');
    await writeFile(fake, '#!/bin/sh\necho "FTL [api] listen error=\\"permission denied\\"" >&2\nexit 1\n');
    await chmod(fake, 0o755);
    const env = await setup({ go2rtcPath: fake });
    try {
      const st = await env.sidecar.start();
      expect(st.state).toBe('failed');
      expect(st.last_error).toMatch(/go2rtc exited \(code 1\).*permission denied/);
      expect(env.supervisor.count()).toBe(0);
    } finally {
      await teardown(env);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
