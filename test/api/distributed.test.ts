import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../harness.js';

const SECRET = 'nas-shared-secret-0123456789';
const NAS = { id: 'nas', name: 'NAS', base_url: 'http://127.0.0.1:8200/', secret: SECRET };

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

const pull = (serverId: string, headers: Record<string, string>) => h.app.request(`/api/streams/distributed/settings/${serverId}`, { headers });

async function hostFrontOnNas() {
  await h.request('POST', '/api/cameras', { id: 'front', name: 'Front', sources: [{ id: 'main', url: 'rtsp://127.0.0.1:8554/front', username: 'cam', password: 'cam-pass-81' }] });
  await h.request('PUT', '/api/streams/publications/camera-sources/front/main', { host_server_id: 'nas' });
}

describe('peers in the settings', () => {
  it('are stored with their secret, shown without it, and keep it when it is omitted', async () => {
    const set = await h.request('PATCH', '/api/streams/settings', { peers: [NAS] });
    expect(set.status).toBe(200);
    expect(set.json.streaming.peers).toEqual([{ id: 'nas', name: 'NAS', base_url: 'http://127.0.0.1:8200', enabled: true, has_secret: true }]);
    // Sent back as read (no secret): the stored one stays.
    const again = await h.request('PATCH', '/api/streams/settings', { peers: set.json.streaming.peers.map((p: object) => ({ ...p, name: 'Mini PC' })) });
    expect(again.status).toBe(200);
    expect(h.store.get().streaming.peers).toEqual([{ id: 'nas', name: 'Mini PC', base_url: 'http://127.0.0.1:8200', secret: SECRET, enabled: true }]);
    expect(h.logs.join('\n')).not.toContain(SECRET);
    expect((await h.request('GET', '/api/streams/settings')).text).not.toContain(SECRET);
  });

  it.each([
    { name: 'a new peer without a secret', peers: [{ id: 'nas', base_url: 'http://127.0.0.1:8200' }], field: 'peers.0.secret' },
    { name: 'a short secret', peers: [{ ...NAS, secret: 'short' }], field: 'peers.0.secret' },
    { name: 'the same id twice', peers: [NAS, { ...NAS, name: 'again' }], field: 'peers.1.id' },
    { name: "this server's own id", peers: [{ ...NAS, id: 'local' }], field: 'peers.0.id' },
    { name: 'a base URL with credentials', peers: [{ ...NAS, base_url: 'http://u:p@127.0.0.1:8200' }], field: 'peers.0.base_url' },
  ])('refuses $name naming the field, changing nothing', async ({ peers, field }) => {
    const before = await h.settingsBytes();
    const res = await h.request('PATCH', '/api/streams/settings', { peers });
    expect(res.status).toBe(422);
    expect(res.json.error.field).toBe(field);
    expect(await h.settingsBytes()).toBe(before);
  });
});

describe('GET /api/streams/distributed/settings/{server_id}', () => {
  beforeEach(async () => {
    await h.request('PATCH', '/api/streams/settings', { peers: [NAS, { id: 'garage', base_url: 'http://127.0.0.1:8300', secret: 'garage-secret-abcdefgh', enabled: false }] });
    await hostFrontOnNas();
  });

  it.each<{ name: string; server: string; headers: Record<string, string> }>([
    { name: 'no secret', server: 'nas', headers: {} },
    { name: 'a wrong secret', server: 'nas', headers: { authorization: 'Bearer not-the-secret-at-all' } },
    { name: "another peer's secret", server: 'garage', headers: { authorization: `Bearer ${SECRET}` } },
    { name: 'a disabled peer with its own secret', server: 'garage', headers: { authorization: 'Bearer garage-secret-abcdefgh' } },
    { name: 'an unknown peer', server: 'attic', headers: { authorization: `Bearer ${SECRET}` } },
  ])('refuses $name with 401, the same answer for each', async ({ server, headers }) => {
    const res = await pull(server, headers);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const body = (await res.json()) as { error: { code: string; field: string } };
    expect(body.error).toMatchObject({ code: 'peer_unauthorized', field: 'authorization' });
  });

  it("answers the peer's subset with a version and an ETag; 304 while it is unchanged, 200 after a change", async () => {
    const res = await pull('nas', { authorization: `Bearer ${SECRET}` });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { server_id: string; version: number; digest: string; transmissions: { host_server_id: string }[]; cameras: { sources: { password: string }[] }[] };
    expect(body).toMatchObject({ server_id: 'nas', version: h.store.get().revision });
    expect(body.transmissions.map((t) => t.host_server_id)).toEqual(['nas']);
    // The host needs the camera's credentials to pull it: they go to the peer that hosts it, and only there.
    expect(body.cameras[0]!.sources[0]!.password).toBe('cam-pass-81');
    expect(res.headers.get('etag')).toBe(`"${body.digest}"`);
    expect(JSON.stringify(body)).not.toContain(SECRET);

    const same = await pull('nas', { authorization: `Bearer ${SECRET}`, 'if-none-match': `"${body.digest}"` });
    expect(same.status).toBe(304);
    // A change elsewhere bumps the version but not what the NAS runs.
    await h.request('POST', '/api/cameras', { id: 'yard', name: 'Yard', sources: [{ url: 'rtsp://127.0.0.1:8554/yard' }] });
    expect((await pull('nas', { authorization: `Bearer ${SECRET}`, 'if-none-match': `"${body.digest}"` })).status).toBe(304);
    await h.request('PUT', '/api/streams/publications/camera-sources/front/main', { label: 'Porta' });
    const changed = await pull('nas', { authorization: `Bearer ${SECRET}`, 'if-none-match': `"${body.digest}"` });
    expect(changed.status).toBe(200);
    expect(((await changed.json()) as { version: number }).version).toBeGreaterThan(body.version);
  });
});
