import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/fixtures/proc-helpers.js';
import { createLogger } from '../shared/logger.js';
import { guarded } from './guard.js';
import { createIngressTrust, INGRESS_PEERS } from './ingress-trust.js';

function setup() {
  const { logger, lines: logs } = captureLogger();
  const trust = createIngressTrust({ logger });
  const app = new Hono().get('/api/streams/engine/status', (c) => c.json({ ok: true })).post('/api/cameras', (c) => c.json({ created: true }, 201));
  const fetch = guarded(app, trust.middleware);
  /** A request as @hono/node-server hands it over, with the socket peer the test chooses. */
  const from = (peer: string | null, path: string, init: RequestInit = {}) =>
    fetch(
      new Request(`http://addon${path}`, init),
      peer === null ? undefined : { incoming: { socket: { remoteAddress: peer, remotePort: 40000, remoteFamily: peer.includes(':') ? 'IPv6' : 'IPv4' } } },
    );
  return { logs, trust, from };
}

describe('ingress trust (peer injected through the connection info)', () => {
  it.each(INGRESS_PEERS)('answers the ingress proxy at %s', async (peer) => {
    const res = await setup().from(peer, '/api/streams/engine/status');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it.each(['172.30.32.1', '172.30.33.5', '127.0.0.1', '::1', '::ffff:127.0.0.1', '192.168.1.20'])('refuses %s with a 403 JSON error', async (peer) => {
    const res = await setup().from(peer, '/api/streams/engine/status');
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toMatchObject({ error: { code: 'not_ingress' } });
  });

  it('a forged X-Forwarded-For (or X-Real-IP, Forwarded) does not help', async () => {
    const res = await setup().from('192.168.1.20', '/api/streams/engine/status', {
      headers: { 'x-forwarded-for': '172.30.32.2', 'x-real-ip': '172.30.32.2', forwarded: 'for=172.30.32.2' },
    });
    expect(res.status).toBe(403);
  });

  it('refuses a request without socket bindings: nothing proves where it came from', async () => {
    expect((await setup().from(null, '/api/streams/engine/status')).status).toBe(403);
  });

  it('logs the Home Assistant user of a write, not of a read', async () => {
    const { logs, from } = setup();
    const user = { 'x-remote-user-id': 'u-1', 'x-remote-user-name': 'ana', 'x-remote-user-display-name': `Ana Silva${'x'.repeat(300)}` };
    await from('172.30.32.2', '/api/streams/engine/status', { headers: user });
    expect(logs.filter((l) => l.includes('write by a Home Assistant user'))).toEqual([]);
    const res = await from('172.30.32.2', '/api/cameras', { method: 'POST', headers: user });
    expect(res.status).toBe(201);
    const line = JSON.parse(logs.find((l) => l.includes('write by a Home Assistant user'))!);
    expect(line).toMatchObject({ method: 'POST', path: '/api/cameras', status: 201, user_id: 'u-1', user_name: 'ana', user_display_name: `Ana Silva${'x'.repeat(119)}` });
  });

  it('remembers the ingress prefix the proxy sent (only a well-formed one)', async () => {
    const { trust, from } = setup();
    await from('172.30.32.2', '/api/streams/engine/status', { headers: { 'x-ingress-path': '/evil' } });
    expect(trust.lastPrefix()).toBeNull();
    await from('172.30.32.2', '/api/streams/engine/status', { headers: { 'x-ingress-path': '/api/hassio_ingress/AbC_1-2' } });
    expect(trust.lastPrefix()).toBe('/api/hassio_ingress/AbC_1-2');
  });

  it('warns once per refused peer, then logs at debug (the health check knocks every 30 s)', async () => {
    const { logs, from } = setup();
    for (let i = 0; i < 3; i++) await from('127.0.0.1', '/api/streams/engine/status');
    const refusals = logs.map((l) => JSON.parse(l)).filter((l) => l.msg?.startsWith('refused a connection'));
    expect(refusals.map((l) => l.level)).toEqual([40, 20, 20]);
  });

  it('needs at least one trusted peer', () => {
    expect(() => createIngressTrust({ logger: createLogger('silent'), peers: [] })).toThrow(/at least one trusted peer/);
  });
});
