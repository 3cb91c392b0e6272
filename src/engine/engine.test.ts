import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { streamingSettingsSchema } from '../domain/settings.js';
import { createLogger } from '../shared/logger.js';
import { createSupervisor } from '../process/supervisor.js';
import { sha256hex, startReleaseServer, type ReleaseServer } from '../../test/doubles/mediamtx/release.js';
import type { Violation } from '../../test/doubles/mediamtx/server.js';
import { ENGINE_BINS, REAL_ENGINES, engineTarget, mediamtxReleaseTarball } from '../../test/engines.js';
import { releasePlatform } from './binary.js';
import { releaseAssetName } from './download.js';
import { createEngineManager, type EngineManagerOptions } from './engine.js';
import type { PathConf } from './path-conf.js';
import { LAN_PASSWORD, setupEngine, type Env } from '../../test/engine-env.js';
import { waitFor } from '../../test/support/wait.js';

const CAMERA_PASSWORD = 'cam-Pa55word-xyz';
const PLATFORM = (() => {
  const p = releasePlatform();
  return 'platform' in p ? p.platform : 'linux_amd64';
})();

const setup = (overrides: Partial<EngineManagerOptions> = {}, extra: { allow_download?: boolean } = {}): Promise<Env> =>
  setupEngine({ overrides, ...(extra.allow_download === undefined ? {} : { allowDownload: extra.allow_download }) });

async function teardown(env: Env | undefined) {
  if (!env) return;
  await env.engine.stop();
  await env.supervisor.stopAll();
  await rm(env.dataDir, { recursive: true, force: true });
}

const api = async <T>(env: Env, path: string, init?: RequestInit): Promise<T> => {
  const base = env.engine.status().api_url;
  if (!base) throw new Error('engine not running');
  const res = await fetch(`${base}${path}`, init);
  return (await res.json()) as T;
};
// Double only: the contract violations the double records (the real MediaMTX keeps none), read when it is the target.
const onDouble = !REAL_ENGINES.mediamtx;
const violations = (env: Env) => api<Violation[]>(env, '/_double/violations');
const configured = async (env: Env) => (await api<{ items: { name: string; source: string }[] }>(env, '/v3/config/paths/list?itemsPerPage=1000')).items.map((i) => i.name);
const configCalls = (log: string[]) => log.filter((c) => c.includes(' /v3/config/'));
const mutations = (log: string[]) => log.filter((c) => !c.startsWith('GET '));

