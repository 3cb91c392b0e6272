import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import * as v from 'valibot';
import { afterEach, describe, expect, it } from 'vitest';
import { engineRoutes } from '../api/routes/engine.js';
import { streamingSettingsSchema, type StreamingSettings } from '../domain/settings.js';
import { createLogger } from '../shared/logger.js';
import { createSupervisor } from '../process/supervisor.js';
import type { Supervisor } from '../process/types.js';
import { sha256hex, startReleaseServer, type ReleaseServer } from '../../test/doubles/mediamtx/release.js';
import { ENGINE_BINS, mediamtxReleaseTarball } from '../../test/engines.js';
import { releasePlatform } from './binary.js';
import { releaseAssetName } from './download.js';
import { createEngineManager, type EngineManager, type EngineManagerOptions } from './engine.js';
import { freePort } from '../../test/support/ports.js';
import { onApiError } from '../api/errors.js';

const PLATFORM = (() => {
  const p = releasePlatform();
  return 'platform' in p ? p.platform : 'linux_amd64';
})();
const ASSET = releaseAssetName(PLATFORM);

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function appWith(options: Partial<EngineManagerOptions>, allowDownload: boolean) {
  const dataDir = await mkdtemp(join(tmpdir(), 'engine-routes-'));
  const logger = createLogger('silent');
  const supervisor: Supervisor = createSupervisor({ logger });
  const settings: StreamingSettings = v.parse(streamingSettingsSchema, {
    engine: { allow_download: allowDownload, rtsp_port: await freePort(), hls_port: await freePort(), webrtc_port: await freePort(), webrtc_udp_port: await freePort(), api_port: await freePort() },
  });
  const engine: EngineManager = createEngineManager({ supervisor, logger, dataDir, settings: () => settings, logLevel: 'info', bundledPaths: [], ...options });
  cleanup.push(async () => {
    await engine.stop();
    await supervisor.stopAll();
    await rm(dataDir, { recursive: true, force: true });
  });
  // Mounted and error-mapped the way src/api/app.ts does it.
  const app = new Hono();
  app.route('/api/streams', engineRoutes(engine));
  app.onError(onApiError(null));
  const call = async (method: string, path: string) => {
    const res = await app.request(`/api/streams${path}`, { method });
    return { status: res.status, json: (await res.json()) as Record<string, any> };
  };
  return { call, supervisor, dataDir };
}

async function release(checksum: (tarball: Buffer) => string): Promise<ReleaseServer> {
  const tarball = await mediamtxReleaseTarball();
  const server = await startReleaseServer({ [`v1.20.1/${ASSET}`]: tarball, 'v1.20.1/checksums.sha256': checksum(tarball) });
  cleanup.push(() => server.close());
  return server;
}

describe('engine routes', () => {
  it('report a missing engine as a state (200), never an error', async () => {
    const { call, supervisor } = await appWith({}, false);
    const status = await call('GET', '/engine/status');
    expect(status.status).toBe(200);
    expect(status.json).toMatchObject({ state: 'missing', binary: { path: null }, download: { allowed: false } });
    for (const op of ['start', 'restart', 'stop']) {
      const r = await call('POST', `/engine/${op}`);
      expect(r.status).toBe(200);
      expect(r.json.state).toBe('missing');
    }
    expect(supervisor.count()).toBe(0);
  });

  it('refuse a download while engine.allow_download is false (409 naming the setting)', async () => {
    const server = await release((t) => `${sha256hex(t)} *${ASSET}\n`);
    const { call } = await appWith({ downloadBaseUrl: server.baseUrl }, false);
    const r = await call('POST', '/engine/download');
    expect(r.status).toBe(409);
    expect(r.json.error).toMatchObject({ code: 'download_disabled', field: 'engine.allow_download' });
    expect(server.hits).toEqual([]);
  });

  it('answer 502 when the checksum does not match, and 200 with the cached binary when it does', async () => {
    const bad = await release(() => `${sha256hex('x')} *${ASSET}\n`);
    const first = await appWith({ downloadBaseUrl: bad.baseUrl }, true);
    const refused = await first.call('POST', '/engine/download');
    expect(refused.status).toBe(502);
    expect(refused.json.error).toMatchObject({ code: 'checksum_mismatch', download_error: 'checksum_mismatch' });
    expect((await first.call('GET', '/engine/status')).json).toMatchObject({ state: 'missing', download: { last_error: expect.stringMatching(/SHA-256/) } });

    const good = await release((t) => `${sha256hex(t)} *${ASSET}\n`);
    const second = await appWith({ downloadBaseUrl: good.baseUrl }, true);
    const ok = await second.call('POST', '/engine/download');
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ state: 'stopped', binary: { source: 'cache' }, download: { in_progress: false, last_error: null } });
    const started = await second.call('POST', '/engine/start');
    expect(started.json).toMatchObject({ state: 'running', binary: { source: 'cache' } });
    expect((await second.call('POST', '/engine/stop')).json).toMatchObject({ state: 'stopped', pid: null });
    expect(second.supervisor.count()).toBe(0);
  });

  it('start, restart and stop a running engine', async () => {
    const { call, supervisor } = await appWith({ mediamtxPath: ENGINE_BINS.mediamtx }, false);
    const started = await call('POST', '/engine/start');
    expect(started.json).toMatchObject({ state: 'running', binary: { source: 'env' } });
    const restarted = await call('POST', '/engine/restart');
    expect(restarted.json.state).toBe('running');
    expect(restarted.json.pid).not.toBe(started.json.pid);
    expect((await call('GET', '/engine/status')).json.pid).toBe(restarted.json.pid);
    expect((await call('POST', '/engine/stop')).json.state).toBe('stopped');
    expect(supervisor.count()).toBe(0);
  });
});
