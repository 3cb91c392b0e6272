import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createRequestGuard, hostName } from './request-guard.js';
import { onApiError } from './errors.js';

/** The guard in front of one echoing route, with the app's error rendering. Real sockets: test/api/request-guard.test.ts. */
function appWith(allowedHosts: readonly string[] | 'any') {
  const app = new Hono();
  app.use(createRequestGuard({ allowedHosts }).middleware);
  app.post('/echo', async (c) => c.json({ got: await c.req.text() }));
  app.post('/api/streams/transmissions/:id/webrtc/offer', async (c) => c.text(await c.req.text()));
  app.onError(onApiError(null));
  return app;
}

describe('hostName', () => {
  it.each([
    ['cams.example', 'cams.example'],
    ['  CAMS.Example. ', 'cams.example'],
    ['192.168.1.10', '192.168.1.10'],
    ['::1', '[::1]'],
    ['[fe80::1]', '[fe80::1]'],
    ['bücher.example', 'xn--bcher-kva.example'],
  ])('%j is the host %j', (input, expected) => {
    expect(hostName(input)).toBe(expected);
  });

  it.each(['', 'http://cams.example', 'cams.example:8100', '*.example', 'cams.example/x', 'user@cams.example', 'a b', '[::1]:80', '%65vil'])('%j is not a host name', (input) => {
    expect(hostName(input)).toBeNull();
  });
});

describe('createRequestGuard', () => {
  it('refuses an allowed host that is not one, at start-up', () => {
    expect(() => createRequestGuard({ allowedHosts: ['cams.example', 'https://cams.example'] })).toThrow(/"https:\/\/cams.example" is not a host name/);
  });

  it('reads an in-process body it had to look at (no length header) without taking it from the route', async () => {
    const res = await appWith([]).request('/echo', { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
    expect(await res.json()).toEqual({ got: '{"a":1}' });
    // Bytes, unlike a string, get no content type.
    const plain = await appWith([]).request('/echo', { method: 'POST', body: new TextEncoder().encode('{"a":1}') });
    expect(plain.status).toBe(415);
    expect(await plain.json()).toMatchObject({ error: { code: 'unsupported_media_type', field: 'content-type', message: expect.stringContaining('no content type') } });
  });

  it('takes the raw type of a route that has one, and names it when refusing', async () => {
    const app = appWith([]);
    expect((await app.request('/api/streams/transmissions/t/webrtc/offer', { method: 'POST', body: 'v=0', headers: { 'content-type': 'application/sdp' } })).status).toBe(200);
    const refused = await app.request('/api/streams/transmissions/t/webrtc/offer', { method: 'POST', body: 'v=0', headers: { 'content-type': 'text/plain' } });
    expect(refused.status).toBe(415);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('application/sdp');
  });

  it("'any' host (add-on mode) still checks Origin against the Host", async () => {
    const app = appWith('any');
    const headers = { host: 'homeassistant.local:8123', 'content-type': 'application/json' };
    expect((await app.request('/echo', { method: 'POST', body: '{}', headers: { ...headers, origin: 'http://homeassistant.local:8123' } })).status).toBe(200);
    expect((await app.request('/echo', { method: 'POST', body: '{}', headers: { ...headers, origin: 'http://evil.example' } })).status).toBe(403);
  });

  it('an X-Forwarded-Host counts only from an ingress peer (none without a socket)', async () => {
    const res = await appWith('any').request('/echo', {
      method: 'POST',
      body: '{}',
      headers: { host: '127.0.0.1:8100', origin: 'https://ha.example', 'x-forwarded-host': 'ha.example', 'content-type': 'application/json' },
    });
    expect(res.status).toBe(403);
  });
});
