import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startSupervisorDouble, type SupervisorDouble } from './server.js';

/** The double holds callers to what Supervisor and Home Assistant Core would refuse. */

const TOKEN = 'double-token';
let d: SupervisorDouble;
beforeAll(async () => {
  d = await startSupervisorDouble({ token: TOKEN });
});
afterAll(() => d.close());

const post = async (path: string, body: unknown, token = TOKEN) => {
  const res = await fetch(d.url + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as any };
};

describe('Supervisor / Core double', () => {
  it('answers 401 without the bearer token, and records the request', async () => {
    const res = await fetch(`${d.url}/core/api/`);
    expect(res.status).toBe(401);
    expect((await post('/core/api/config/config_entries/flow', { handler: 'generic' }, 'other')).status).toBe(401);
    expect(d.requests.at(-1)).toMatchObject({ path: '/core/api/config/config_entries/flow', authorization: 'Bearer other' });
  });

  it('serves the add-on host name and the Core API root', async () => {
    const info = await fetch(`${d.url}/addons/self/info`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await info.json()).toMatchObject({ result: 'ok', data: { hostname: 'a0d7b954-toposync-streaming' } });
    const root = await fetch(`${d.url}/core/api/`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await root.json()).toEqual({ message: 'API running.' });
  });

  it('validates flow input like voluptuous (400 {"errors"}), refuses unknown handlers and flows', async () => {
    expect(await post('/core/api/config/config_entries/flow', { handler: 'nope' })).toEqual({ status: 404, json: { message: 'Invalid handler specified' } });
    const flow = await post('/core/api/config/config_entries/flow', { handler: 'generic' });
    expect(flow.json).toMatchObject({ type: 'form', step_id: 'user', errors: {} });
    const path = `/core/api/config/config_entries/flow/${flow.json.flow_id}`;
    expect(await post(path, { stream_source: 'rtsp://x/y', bogus: 1 })).toEqual({
      status: 400,
      json: { errors: { bogus: 'extra keys not allowed', advanced: 'required key not provided' } },
    });
    expect((await post(path, { stream_source: 'rtsp://x/y', advanced: { framerate: 2, rtsp_transport: 'smoke' } })).json).toEqual({ errors: { 'advanced.rtsp_transport': 'expected select' } });
    expect((await post('/core/api/config/config_entries/flow/unknown', {})).status).toBe(404);
  });

  it('refuses a WebSocket that does not authenticate with the token', async () => {
    const ws = new WebSocket(`${d.url.replace('http', 'ws')}/core/websocket`);
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      ws.on('message', (m) => {
        const msg = JSON.parse((m as Buffer).toString());
        seen.push(msg.type);
        if (msg.type === 'auth_required') ws.send(JSON.stringify({ type: 'auth', access_token: 'wrong' }));
      });
      ws.on('close', () => resolve());
    });
    expect(seen).toEqual(['auth_required', 'auth_invalid']);
  });
});
