import { readdir } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { probeInputDir } from '../../src/runtime/probe-reader.js';
import { ENGINE_BINS, REAL_ENGINES } from '../engines.js';
import { descendants, sweepProcesses } from '../hardening/process-table.js';
import { stopAllMediaProcesses } from '../media/proc.js';
import { startRtspCamera, type RtspCamera } from '../media/rtsp-camera.js';
import { freePort, LOOPBACK } from '../support/ports.js';
import { waitFor } from '../support/wait.js';
import { startLiveServer, type LiveServer } from './server-harness.js';

/**
 * Issue 13.2: `POST /api/cameras/{id}/sources/{source_id}/probe` runs real ffprobe once against
 * GStreamer RTSP cameras on 127.0.0.1 (straight at the camera while the engine is missing, through
 * the engine's path when it runs) and stores what it found on the source.
 */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(stopAllMediaProcesses);

async function camera(opts: Parameters<typeof startRtspCamera>[0]): Promise<RtspCamera> {
  const cam = await startRtspCamera({ width: 640, height: 360, fps: 15, ...opts });
  cleanups.push(() => cam.stop());
  return cam;
}

async function server(over: Parameters<typeof startLiveServer>[0] = {}): Promise<LiveServer> {
  const s = await startLiveServer({ autoStartEngine: false, ...over });
  cleanups.push(() => s.close());
  return s;
}

/**
 * A TCP relay in front of a camera that holds every connection until `open()`: a probe stays
 * in flight for as long as the test needs (to read the process table, to edit the source meanwhile).
 */
async function gate(target: number) {
  const held: Socket[] = [];
  let opened = false;
  const relay = (client: Socket) => {
    const upstream = connect(target, LOOPBACK);
    client.pipe(upstream).pipe(client);
    const end = () => (client.destroy(), upstream.destroy());
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  };
  const srv: Server = createServer((client) => {
    client.pause();
    if (opened) relay(client);
    else held.push(client);
  });
  await new Promise<void>((r) => srv.listen(0, LOOPBACK, () => r()));
  cleanups.push(() => new Promise((r) => (held.forEach((s) => s.destroy()), srv.close(r))));
  return {
    port: (srv.address() as { port: number }).port,
    held: () => held.length,
    open() {
      opened = true;
      for (const c of held.splice(0)) relay(c);
    },
  };
}

const probePath = (cameraId: string, sourceId = 'main') => `/api/cameras/${cameraId}/sources/${sourceId}/probe`;