describe(`engine manager with the ${engineTarget('mediamtx')} under the supervisor`, () => {
  let env: Env;
  const camera = `rtsp://admin:${CAMERA_PASSWORD}@192.168.1.40:554/Streaming/Channels/101`;
  beforeAll(async () => {
    env = await setup();
  });
  afterAll(async () => {
    await teardown(env);
  });

  it('starts: running, pid, actual ports, API on 127.0.0.1, config without secrets', async () => {
    const status = await env.engine.start();
    expect(status.state).toBe('running');
    expect(status.binary).toEqual({ path: ENGINE_BINS.mediamtx, source: 'env', reason: null });
    expect(status.pid).toEqual(expect.any(Number));
    expect(status.ports.api).toEqual({ preferred: env.settings.engine.api_port, actual: env.settings.engine.api_port, changed: false });
    expect(status.ports.rtsp.actual).toBe(env.settings.engine.rtsp_port);
    expect(status.api_url).toBe(`http://127.0.0.1:${env.settings.engine.api_port}`);
    expect(env.engine.running()).toBe(true);
    expect(env.engine.rtspPort()).toBe(env.settings.engine.rtsp_port);
    expect(env.engine.internalRtspUrl('cam/front/main')).toBe(`rtsp://127.0.0.1:${env.settings.engine.rtsp_port}/cam/front/main`);
    expect(env.engine.internalHttpBase('hls')).toBe(`http://127.0.0.1:${env.settings.engine.hls_port}`);
    expect(env.supervisor.count('mediamtx')).toBe(1);
    const yml = await readFile(join(env.dataDir, 'runtime', 'streaming', 'mediamtx', 'mediamtx.yml'), 'utf8');
    expect(yml).not.toContain(LAN_PASSWORD);
    expect(await api(env, '/v3/info')).toMatchObject({ version: 'v1.20.1' });
    expect(await env.engine.start()).toMatchObject({ state: 'running', pid: status.pid });
  });

  it('syncs paths: adds missing, leaves equal ones alone, replaces changed, deletes extra', async () => {
    const desired = new Map<string, PathConf>([
      ['cam/front/main', { source: camera, sourceOnDemand: true, rtspTransport: 'tcp', sourceOnDemandCloseAfter: '60s' }],
      ['out/front/small', { source: 'publisher' }],
      ['out/front/copy', { source: `rtsp://127.0.0.1:${env.engine.rtspPort()}/cam/front/main`, sourceOnDemand: true }],
    ]);
    const first = await env.engine.syncPaths(desired);
    expect(first).toEqual({ added: ['cam/front/main', 'out/front/small', 'out/front/copy'], replaced: [], deleted: [], errors: [], skipped: false });
    expect(await configured(env)).toEqual(['cam/front/main', 'out/front/copy', 'out/front/small']);

    // MediaMTX reports "60s" as "1m0s": still equal, nothing is sent but the listing.
    const log0 = env.calls.length;
    expect(await env.engine.syncPaths(desired)).toEqual({ added: [], replaced: [], deleted: [], errors: [], skipped: false });
    expect(configCalls(env.calls.slice(log0))).toEqual(['GET /v3/config/paths/list']);

    const next = new Map(desired);
    next.set('out/front/small', { source: 'publisher', maxReaders: 4 });
    next.delete('out/front/copy');
    next.set('out/back/main', { source: 'publisher' });
    const second = await env.engine.syncPaths(next);
    expect(second).toEqual({ added: ['out/back/main'], replaced: ['out/front/small'], deleted: ['out/front/copy'], errors: [], skipped: false });
    expect(mutations(env.calls.slice(log0))).toEqual(['POST /v3/config/paths/replace/out/front/small', 'POST /v3/config/paths/add/out/back/main', 'DELETE /v3/config/paths/delete/out/front/copy']);
    expect(await configured(env)).toEqual(['cam/front/main', 'out/back/main', 'out/front/small']);
    if (onDouble) expect(await violations(env)).toEqual([]);
    expect(env.engine.status().paths).toMatchObject({ desired: 3, last_sync_errors: 0 });
  });

  it('reports a refused path config per path, keeps the others, and never echoes credentials', async () => {
    const bad = new Map<string, PathConf>([
      ['cam/front/main', { source: camera, sourceOnDemand: true, rtspTransport: 'tcp', sourceOnDemandCloseAfter: '60s' }],
      ['out/front/small', { source: 'publisher', maxReaders: 4 }],
      ['out/back/main', { source: 'publisher' }],
      ['cam/side/main', { source: `rtsp://admin@10.1.1.1:554/${CAMERA_PASSWORD}` }],
      ['/bad', { source: 'publisher' }],
      ['out/x', { source: 'publisher', sourceOnDemand: true }],
    ]);
    const r = await env.engine.syncPaths(bad);
    expect(r.added).toEqual([]);
    expect(r.errors.map((e) => e.path)).toEqual(['cam/side/main', '/bad', 'out/x']);
    expect(r.errors[0]?.error).toMatch(/username and password must be both provided/);
    expect(r.errors[1]?.error).toMatch(/invalid path name/);
    if (onDouble) expect(await violations(env)).toEqual([]);
    const restore = new Map([...bad].filter(([k]) => !['cam/side/main', '/bad', 'out/x'].includes(k)));
    expect((await env.engine.syncPaths(restore)).errors).toEqual([]);
  });

  // Hidden readers (the HLS muxer) left out of the count: client.test.ts, where the double is given a reader list.
  it('counts readers: 0 on a configured path nobody reads, null for unknown paths', async () => {
    expect(await env.engine.readers('out/front/small')).toBe(0);
    expect(await env.engine.readers('out/back/main')).toBe(0);
    expect(await env.engine.readers('no/such/path')).toBeNull();
  });

  it('re-applies the desired paths after MediaMTX crashes and the supervisor restarts it', async () => {
    const before = env.engine.status();
    const log0 = env.calls.length;
    process.kill(before.pid!, 'SIGKILL');
    await waitFor('crash noticed', () => env.engine.status().pid !== before.pid);
    const after = await waitFor('running again', () => {
      const s = env.engine.status();
      return s.state === 'running' && s.pid !== before.pid ? s : null;
    });
    expect(after.restarts).toBe(before.restarts + 1);
    expect(after.last_error).toMatch(/MediaMTX exited \(signal SIGKILL\)/);
    await waitFor('paths re-added', async () => (await configured(env)).length === 3);
    expect(await configured(env)).toEqual(['cam/front/main', 'out/back/main', 'out/front/small']);
    // A fresh process: the re-sync sends one add per desired path, nothing else changes.
    expect(mutations(env.calls.slice(log0)).sort()).toEqual(['POST /v3/config/paths/add/cam/front/main', 'POST /v3/config/paths/add/out/back/main', 'POST /v3/config/paths/add/out/front/small']);
    if (onDouble) expect(await violations(env)).toEqual([]);
    expect(env.supervisor.count('mediamtx')).toBe(1);
  });

  it('killed from outside again and again after answering its API: back after the first backoff delay each time', async () => {
    const handle = env.supervisor.get('mediamtx')!;
    const scheduled: (number | null)[] = [];
    const off = handle.onExit(() => scheduled.push(handle.status().restart_delay_ms));
    try {
      for (let i = 0; i < 4; i++) {
        const before = await waitFor('running', () => (env.engine.status().state === 'running' ? env.engine.status() : null));
        process.kill(before.pid!, 'SIGKILL');
        await waitFor('exit seen', () => scheduled.length === i + 1);
        expect(env.engine.status().state).toBe('crashed'); // the fault shows while it lasts
      }
      await waitFor('running again', () => env.engine.status().state === 'running');
    } finally {
      off();
    }
    // Setup's backoff is 100 ms x2 capped at 400: without the healthy reset 100, 200, 400, 400.
    expect(scheduled).toEqual([100, 100, 100, 100]);
  });

  it('never logs the camera or LAN reader passwords', () => {
    const all = env.logs.join('\n');
    expect(all).toContain('engine paths synced');
    expect(all).not.toContain(CAMERA_PASSWORD);
    expect(all).not.toContain(LAN_PASSWORD);
  });

  it('stops: no process left, readers unknown, sync skipped but remembered', async () => {
    const status = await env.engine.stop();
    expect(status).toMatchObject({ state: 'stopped', pid: null, api_url: null });
    expect(status.ports.api.actual).toBeNull();
    expect(env.supervisor.count()).toBe(0);
    expect(env.engine.running()).toBe(false);
    expect(await env.engine.readers('out/front/small')).toBeNull();
    expect(await env.engine.syncPaths(new Map([['only/this', { source: 'publisher' }]]))).toMatchObject({ skipped: true, added: [] });
    // The remembered map is applied at the next start.
    expect((await env.engine.restart()).state).toBe('running');
    expect(await configured(env)).toEqual(['only/this']);
    await env.engine.stop();
    expect(env.supervisor.count()).toBe(0);
  });
});

