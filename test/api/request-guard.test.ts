import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, LOOPBACK_PEERS, startAddonServer, upgrade, type AddonServer } from '../addon/harness.js';
import { startLiveServer, type LiveServer } from '../runtime/server-harness.js';
import { jsonOrNull } from '../support/json.js';

/**
 * What a web page the user happens to visit can do to the server (issue 10, point 3): cross-site
 * writes, DNS rebinding (a foreign name resolving to 127.0.0.1) and cross-site WebSocket hijacking,
 * over real sockets on 127.0.0.1 against the composed server. node:http sets Host, Origin and
 * Sec-Fetch-Site as a browser would; a browser cannot choose them, the attacker's page can only
 * pick where it is served from.
 */

interface Answer {
  status: number;
  json: any;
}

/** One request with exactly these headers (fetch would not let a test choose Host). */
function raw(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path: url.pathname + url.search, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, json: jsonOrNull(text) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const camera = JSON.stringify({ id: 'sneaky', name: 'Sneaky', sources: [{ url: 'rtsp://192.0.2.66/1' }] });
const ws = (base: string) => base.replace(/^http/, 'ws');

describe('development mode (127.0.0.1, no auth)', () => {
  let s: LiveServer;
  let host: string;
  let writerUrl: string;
  beforeAll(async () => {
    s = await startLiveServer();
    host = new URL(s.base).host;
    const tx = await s.request('POST', '/api/streams/transmissions', { name: 'Drawn' });
    expect(tx.status).toBe(201);
    writerUrl = `${ws(s.base)}/api/streams/writers/ws?transmission_id=${tx.json.id}&writer_id=w1&token=${s.streaming.store.get().streaming.api_token}`;
  });
  afterAll(() => s.close());

  const settingsNow = async () => (await s.request('GET', '/api/streams/settings')).json;
  const cameraIds = () => s.streaming.store.get().cameras.map((c) => c.id);

  describe('content type of writes', () => {
    it('POST /api/cameras as text/plain (what a cross-site form or no-cors fetch sends) is 415 naming content-type; nothing stored', async () => {
      const res = await raw(s.base, 'POST', '/api/cameras', { 'content-type': 'text/plain' }, camera);
      expect(res).toMatchObject({ status: 415, json: { error: { code: 'unsupported_media_type', field: 'content-type' } } });
      expect(cameraIds()).toEqual([]);
    });

    it.each(['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/jsonx', 'text/json'])('%s is 415 too', async (type) => {
      const res = await raw(s.base, 'POST', '/api/cameras', { 'content-type': type }, camera);
      expect(res.status).toBe(415);
      expect(res.json.error.field).toBe('content-type');
      expect(cameraIds()).toEqual([]);
    });

    it('a body without any content type is 415 (a Blob without a type sends none)', async () => {
      const res = await raw(s.base, 'PATCH', '/api/streams/settings', {}, JSON.stringify({ jsmpeg: { enabled: false } }));
      expect(res).toMatchObject({ status: 415, json: { error: { field: 'content-type' } } });
      expect(s.streaming.store.get().streaming.jsmpeg.enabled).toBe(true);
    });

    it('a chunked body without a content type is 415', async () => {
      const res = await raw(s.base, 'POST', '/api/cameras', { 'transfer-encoding': 'chunked' }, camera);
      expect(res.status).toBe(415);
      expect(cameraIds()).toEqual([]);
    });

    it.each(['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset=UTF-8'])('%s is accepted', async (type) => {
      const id = `cam-${type.length}-${type.includes('UTF') ? 'u' : 'l'}`;
      const res = await raw(s.base, 'POST', '/api/cameras', { 'content-type': type }, JSON.stringify({ id, name: id, sources: [] }));
      expect(res.status).toBe(201);
      expect(cameraIds()).toContain(id);
    });

    it('writes without a body need no content type (engine stop, prime, delete)', async () => {
      expect((await raw(s.base, 'POST', '/api/streams/engine/stop')).status).toBe(200);
      expect((await raw(s.base, 'POST', '/api/streams/engine/stop', { 'content-length': '0' })).status).toBe(200);
      await s.request('POST', '/api/cameras', { id: 'gone', name: 'Gone', sources: [] });
      expect((await raw(s.base, 'DELETE', '/api/cameras/gone')).status).toBe(204);
    });

    it('a WebRTC offer may be application/sdp (WHEP): the route answers, not the guard', async () => {
      const res = await raw(s.base, 'POST', '/api/streams/transmissions/nope/webrtc/offer', { 'content-type': 'application/sdp' }, 'v=0\r\n');
      expect(res.status).not.toBe(415);
      expect(res.status).not.toBe(403);
      expect(res.json.error.field).not.toBe('content-type');
    });

    it('application/sdp is not accepted elsewhere', async () => {
      expect((await raw(s.base, 'POST', '/api/cameras', { 'content-type': 'application/sdp' }, camera)).status).toBe(415);
    });
  });

  describe('Origin', () => {
    it('PATCH /api/streams/settings from https://evil.example is 403 naming origin; settings unchanged', async () => {
      const before = await settingsNow();
      const res = await raw(s.base, 'PATCH', '/api/streams/settings', { 'content-type': 'application/json', origin: 'https://evil.example' }, JSON.stringify({ jsmpeg: { enabled: false } }));
      expect(res).toMatchObject({ status: 403, json: { error: { code: 'cross_origin', field: 'origin' } } });
      expect(await settingsNow()).toEqual(before);
    });

    it.each([
      ['another local server', (h: string) => `http://127.0.0.1:${Number(h.split(':')[1]) + 1}`],
      ['the same host over another scheme and port', (h: string) => `https://${h.split(':')[0]}`],
      ['an opaque origin (sandboxed frame, file://)', () => 'null'],
      ['a malformed origin', () => 'not a url'],
    ])('refuses %s', async (_what, origin) => {
      const res = await raw(s.base, 'POST', '/api/cameras', { 'content-type': 'application/json', origin: origin(host) }, camera);
      expect(res.status).toBe(403);
      expect(res.json.error.field).toBe('origin');
      expect(cameraIds()).not.toContain('sneaky');
    });

    it('an X-Forwarded-Host does not make a foreign origin ours outside add-on mode', async () => {
      const res = await raw(s.base, 'POST', '/api/cameras', { 'content-type': 'application/json', origin: 'https://evil.example', 'x-forwarded-host': 'evil.example' }, camera);
      expect(res.status).toBe(403);
      expect(cameraIds()).not.toContain('sneaky');
    });

    it('refuses a GET from a foreign origin too (the response is not for that page)', async () => {
      expect((await raw(s.base, 'GET', '/api/cameras', { origin: 'https://evil.example' })).status).toBe(403);
    });

    it('Sec-Fetch-Site: cross-site is refused on writes even without an Origin', async () => {
      const res = await raw(s.base, 'POST', '/api/cameras', { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }, camera);
      expect(res).toMatchObject({ status: 403, json: { error: { field: 'origin' } } });
      expect(cameraIds()).not.toContain('sneaky');
    });

    it('a cross-site navigation to the panel (a link, GET) still opens it', async () => {
      expect((await raw(s.base, 'GET', '/api/streams/engine/status', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' })).status).toBe(200);
    });

    it('the panel itself (same origin, any loopback name) writes', async () => {
      const a = await raw(s.base, 'PATCH', '/api/streams/settings', { 'content-type': 'application/json', origin: s.base, 'sec-fetch-site': 'same-origin' }, '{}');
      expect(a.status).toBe(200);
      const port = host.split(':')[1];
      const b = await raw(s.base, 'PATCH', '/api/streams/settings', { host: `localhost:${port}`, 'content-type': 'application/json', origin: `http://localhost:${port}` }, '{}');
      expect(b.status).toBe(200);
    });

    it('curl and programs (no Origin) write', async () => {
      const res = await raw(s.base, 'POST', '/api/cameras', { 'content-type': 'application/json' }, JSON.stringify({ id: 'curl', name: 'Curl', sources: [] }));
      expect(res.status).toBe(201);
    });
  });

  describe('Host (DNS rebinding)', () => {
    it('Host: evil.example (a name resolving to 127.0.0.1) is 403 naming host, for reads and writes', async () => {
      const port = host.split(':')[1];
      const read = await raw(s.base, 'GET', '/api/cameras', { host: `evil.example:${port}` });
      expect(read).toMatchObject({ status: 403, json: { error: { code: 'host_not_allowed', field: 'host' } } });
      // After rebinding the page is same-origin with evil.example: Origin matches Host, only the Host check stops it.
      const write = await raw(s.base, 'POST', '/api/cameras', { host: `evil.example:${port}`, origin: `http://evil.example:${port}`, 'content-type': 'application/json' }, camera);
      expect(write.status).toBe(403);
      expect(write.json.error.field).toBe('host');
      expect(cameraIds()).not.toContain('sneaky');
    });

    it.each(['localhost', 'panel.localhost', '127.0.0.1', '[::1]', '192.0.2.7'])('answers Host %s (loopback names, IP literals)', async (name) => {
      expect((await raw(s.base, 'GET', '/api/streams/engine/status', { host: `${name}:${host.split(':')[1]}` })).status).toBe(200);
    });
  });

  describe('WebSocket upgrades', () => {
    it('a cross-site WebSocket (hijacking) is refused before the handshake, even with a token in the URL', async () => {
      const res = await upgrade(writerUrl, { origin: 'https://evil.example' });
      expect(res).toMatchObject({ status: 403, body: { error: { code: 'cross_origin', field: 'origin' } } });
      for (const path of ['/api/streams/media/mse/p/ws?media_token=x', '/api/streams/media/jsmpeg/p/ws?media_token=x']) {
        expect(await upgrade(ws(s.base) + path, { origin: 'https://evil.example' }), path).toMatchObject({ status: 403 });
      }
    });

    it('a rebound Host is refused on upgrades', async () => {
      const res = await upgrade(writerUrl, { host: `evil.example:${host.split(':')[1]}` });
      expect(res).toMatchObject({ status: 403, body: { error: { field: 'host' } } });
    });

    it('a writer program (no Origin, token) connects; so does the panel (same origin)', async () => {
      expect(await upgrade(writerUrl)).toMatchObject({ status: 101 });
      expect(await upgrade(writerUrl.replace('writer_id=w1', 'writer_id=w2'), { origin: s.base })).toMatchObject({ status: 101 });
    });
  });
});

describe('a host name configured for the server', () => {
  let s: LiveServer;
  beforeAll(async () => {
    s = await startLiveServer({ allowedHosts: ['cams.example'] });
  });
  afterAll(() => s.close());

  it('is answered (any port), with its own origin; other names are still refused', async () => {
    const headers = { host: 'cams.example:8100', origin: 'http://cams.example:8100', 'content-type': 'application/json' };
    expect((await raw(s.base, 'PATCH', '/api/streams/settings', headers, '{}')).status).toBe(200);
    expect((await raw(s.base, 'GET', '/api/cameras', { host: 'other.example' })).status).toBe(403);
  });
});

describe('add-on mode', () => {
  let s: AddonServer;
  beforeAll(async () => {
    s = await startAddonServer({ mode: 'addon', trustedPeers: LOOPBACK_PEERS });
  });
  afterAll(() => s.close());

  it("through ingress the Host is the user's Home Assistant address: the panel writes", async () => {
    const headers = { host: 'homeassistant.local:8123', origin: 'http://homeassistant.local:8123', 'content-type': 'application/json', 'x-ingress-path': '/api/hassio_ingress/tok' };
    expect((await raw(s.ingress, 'PATCH', '/api/streams/settings', headers, '{}')).status).toBe(200);
  });

  it('behind a proxy that rewrote Host, the ingress origin is the X-Forwarded-Host the ingress peer sends', async () => {
    const headers = { origin: 'https://ha.example', 'x-forwarded-host': 'ha.example', 'content-type': 'application/json' };
    expect((await raw(s.ingress, 'PATCH', '/api/streams/settings', headers, '{}')).status).toBe(200);
  });

  it('a foreign origin through ingress is refused, for writes and WebSockets', async () => {
    const res = await raw(s.ingress, 'POST', '/api/cameras', { host: 'homeassistant.local:8123', origin: 'https://evil.example', 'content-type': 'application/json' }, camera);
    expect(res).toMatchObject({ status: 403, json: { error: { field: 'origin' } } });
    expect(s.streaming.store.get().cameras).toEqual([]);
    expect(await upgrade(`${ws(s.ingress)}/api/streams/media/mse/p/ws`, { origin: 'https://evil.example' })).toMatchObject({ status: 403 });
  });

  it('text/plain through ingress is 415', async () => {
    expect((await raw(s.ingress, 'POST', '/api/cameras', { 'content-type': 'text/plain' }, camera)).status).toBe(415);
  });

  it("the direct port answers Home Assistant Core by the add-on's host name (token, no Origin)", async () => {
    const res = await raw(s.direct, 'GET', '/api/streams/addon', { host: 'a0d7b954-toposync-streaming:8101', authorization: `Bearer ${s.apiToken()}` });
    expect(res.status).toBe(200);
    const write = await call(s.direct, 'PATCH', '/api/streams/settings', { token: s.apiToken(), body: {} });
    expect(write.status).toBe(200);
  });
});
