/**
 * Issue 11, points 4c and 4j: camera sources as the real MediaMTX (v1.20.1) pulls them — RTSPS with
 * a self-signed certificate (trust on first use), the URL schemes it accepts, alias paths over TCP.
 * Against the double by default, the real binary when TOPOSYNC_STREAMING_MEDIAMTX_PATH names it.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanUpEngines, setupEngine } from '../../test/engine-env.js';
import { engineTarget, REAL_ENGINES } from '../../test/engines.js';
import { startHarness, type Harness } from '../../test/harness.js';
import { startRtspCamera, type RtspCamera } from '../../test/media/rtsp-camera.js';
import { readTlsFingerprint } from '../control/tls-fingerprint.js';
import { camera, manualTransmission, plane, source } from '../reconcile/fixtures.js';
import { reconcile } from '../reconcile/reconcile.js';
import { planEngine } from '../runtime/path-plan.js';

const run = promisify(execFile);
const REAL_ONLY = '(real engine only: the double has no RTSP plane)';

afterEach(cleanUpEngines);

/** ffprobe's answer for an RTSP URL over TCP: the first video codec, or the error it printed. */
async function probe(url: string): Promise<{ codec: string } | { error: string }> {
  try {
    const { stdout } = await run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-timeout', '15000000', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', url], {
      timeout: 30_000,
    });
    return { codec: stdout.trim() };
  } catch (err) {
    return { error: String((err as { stderr?: string }).stderr ?? err).trim() };
  }
}

describe(`an RTSPS camera with a self-signed certificate (4c) against the ${engineTarget('mediamtx')}`, () => {
  let dir: string;
  let cam: RtspCamera;
  let tls: TlsServer;
  let url: string;
  let fingerprint: string;
  let harness: Harness;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rtsps-cam-'));
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=camera.local',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    const cert = await readFile(join(dir, 'cert.pem'));
    fingerprint = new X509Certificate(cert).fingerprint256.replace(/:/g, '').toLowerCase();
    cam = await startRtspCamera({ width: 320, height: 240, fps: 10 });
    // RTSP over TLS is plain RTSP (interleaved TCP) inside TLS: a TLS front for the plain camera is an RTSPS camera.
    tls = createTlsServer({ key: await readFile(join(dir, 'key.pem')), cert }, (socket) => {
      const up = netConnect(cam.port, '127.0.0.1');
      socket.pipe(up).pipe(socket);
      socket.on('error', () => up.destroy());
      up.on('error', () => socket.destroy());
      socket.on('close', () => up.destroy());
    });
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', () => r()));
    url = `rtsps://127.0.0.1:${(tls.address() as { port: number }).port}/cam`;
    harness = await startHarness();
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
    tls?.close();
    await cam?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("reads the certificate's SHA-256 as MediaMTX compares it (lowercase hex of the DER)", async () => {
    expect(await readTlsFingerprint(url)).toBe(fingerprint);
    expect(await readTlsFingerprint('rtsps://127.0.0.1:1/none', 2000)).toBeNull();
  });

  it('the camera API trusts the certificate first seen, shows it, keeps it, lets the user change or reset it', async () => {
    const created = await harness.request('POST', '/api/cameras', { name: 'Protect', sources: [{ id: 'main', url, username: 'u', password: 'p' }] });
    expect(created.status).toBe(201);
    expect(created.json.sources[0].tls_fingerprint).toBe(fingerprint);
    expect(harness.store.get().cameras[0]!.sources[0]!.tls_fingerprint).toBe(fingerprint);

    const other = 'AB:'.repeat(31) + 'AB';
    const set = await harness.request('PUT', '/api/cameras/protect', { name: 'Protect', sources: [{ id: 'main', url, tls_fingerprint: other }] });
    expect(set.json.sources[0].tls_fingerprint).toBe('ab'.repeat(32));
    const kept = await harness.request('PUT', '/api/cameras/protect', { name: 'Protect', sources: [{ id: 'main', url }] });
    expect(kept.json.sources[0].tls_fingerprint).toBe('ab'.repeat(32));
    const reset = await harness.request('PUT', '/api/cameras/protect', { name: 'Protect', sources: [{ id: 'main', url, tls_fingerprint: null }] });
    expect(reset.json.sources[0].tls_fingerprint).toBe(fingerprint);

    const bad = await harness.request('PUT', '/api/cameras/protect', { name: 'Protect', sources: [{ id: 'main', url, tls_fingerprint: 'abc' }] });
    expect(bad.status).toBe(422);
    expect(bad.json.error.field).toBe('sources.0.tls_fingerprint');
    // A plain RTSP source has no certificate to show.
    const plain = await harness.request('POST', '/api/cameras', { name: 'Plain', sources: [{ url: 'rtsp://192.0.2.10/1' }] });
    expect(plain.json.sources[0]).not.toHaveProperty('tls_fingerprint');
  });

  it('the engine takes the path config with the trusted fingerprint', async () => {
    const env = await setupEngine();
    expect((await env.engine.start()).state).toBe('running');
    const doc = reconcile(plane({ cameras: [camera('protect', [source('main', { url, tls_fingerprint: fingerprint })])] })).plane;
    const plan = planEngine(doc, env.engine.rtspPort());
    expect(plan.paths.get('cam/protect/main')).toEqual({ source: url, sourceOnDemand: true, rtspTransport: 'tcp', sourceFingerprint: fingerprint });
    expect((await env.engine.syncPaths(plan.paths)).errors).toEqual([]);
  }, 60_000);

  it.runIf(REAL_ENGINES.mediamtx)(
    `without the fingerprint the engine cannot read the camera; with it, ffprobe reads the engine's path ${REAL_ONLY}`,
    async () => {
      const env = await setupEngine();
      expect((await env.engine.start()).state).toBe('running');
      const read = (path: string) => probe(env.engine.internalRtspUrl(path));
      await env.engine.syncPaths(new Map([['cam/untrusted', { source: url, sourceOnDemand: true, rtspTransport: 'tcp' as const }]]));
      expect(await read('cam/untrusted')).toEqual({ error: expect.any(String) });
      const doc = reconcile(plane({ cameras: [camera('protect', [source('main', { url, tls_fingerprint: fingerprint })])] })).plane;
      expect((await env.engine.syncPaths(planEngine(doc, env.engine.rtspPort()).paths)).errors).toEqual([]);
      expect(await read('cam/protect/main')).toEqual({ codec: 'h264' });
    },
    90_000,
  );
});

