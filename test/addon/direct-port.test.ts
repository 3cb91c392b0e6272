import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startAddonServer, upgrade, type AddonServer } from './harness.js';

/**
 * The direct port over real sockets, in add-on mode with the real ingress peer list (so 127.0.0.1
 * is refused on the ingress port): on the direct port only tokens count, never the peer.
 */

let s: AddonServer;
let front: { transmission_id: string; engine_path: string; still_image_url: string };
let yard: { transmission_id: string; engine_path: string; still_image_url: string };

beforeAll(async () => {
  // The add-on host name is what Home Assistant Core connects to; here, loopback.
  s = await startAddonServer({ mode: 'addon', fallbackHostname: '127.0.0.1' });
  const token = s.apiToken();
  for (const id of ['front', 'yard']) {
    const res = await call(s.direct, 'POST', '/api/cameras', {
      token,
      body: { id, name: id, sources: [{ id: 'main', url: `rtsp://192.0.2.40/${id}`, username: 'admin', password: 'camera-secret' }] },
    });
    expect(res.status).toBe(201);
  }
  const list = await call(s.direct, 'GET', '/api/streams/home-assistant/cameras', { token });
  expect(list.status).toBe(200);
  [front, yard] = ['front', 'yard'].map((id) => list.json.cameras.find((c: { camera_id: string }) => c.camera_id === id));
});
afterAll(() => s.close());

/** Every route the app serves, with sample parameters. */
function routes(): { method: string; path: string }[] {
  const seen = new Map<string, { method: string; path: string }>();
  for (const r of s.streaming.app.routes) {
    const method = r.method === 'ALL' ? 'GET' : r.method;
    const path = r.path.replace(/:[A-Za-z_]+/g, 'x').replace(/\*/g, 'x/y');
    seen.set(`${method} ${path}`, { method, path });
  }
  return [...seen.values()];
}

describe('no token', () => {
  it('every route of the app answers 401 JSON', async () => {
    const all = routes();
    expect(all.length).toBeGreaterThan(50);
    expect(all.map((r) => r.path)).toContain('/api/streams/transmissions/x/still.jpg');
    for (const { method, path } of all) {
      const res = await call(s.direct, method, path, method === 'GET' || method === 'HEAD' ? {} : { body: {} });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.json, `${method} ${path}`).toMatchObject({ error: { code: 'missing_token' } });
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
  });

  it('a wrong bearer token is refused on every route too', async () => {
    for (const { method, path } of routes()) {
      const res = await call(s.direct, method, path, { token: 'not-the-api-token' });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.json.error.code).toBe('invalid_token');
    }
  });

  it('WebSocket upgrades (writers, MSE, JSMpeg) answer 401', async () => {
    const ws = s.direct.replace(/^http/, 'ws');
    for (const path of ['/api/streams/writers/ws?transmission_id=t&writer_id=w', `/api/streams/media/mse/${front.engine_path}/ws`, `/api/streams/media/jsmpeg/${front.engine_path}/ws`]) {
      expect(await upgrade(ws + path), path).toMatchObject({ status: 401, body: { error: { code: 'missing_token' } } });
      expect(await upgrade(ws + path, { authorization: 'Bearer nope' }), path).toMatchObject({ status: 401, body: { error: { code: 'invalid_token' } } });
    }
  });
});

describe('a media token opens only its own stream', () => {
  it('the still image URL handed to Home Assistant works as is', async () => {
    const res = await call(front.still_image_url, 'GET', '');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect([res.buf[0], res.buf[1]]).toEqual([0xff, 0xd8]);
  });

  it("another transmission's still with that token: 403", async () => {
    const token = new URL(front.still_image_url).searchParams.get('media_token')!;
    const res = await call(s.direct, 'GET', `/api/streams/transmissions/${yard.transmission_id}/still.jpg?media_token=${encodeURIComponent(token)}`);
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ error: { code: 'token_scope' } });
    // And the other way round, the yard's own token opens the yard's still.
    expect((await call(yard.still_image_url, 'GET', '')).status).toBe(200);
  });

  it('the rest of the API, writes and other transports: 403', async () => {
    const q = `media_token=${encodeURIComponent(new URL(front.still_image_url).searchParams.get('media_token')!)}`;
    for (const [method, path] of [
      ['GET', `/api/cameras?${q}`],
      ['GET', `/api/streams/transmissions/${front.transmission_id}/playback-plan?${q}`],
      ['POST', `/api/streams/transmissions/${front.transmission_id}/demand/heartbeat?${q}`],
      // A still token is not an HLS token.
      ['GET', `/api/streams/media/hls/${front.engine_path}/index.m3u8?${q}`],
    ] as const) {
      const res = await call(s.direct, method, path);
      expect(res.status, path).toBe(403);
      expect(res.json.error.code).toBe('token_scope');
    }
  });

  it('a forged or expired-looking token: 401', async () => {
    const res = await call(s.direct, 'GET', `/api/streams/transmissions/${front.transmission_id}/still.jpg?media_token=abc.def`);
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe('invalid_token');
  });

  it("WebSocket: a stream's own token passes the port; another stream's is refused by its handler", async () => {
    const urls = await call(s.direct, 'GET', `/api/streams/transmissions/${front.transmission_id}/urls`, { token: s.apiToken() });
    const jsmpeg = urls.json.urls.find((u: { protocol: string }) => u.protocol === 'jsmpeg').url as string;
    const ws = s.direct.replace(/^http/, 'ws');
    expect(await upgrade(ws + jsmpeg)).toMatchObject({ status: 101 });
    const foreign = jsmpeg.replace(front.engine_path, yard.engine_path);
    expect(await upgrade(ws + foreign)).toMatchObject({ status: 403, body: { error: { code: 'token_scope' } } });
  });
});