describe('probing a camera source (engine missing: one short connection to the camera)', () => {
  it('H.264 + AAC behind credentials: facts answered and stored; the credentials only in the 0600 ffconcat file, never in a process argv', async () => {
    const [username, password] = ['probe-user-4Kd', "probe-p@ss 'Zq9"];
    const cam = await camera({ codec: 'h264', audio: 'aac', username, password, auth: 'digest' });
    const held = await gate(cam.port);
    const s = await server();
    expect(s.streaming.engine.status().state).toBe('missing');
    const url = `rtsp://127.0.0.1:${held.port}/cam`;
    expect((await s.request('POST', '/api/cameras', { id: 'door', name: 'Door', sources: [{ id: 'main', url, username, password }] })).status).toBe(201);

    const answer = s.request('POST', probePath('door'));
    await waitFor('ffprobe connects', () => held.held() === 1);
    const run = s.streaming.supervisor.list().find((c) => c.name === 'probe:door/main');
    expect(run?.pid).toBeGreaterThan(0);
    expect(descendants()).toContain(run!.pid);
    const sweep = sweepProcesses([username, password]);
    expect(sweep.processes).toBeGreaterThanOrEqual(2); // the camera and ffprobe at least
    expect(sweep.findings).toEqual([]);
    held.open();

    const res = await answer;
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      camera_id: 'door',
      source_id: 'main',
      probe: {
        probed_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        url,
        via: 'camera',
        error: null,
        video: { codec: 'h264', profile: expect.any(String), width: 640, height: 360, fps: 15 },
        audio: { codec: 'aac', sample_rate: 48000, channels: expect.any(Number) },
      },
    });
    expect((await s.request('GET', '/api/cameras/door')).json.sources[0].probe).toEqual(res.json.probe);
    expect(await readdir(probeInputDir(s.dataDir))).toEqual([]);
    expect(cam.connections()).toBe(1);
    expect(s.logs.join('\n')).not.toContain(password);
  }, 60_000);

  it('H.265 + Opus: the codec is spelled h265, the audio opus 48 kHz', async () => {
    const cam = await camera({ codec: 'h265', audio: 'opus' });
    const s = await server();
    await s.request('POST', '/api/cameras', { id: 'yard', name: 'Yard', sources: [{ id: 'main', url: cam.bareUrl }] });
    const res = await s.request('POST', probePath('yard'));
    expect(res.status).toBe(200);
    expect(res.json.probe).toMatchObject({ via: 'camera', error: null, video: { codec: 'h265', profile: 'Main', width: 640, height: 360, fps: 15 }, audio: { codec: 'opus', sample_rate: 48000 } });
  }, 60_000);

  it('a wrong password, or nothing listening: 200 with the cause in plain words stored, no URL or secret in it', async () => {
    const cam = await camera({ codec: 'h264', username: 'admin', password: 'right-one' });
    const closed = await freePort();
    const s = await server();
    await s.request('POST', '/api/cameras', {
      id: 'gate',
      name: 'Gate',
      sources: [
        { id: 'main', url: cam.bareUrl, username: 'admin', password: 'wrong-one-7Yh' },
        { id: 'sub', role: 'sub', url: `rtsp://127.0.0.1:${closed}/cam` },
      ],
    });
    const wrong = await s.request('POST', probePath('gate'));
    expect(wrong.status).toBe(200);
    expect(wrong.json.probe).toMatchObject({ via: 'camera', error: 'the camera refused the user name or password', video: null, audio: null });
    const refused = await s.request('POST', probePath('gate', 'sub'));
    expect(refused.json.probe).toMatchObject({ error: 'the camera refused the connection (check the address and port)', video: null });
    const stored = (await s.request('GET', '/api/cameras/gate')).json.sources;
    expect(stored.map((x: { probe: { error: string } }) => x.probe.error)).toEqual([wrong.json.probe.error, refused.json.probe.error]);
    expect(s.logs.join('\n')).not.toContain('wrong-one-7Yh');
  }, 60_000);

  it('the URL edited while the probe runs: 409, the facts are not stored; concurrent probes share one connection', async () => {
    const cam = await camera({ codec: 'h264' });
    const held = await gate(cam.port);
    const s = await server();
    await s.request('POST', '/api/cameras', { id: 'shed', name: 'Shed', sources: [{ id: 'main', url: `rtsp://127.0.0.1:${held.port}/cam` }] });
    const first = s.request('POST', probePath('shed'));
    const second = s.request('POST', probePath('shed'));
    await waitFor('ffprobe connects', () => held.held() >= 1);
    expect((await s.request('PUT', '/api/cameras/shed', { name: 'Shed', sources: [{ id: 'main', url: cam.bareUrl }] })).status).toBe(200);
    held.open();
    const answers = await Promise.all([first, second]);
    expect(answers.map((a) => [a.status, a.json.error?.code])).toEqual([
      [409, 'source_changed'],
      [409, 'source_changed'],
    ]);
    expect(held.held()).toBe(0);
    expect(cam.connections()).toBe(1);
    expect((await s.request('GET', '/api/cameras/shed')).json.sources[0].probe).toBeNull();
    // The new URL probes as usual.
    expect((await s.request('POST', probePath('shed'))).json.probe).toMatchObject({ url: cam.bareUrl, video: { codec: 'h264' } });
  }, 60_000);

  it('auto-probe (on in the real entry): a camera saved with a source is probed in the background, and again when its URL changes', async () => {
    const h264 = await camera({ codec: 'h264', audio: 'aac' });
    const h265 = await camera({ codec: 'h265', audio: 'opus' });
    const s = await server({ probe: { auto: true } });
    const created = await s.request('POST', '/api/cameras', { id: 'porch', name: 'Porch', sources: [{ id: 'main', url: h264.bareUrl }] });
    expect(created.status).toBe(201);
    expect(created.json.sources[0].probe).toBeNull(); // the answer does not wait for the probe
    const probeOf = async () => (await s.request('GET', '/api/cameras/porch')).json.sources[0].probe;
    expect(await waitFor('the source is probed', probeOf)).toMatchObject({ url: h264.bareUrl, video: { codec: 'h264' }, audio: { codec: 'aac', sample_rate: 48000 } });

    await s.request('PUT', '/api/cameras/porch', { name: 'Porch', sources: [{ id: 'main', url: h265.bareUrl }] });
    expect(await waitFor('the new URL is probed', async () => ((await probeOf())?.url === h265.bareUrl ? probeOf() : null))).toMatchObject({
      video: { codec: 'h265' },
      audio: { codec: 'opus', sample_rate: 48000 },
    });
    expect(h264.connections()).toBe(1);
    expect(h265.connections()).toBe(1);
  }, 60_000);

  it('unknown camera or source: 404 in the error shape', async () => {
    const s = await server();
    await s.request('POST', '/api/cameras', { id: 'c', name: 'C', sources: [{ id: 'main', url: `rtsp://127.0.0.1:${await freePort()}/x` }] });
    for (const path of [probePath('ghost'), probePath('c', 'ghost')]) {
      const res = await s.request('POST', path);
      expect(res.status).toBe(404);
      expect(res.json.error).toMatchObject({ code: 'not_found' });
    }
  });
});

describe('probing through the engine', () => {
  it.runIf(REAL_ENGINES.mediamtx)(
    'a published source is read from its engine path (real engine only: the MediaMTX double serves no RTSP); the camera sees only the engine',
    async () => {
      const cam = await camera({ codec: 'h265', audio: 'opus', username: 'cam', password: 'engine-pass-3Jq' });
      const s = await server({ mediamtxPath: ENGINE_BINS.mediamtx, autoStartEngine: true });
      await waitFor('the engine runs', () => s.streaming.engine.status().state === 'running');
      await s.request('POST', '/api/cameras', { id: 'drive', name: 'Drive', sources: [{ id: 'main', url: cam.bareUrl, username: 'cam', password: 'engine-pass-3Jq' }] });
      const res = await s.request('POST', probePath('drive'));
      expect(res.status).toBe(200);
      expect(res.json.probe).toMatchObject({ via: 'engine', error: null, video: { codec: 'h265', width: 640, height: 360 }, audio: { codec: 'opus', sample_rate: 48000 } });
      expect(cam.connections()).toBe(1);
      expect(await readdir(probeInputDir(s.dataDir)).catch(() => [])).toEqual([]);
    },
    90_000,
  );
});