describe(`camera URL schemes (4j) against the ${engineTarget('mediamtx')}`, () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.close());

  const accepted = [
    'rtsp://192.0.2.10/a',
    'rtsps://192.0.2.10:7441/a',
    'rtsp+http://192.0.2.10/a',
    'rtsps+ws://192.0.2.10/a',
    'rtmp://192.0.2.10/live/a',
    'rtmps://192.0.2.10/live/a',
    'http://192.0.2.10/hls/index.m3u8',
    'https://192.0.2.10/hls/index.m3u8',
    'srt://192.0.2.10:8890?streamid=read:a',
    'whep://192.0.2.10:8889/a/whep',
    'wheps://192.0.2.10/a/whep',
  ];
  const refused = [
    'udp+mpegts://238.0.0.1:1234',
    'udp://0.0.0.0:1234',
    'unix+mpegts:///tmp/a.sock',
    'moqt://192.0.2.10/a',
    'rpiCamera',
    'publisher',
    'redirect',
    'file:///etc/passwd',
    'ftp://192.0.2.10/a',
    'rtsp:192.0.2.10/a',
  ];

  it('the camera API takes every scheme the engine pulls a camera with, and the engine takes each planned path', async () => {
    const env = await setupEngine();
    expect((await env.engine.start()).state).toBe('running');
    const res = await harness.request('POST', '/api/cameras', {
      name: 'Many',
      sources: accepted.map((u, i) => ({ id: `s${i}`, role: 'custom', url: u, username: 'viewer', password: 'pw', publish: true })),
    });
    expect(res.status).toBe(201);
    const plan = planEngine(harness.store.get(), env.engine.rtspPort());
    expect(plan.unusable).toEqual([]);
    expect(plan.sources).toHaveLength(accepted.length);
    const result = await env.engine.syncPaths(plan.paths);
    expect(result.errors).toEqual([]);
    expect(result.added).toHaveLength(plan.paths.size);
  }, 60_000);

  it.each(refused)('refuses %s with 422 naming the field', async (u) => {
    const res = await harness.request('POST', '/api/cameras', { name: 'Bad', sources: [{ url: 'rtsp://192.0.2.10/ok' }, { url: u }] });
    expect(res.status).toBe(422);
    expect(res.json.error.field).toBe('sources.1.url');
  });
});

describe(`alias paths (4j) against the ${engineTarget('mediamtx')}`, () => {
  let cam: RtspCamera;
  beforeAll(async () => {
    cam = await startRtspCamera({ width: 320, height: 240, fps: 10 });
  }, 30_000);
  afterAll(() => cam?.stop());

  it.runIf(REAL_ENGINES.mediamtx)(
    `a second copy of a camera re-reads the engine's own path over TCP ${REAL_ONLY}`,
    async () => {
      const env = await setupEngine();
      expect((await env.engine.start()).state).toBe('running');
      const base = reconcile(plane({ cameras: [camera('gate', [source('main', { url: cam.url })])] })).plane;
      const doc = {
        ...base,
        transmissions: [...base.transmissions, manualTransmission('copy2', { input: 'camera_source', camera_id: 'gate', camera_source_id: 'main' }, [{ codec: 'copy', engine_path: 'm/gate/copy' }])],
      };
      const plan = planEngine(doc, env.engine.rtspPort());
      expect(plan.outputs.find((o) => o.path === 'm/gate/copy')?.feed).toEqual({ kind: 'alias', from: 'cam/gate/main' });
      expect((await env.engine.syncPaths(plan.paths)).errors).toEqual([]);
      expect(await probe(env.engine.internalRtspUrl('m/gate/copy'))).toEqual({ codec: 'h264' });
      // The alias's own read of cam/gate/main is an RTSP session of the engine: over TCP.
      const api = env.engine.status().api_url!;
      const sessions = (await (await fetch(`${api}/v3/rtspsessions/list`)).json()) as { items: { path: string; transport: string | null }[] };
      const aliasRead = sessions.items.filter((s) => s.path === 'cam/gate/main');
      expect(aliasRead.length).toBeGreaterThan(0);
      expect(aliasRead.map((s) => s.transport)).toEqual(aliasRead.map(() => 'TCP'));
      expect(cam.connections()).toBe(1);
    },
    90_000,
  );
});
