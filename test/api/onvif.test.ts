import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ENDPOINT } from '../doubles/onvif/discovery.js';
import { startOnvifResponder, type Responder } from '../doubles/onvif/responder.js';
import { startLiveServer, type LiveServer } from '../runtime/server-harness.js';
import { waitFor } from '../support/wait.js';

// The whole server, its discovery aimed at the responder's unicast socket on 127.0.0.1: no packet leaves loopback.
const credentials = { username: 'op<&"', password: 'pa<&"ss' };
let camera: Responder;
let server: LiveServer;
const others: Responder[] = [];

beforeAll(async () => {
  camera = await startOnvifResponder({ credentials, clockSkewMs: 2 * 3600_000 });
  server = await startLiveServer({ onvif: { discoveryTarget: { address: '127.0.0.1', port: camera.discoveryPort } } });
});
afterAll(async () => {
  await server.close();
  await camera.close();
});
afterEach(async () => {
  await Promise.all(others.splice(0).map((r) => r.close()));
});

const importBody = (over: Record<string, unknown> = {}) => ({ host: '127.0.0.1', port: camera.port, ...credentials, ...over });

describe('ONVIF discovery API', () => {
  it('scans (one at a time), is polled until done, and lists the responder', async () => {
    const first = await server.request('POST', '/api/cameras/discover', { timeout_ms: 3000 });
    expect(first.status).toBe(202);
    expect(first.json).toMatchObject({ state: 'running', devices: [], error: null });
    expect(Date.parse(first.json.ends_at) - Date.parse(first.json.started_at)).toBe(3000);
    // A second POST while the scan runs answers that scan.
    const again = await server.request('POST', '/api/cameras/discover', {});
    expect(again.status).toBe(202);
    expect(again.json.id).toBe(first.json.id);

    const done = await waitFor('the scan ends', async () => {
      const res = await server.request('GET', `/api/cameras/discover/${first.json.id}`);
      return res.json.state === 'done' ? res : null;
    });
    expect(done.status).toBe(200);
    expect(done.json.devices).toEqual([
      {
        endpoint: DEFAULT_ENDPOINT,
        host: '127.0.0.1',
        port: camera.port,
        device_url: `http://127.0.0.1:${camera.port}/onvif/device_service`,
        name: 'Front Door Double',
        hardware: 'ONVIF-Responder',
        camera_id: null,
      },
    ]);
    expect((await server.request('GET', '/api/cameras/discover/no-such-scan')).status).toBe(404);
  });

  it.each([
    [{ timeout_ms: 100 }, 'timeout_ms'],
    [{ timeout_ms: 20_000 }, 'timeout_ms'],
    [{ timeout_ms: 1000.5 }, 'timeout_ms'],
    [{ seconds: 3 }, 'seconds'],
  ])('refuses %j naming %s', async (body, field) => {
    const res = await server.request('POST', '/api/cameras/discover', body);
    expect(res.status).toBe(422);
    expect(res.json.error.field).toBe(field);
  });
});