describe('the API token', () => {
  it('opens the API: reads, writes and the Home Assistant camera list', async () => {
    const token = s.apiToken();
    expect((await call(s.direct, 'GET', '/api/cameras', { token })).json).toHaveLength(2);
    expect((await call(s.direct, 'PUT', '/api/cameras/yard', { token, body: { name: 'Yard', sources: [{ id: 'main', url: 'rtsp://192.0.2.40/yard' }] } })).status).toBe(200);
    expect((await call(s.direct, 'GET', '/api/streams/addon', { token })).json).toMatchObject({ mode: 'addon', direct_port: { enabled: true, port: s.directPort } });
  });

  it('opens the frame writer WebSocket (header or ?token=)', async () => {
    const token = s.apiToken();
    const tx = await call(s.direct, 'POST', '/api/streams/transmissions', { token, body: { name: 'Drawn' } });
    const path = `${s.direct.replace(/^http/, 'ws')}/api/streams/writers/ws?transmission_id=${tx.json.id}&writer_id=w1`;
    expect(await upgrade(path, { authorization: `Bearer ${token}` })).toMatchObject({ status: 101 });
    expect(await upgrade(`${path}&token=${token}`)).toMatchObject({ status: 101 });
  });

  it('the ingress port of the same server still refuses this peer', async () => {
    expect((await call(s.ingress, 'GET', '/api/cameras', { token: s.apiToken() })).status).toBe(403);
  });
});

describe("a peer's shared secret (issue 14)", () => {
  const SECRET = 'shared-with-the-nas-0042';
  const asPeer = (id = 'nas', secret = SECRET) => ({ headers: { 'x-toposync-peer': id, authorization: `Bearer ${secret}` } });
  beforeAll(async () => {
    const res = await call(s.direct, 'PATCH', '/api/streams/settings', { token: s.apiToken(), body: { peers: [{ id: 'nas', base_url: 'http://127.0.0.1:9', secret: SECRET }] } });
    expect(res.status).toBe(200);
  });

  it('opens the peer paths: the ping, the settings share, the internal URLs and a forwarded still', async () => {
    expect((await call(s.direct, 'GET', '/api/streams/distributed/ping/nas', asPeer())).status).toBe(200);
    expect((await call(s.direct, 'GET', '/api/streams/distributed/settings/nas', asPeer())).status).toBe(200);
    // Not hosted for that peer: the route's own answer, past the port's guard.
    expect((await call(s.direct, 'GET', `/api/streams/internal/transmissions/${front.transmission_id}/urls`, asPeer())).status).toBe(404);
  });

  it('opens nothing else, and a wrong secret or another peer id opens nothing', async () => {
    for (const path of ['/api/streams/settings', '/api/cameras', '/api/streams/home-assistant/cameras']) {
      expect((await call(s.direct, 'GET', path, asPeer())).status, path).toBe(401);
    }
    expect((await call(s.direct, 'GET', '/api/streams/distributed/ping/nas', asPeer('nas', 'not-the-shared-secret'))).status).toBe(401);
    expect((await call(s.direct, 'GET', '/api/streams/distributed/ping/nas', asPeer('garage'))).status).toBe(401);
    // Without X-Toposync-Peer the secret is just a wrong API token.
    expect((await call(s.direct, 'GET', '/api/streams/distributed/ping/nas', { headers: { authorization: `Bearer ${SECRET}` } })).status).toBe(401);
  });
});