describe('engine manager without a usable binary', () => {
  let env: Env | undefined;
  let release: ReleaseServer | undefined;
  afterEach(async () => {
    await teardown(env);
    await release?.close();
    env = undefined;
    release = undefined;
  });
  const cacheFiles = async (dataDir: string) => readdir(join(dataDir, 'runtime', 'streaming', 'mediamtx', 'v1.20.1'), { recursive: true }).catch(() => []);

  it('is missing with the reason when nothing is bundled or cached and download is disallowed; start does not throw', async () => {
    env = await setup({ mediamtxPath: undefined, bundledPaths: ['/nonexistent/mediamtx'] });
    const status = await env.engine.start();
    expect(status.state).toBe('missing');
    expect(status.binary.path).toBeNull();
    expect(status.binary.reason).toMatch(/not bundled and not in the cache; automatic download is disabled \(settings\.engine\.allow_download=false\)/);
    expect(status.download).toEqual({ allowed: false, in_progress: false, last_error: null });
    expect(env.supervisor.count()).toBe(0);
    expect((await env.engine.inspect()).state).toBe('missing');
    await expect(env.engine.download()).rejects.toMatchObject({ status: 409, field: 'engine.allow_download' });
  });

  it('reports a wrong TOPOSYNC_STREAMING_MEDIAMTX_PATH precisely', async () => {
    env = await setup({ mediamtxPath: '/nonexistent/bin/mediamtx' });
    const status = await env.engine.start();
    expect(status).toMatchObject({ state: 'missing', binary: { reason: 'TOPOSYNC_STREAMING_MEDIAMTX_PATH points to /nonexistent/bin/mediamtx, which does not exist' } });
  });

  it('downloads, verifies and runs the release when downloads are allowed', async () => {
    const tarball = await mediamtxReleaseTarball();
    release = await startReleaseServer({ [`v1.20.1/${releaseAssetName(PLATFORM)}`]: tarball, 'v1.20.1/checksums.sha256': `${sha256hex(tarball)} *${releaseAssetName(PLATFORM)}\n` });
    env = await setup({ mediamtxPath: undefined, bundledPaths: [], downloadBaseUrl: release.baseUrl }, { allow_download: true });
    const status = await env.engine.start();
    expect(status.state).toBe('running');
    expect(status.binary).toMatchObject({ source: 'cache', path: join(env.dataDir, 'runtime', 'streaming', 'mediamtx', 'v1.20.1', PLATFORM, 'mediamtx') });
    expect(status.download).toEqual({ allowed: true, in_progress: false, last_error: null });
    expect(await cacheFiles(env.dataDir)).toEqual([PLATFORM, `${PLATFORM}/mediamtx`]);
  });

  it('refuses a release whose checksum does not match: missing, download.last_error, nothing cached', async () => {
    const tarball = await mediamtxReleaseTarball();
    release = await startReleaseServer({ [`v1.20.1/${releaseAssetName(PLATFORM)}`]: tarball, 'v1.20.1/checksums.sha256': `${sha256hex('tampered')} *${releaseAssetName(PLATFORM)}\n` });
    env = await setup({ mediamtxPath: undefined, bundledPaths: [], downloadBaseUrl: release.baseUrl }, { allow_download: true });
    const status = await env.engine.start();
    expect(status.state).toBe('missing');
    expect(status.download.last_error).toMatch(/SHA-256 .* refusing to install it/);
    expect(status.binary.reason).toMatch(/the download failed: SHA-256/);
    expect(await cacheFiles(env.dataDir)).toEqual([]);
    expect(env.supervisor.count()).toBe(0);
    await expect(env.engine.download()).rejects.toMatchObject({ status: 502, code: 'checksum_mismatch' });
  });

  it("fails with the engine's own error when the binary exits at start, leaving no process", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'engine-broken-'));
    const script = join(dir, 'mediamtx');
    await writeFile(script, '#!/bin/sh\necho "2026/01/01 00:00:00 ERR: json: unknown field \\"bogus\\"" >&2\nexit 1\n');
    await chmod(script, 0o755);
    try {
      env = await setup({ mediamtxPath: script, startTimeoutMs: 10_000 });
      const status = await env.engine.start();
      expect(status.state).toBe('failed');
      expect(status.last_error).toMatch(/MediaMTX exited \(code 1\): .*unknown field "bogus"/);
      expect(env.supervisor.count()).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('autoStart follows settings.engine.auto_start', async () => {
    env = await setup();
    env.settings.engine.auto_start = false;
    expect((await env.engine.autoStart()).state).toBe('stopped');
    expect(env.supervisor.count()).toBe(0);
    env.settings.engine.auto_start = true;
    expect((await env.engine.autoStart()).state).toBe('running');
    expect(env.supervisor.count()).toBe(1);
  });

  it('moves off a taken preferred port and says so', async () => {
    env = await setup();
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(env!.settings.engine.api_port, '127.0.0.1', () => r()));
    try {
      const status = await env.engine.start();
      expect(status.state).toBe('running');
      expect(status.ports.api.changed).toBe(true);
      expect(status.ports.api.actual).not.toBe(env.settings.engine.api_port);
      expect(status.api_url).toBe(`http://127.0.0.1:${status.ports.api.actual}`);
      expect(env.logs.join('\n')).toContain('preferred engine port is taken');
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });
});

describe('createEngineManager option validation', () => {
  it('names the bad option', () => {
    const logger = createLogger('silent');
    const supervisor = createSupervisor({ logger });
    const base = { supervisor, logger, dataDir: '/tmp/x', settings: () => v.parse(streamingSettingsSchema, {}), logLevel: 'info' };
    expect(() => createEngineManager({ ...base, dataDir: '' })).toThrow(/dataDir/);
    expect(() => createEngineManager({ ...base, startTimeoutMs: 5 })).toThrow(/startTimeoutMs/);
    expect(() => createEngineManager({ ...base, bundledPaths: ['relative/mediamtx'] })).toThrow(/bundledPaths/);
    expect(() => createEngineManager({ ...base, downloadBaseUrl: 'ftp://x' })).toThrow(/downloadBaseUrl/);
  });
});