describe('ONVIF import API', () => {
  it('a dry run shows the profiles with roles and the camera to be made, stores nothing and shows no credential', async () => {
    const res = await server.request('POST', '/api/cameras/onvif/import', importBody({ dry_run: true }));
    expect(res.status).toBe(200);
    expect(res.json.device).toEqual({ manufacturer: 'Double & Co', model: 'ONVIF-Responder', firmware: '1.0.0', serial: '0012' });
    expect(res.json.profiles.map((p: any) => [p.token, p.role, p.width, p.height, p.stream_url])).toEqual([
      ['prof_main', 'main', 1920, 1080, 'rtsp://127.0.0.1:1/main'],
      ['prof_third', 'custom', 1280, 720, 'rtsp://127.0.0.1:1/third'],
      ['prof_sub', 'sub', 640, 360, 'rtsp://127.0.0.1:1/sub'],
    ]);
    expect(res.json.camera).toEqual({
      name: 'Double & Co ONVIF-Responder',
      sources: [
        { id: 'main', role: 'main', label: 'MainStream', url: 'rtsp://127.0.0.1:1/main', publish: true, snapshot_url: 'http://127.0.0.1:1/snap/main.jpg', onvif_profile: 'prof_main' },
        { id: 'custom', role: 'custom', label: 'ThirdStream', url: 'rtsp://127.0.0.1:1/third', publish: false, snapshot_url: null, onvif_profile: 'prof_third' },
        { id: 'sub', role: 'sub', label: 'SubStream', url: 'rtsp://127.0.0.1:1/sub', publish: true, snapshot_url: 'http://127.0.0.1:1/snap/sub.jpg', onvif_profile: 'prof_sub' },
      ],
    });
    expect(JSON.stringify(res.json)).not.toContain('pa<&');
    expect(JSON.stringify(res.json)).not.toContain('secret'); // the main stream URI carried admin:secret
    expect((await server.request('GET', '/api/cameras')).json).toEqual([]);
  });

  it('imports a camera with main/custom/sub sources, stores the credentials on each source and returns none', async () => {
    const res = await server.request('POST', '/api/cameras/onvif/import', importBody({ name: 'Porch', id: 'porch' }));
    expect(res.status).toBe(201);
    expect(res.json.camera).toMatchObject({ id: 'porch', name: 'Porch' });
    expect(res.json.camera.sources.map((s: any) => [s.id, s.role, s.publish, s.has_credentials, s.onvif_profile])).toEqual([
      ['main', 'main', true, true, 'prof_main'],
      ['custom', 'custom', false, true, 'prof_third'],
      ['sub', 'sub', true, true, 'prof_sub'],
    ]);
    expect(JSON.stringify(res.json)).not.toContain('pa<&');
    const stored = JSON.parse(await readFile(join(server.dataDir, 'settings.json'), 'utf8'));
    const porch = stored.cameras.find((c: any) => c.id === 'porch');
    expect(porch.sources.map((s: any) => [s.username, s.password])).toEqual(Array(3).fill([credentials.username, credentials.password]));
    expect(server.logs.join('\n')).not.toContain('pa<&');

    // The device found by a scan now names the camera pulling from its host.
    const scan = await server.request('POST', '/api/cameras/discover', { timeout_ms: 3000 });
    const found = await waitFor('the scan finds the responder', async () => {
      const r = await server.request('GET', `/api/cameras/discover/${scan.json.id}`);
      return r.json.devices.length > 0 ? r : null;
    });
    expect(found.json.devices[0].camera_id).toBe('porch');

    const twice = await server.request('POST', '/api/cameras/onvif/import', importBody({ id: 'porch' }));
    expect(twice.status).toBe(409);
    expect(twice.json.error).toMatchObject({ code: 'already_exists', field: 'id' });
  });

  it('a wrong password is 422 onvif_unauthorized naming the password field, and the password shows nowhere', async () => {
    const res = await server.request('POST', '/api/cameras/onvif/import', importBody({ password: 'wrong-horse' }));
    expect(res.status).toBe(422);
    expect(res.json.error).toEqual({ code: 'onvif_unauthorized', message: 'the camera refused the user name or password', field: 'password' });
    expect(server.logs.join('\n')).not.toContain('wrong-horse');
  });

  it('a web server that is no camera is 422 onvif_not_a_device', async () => {
    const page = await startOnvifResponder({ mode: 'html' });
    others.push(page);
    const res = await server.request('POST', '/api/cameras/onvif/import', importBody({ port: page.port }));
    expect(res.status).toBe(422);
    expect(res.json.error).toMatchObject({ code: 'onvif_not_a_device', field: 'host' });
  });

  it.each([
    [{ host: 'http://127.0.0.1' }, 'host'],
    [{ host: '127.0.0.1:80' }, 'host'],
    [{ port: 0 }, 'port'],
    [{ device_path: 'onvif' }, 'device_path'],
    [{ id: 'Not A Slug' }, 'id'],
    [{ dry_run: 'yes' }, 'dry_run'],
    [{ channel: 1 }, 'channel'],
  ])('refuses %j naming %s', async (over, field) => {
    const res = await server.request('POST', '/api/cameras/onvif/import', importBody(over));
    expect(res.status).toBe(422);
    expect(res.json.error.field).toBe(field);
  });
});

describe('ONVIF import of a camera that never answers', () => {
  it('is 504 onvif_no_answer after the injected request timeout', async () => {
    const silent = await startOnvifResponder({ mode: 'silent' });
    others.push(silent);
    const short = await startLiveServer({ onvif: { requestTimeoutMs: 200 } });
    try {
      const res = await short.request('POST', '/api/cameras/onvif/import', { host: '127.0.0.1', port: silent.port });
      expect(res.status).toBe(504);
      expect(res.json.error).toEqual({ code: 'onvif_no_answer', message: `no answer from 127.0.0.1:${silent.port} within 0.2 s`, field: 'host' });
    } finally {
      await short.close();
    }
  });
});
