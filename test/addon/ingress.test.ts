import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, LOOPBACK_PEERS, startAddonServer, upgrade, type AddonServer } from './harness.js';

/**
 * The ingress port over real sockets on 127.0.0.1. The test cannot be 172.30.32.2, so: with the
 * default trusted peers every request here comes from an untrusted peer; with loopback as the
 * trusted stand-in, the same requests show what the ingress proxy gets. (The exact addresses are
 * covered with injected peers in src/addon/ingress-trust.test.ts.)
 */

const ws = (base: string) => base.replace(/^http/, 'ws');

describe('add-on mode, a peer other than the ingress proxy', () => {
  let s: AddonServer;
  beforeAll(async () => {
    s = await startAddonServer({ mode: 'addon', directPort: null });
  });
  afterAll(() => s.close());

  it.each(['/', '/api/streams/engine/status', '/api/streams/addon', '/api/cameras', '/api/streams/home-assistant/cameras'])('GET %s is refused with 403 JSON', async (path) => {
    const res = await call(s.ingress, 'GET', path);
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ error: { code: 'not_ingress' } });
  });

  it('refuses writes before they happen', async () => {
    const res = await call(s.ingress, 'POST', '/api/cameras', { body: { name: 'Sneaky', sources: [] } });
    expect(res.status).toBe(403);
    expect(s.streaming.store.get().cameras).toEqual([]);
  });

  it('a forged X-Forwarded-For naming the proxy does not help', async () => {
    const res = await call(s.ingress, 'GET', '/api/streams/engine/status', { headers: { 'x-forwarded-for': '172.30.32.2', 'x-real-ip': '172.30.32.2' } });
    expect(res.status).toBe(403);
  });

  it('refuses WebSocket upgrades (writers with the API token, MSE, JSMpeg) with the same 403', async () => {
    for (const path of [`/api/streams/writers/ws?transmission_id=t&writer_id=w&token=${s.apiToken()}`, '/api/streams/media/mse/p/ws?media_token=x', '/api/streams/media/jsmpeg/p/ws?media_token=x']) {
      const res = await upgrade(ws(s.ingress) + path, { 'x-forwarded-for': '172.30.32.2' });
      expect(res, path).toMatchObject({ status: 403, body: { error: { code: 'not_ingress' } } });
    }
  });

  it('logs the refused peer', () => {
    expect(s.logs.some((l) => l.includes('refused a connection that is not from the ingress proxy') && l.includes('127.0.0.1'))).toBe(true);
  });
});

describe('add-on mode, the trusted peer (loopback standing in for 172.30.32.2)', () => {
  let s: AddonServer;
  beforeAll(async () => {
    s = await startAddonServer({ mode: 'addon', trustedPeers: LOOPBACK_PEERS, directPort: null, supervisorToken: 'tok', supervisorUrl: 'http://127.0.0.1:9' });
  });
  afterAll(() => s.close());

  it('answers the API and the panel', async () => {
    expect((await call(s.ingress, 'GET', '/api/streams/engine/status')).status).toBe(200);
    const page = await call(s.ingress, 'GET', '/', { headers: { 'x-ingress-path': '/api/hassio_ingress/tok3n' } });
    expect(page.status).toBe(200);
  });

  it('GET /api/streams/addon says add-on mode, the prefix seen, the ports; no secret', async () => {
    const res = await call(s.ingress, 'GET', '/api/streams/addon', { headers: { 'x-ingress-path': '/api/hassio_ingress/tok3n' } });
    expect(res.json).toMatchObject({
      mode: 'addon',
      ingress: { enforced: true, trusted_peers: LOOPBACK_PEERS, prefix_seen: '/api/hassio_ingress/tok3n' },
      direct_port: { enabled: false, port: null },
      supervisor: { token_present: true },
      home_assistant_api: { reachable: false },
    });
    const text = res.buf.toString();
    expect(text).not.toContain(s.apiToken());
    expect(text).not.toContain('"tok"');
  });

  it('logs the Home Assistant user of a write', async () => {
    const res = await call(s.ingress, 'POST', '/api/cameras', {
      body: { id: 'porch', name: 'Porch', sources: [{ url: 'rtsp://192.0.2.30/1' }] },
      headers: { 'x-remote-user-id': 'abc123', 'x-remote-user-name': 'ana', 'x-remote-user-display-name': 'Ana' },
    });
    expect(res.status).toBe(201);
    const line = s.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'write by a Home Assistant user');
    expect(line).toMatchObject({ method: 'POST', path: '/api/cameras', status: 201, user_id: 'abc123', user_name: 'ana', user_display_name: 'Ana' });
  });

  it('lets WebSocket upgrades through to their handlers; a frame writer needs no token through ingress', async () => {
    const tx = await call(s.ingress, 'POST', '/api/streams/transmissions', { body: { name: 'Drawn' } });
    expect(tx.status).toBe(201);
    expect(await upgrade(`${ws(s.ingress)}/api/streams/writers/ws?transmission_id=${tx.json.id}&writer_id=w1`)).toMatchObject({ status: 101 });
    // The MSE handler itself answers: past the gate, its own token check.
    expect(await upgrade(`${ws(s.ingress)}/api/streams/media/mse/p/ws`)).toMatchObject({ status: 401, body: { error: { code: 'missing_token' } } });
  });
});

describe('development mode (no Supervisor)', () => {
  let s: AddonServer;
  beforeAll(async () => {
    s = await startAddonServer({ directPort: null });
  });
  afterAll(() => s.close());

  it('works on localhost as before, without a direct port', async () => {
    expect((await call(s.ingress, 'GET', '/api/streams/engine/status')).status).toBe(200);
    expect(s.listening.direct).toBeNull();
    expect((await call(s.ingress, 'GET', '/api/streams/addon')).json).toMatchObject({ mode: 'dev', ingress: { enforced: false }, direct_port: { enabled: false } });
  });

  it('a frame writer still needs the API token', async () => {
    const tx = await call(s.ingress, 'POST', '/api/streams/transmissions', { body: { name: 'Drawn' } });
    const base = `${ws(s.ingress)}/api/streams/writers/ws?transmission_id=${tx.json.id}&writer_id=w1`;
    expect(await upgrade(base)).toMatchObject({ status: 401 });
    expect(await upgrade(`${base}&token=${s.apiToken()}`)).toMatchObject({ status: 101 });
  });
});
