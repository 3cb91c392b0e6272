import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

const frontDoor = {
  name: 'Front Door',
  sources: [
    { role: 'main', url: 'rtsp://192.0.2.10:554/stream1', username: 'admin', password: 'pw-main' },
    { role: 'sub', label: 'Baixa resolução', url: 'rtsp://192.0.2.10:554/stream2' },
  ],
};

describe('cameras API', () => {
  it('creates a camera, derives ids, hides credentials and reconciles its publications', async () => {
    const res = await h.request('POST', '/api/cameras', frontDoor);
    expect(res.status).toBe(201);
    expect(res.json).toEqual({
      id: 'front-door',
      name: 'Front Door',
      sources: [
        {
          id: 'main',
          role: 'main',
          label: 'Principal',
          url: 'rtsp://192.0.2.10:554/stream1',
          publish: true,
          has_credentials: true,
          publication_id: 'camera:front-door:main',
          probe: null,
          snapshot_url: null,
          onvif_profile: null,
        },
        {
          id: 'sub',
          role: 'sub',
          label: 'Baixa resolução',
          url: 'rtsp://192.0.2.10:554/stream2',
          publish: true,
          has_credentials: false,
          publication_id: 'camera:front-door:sub',
          probe: null,
          snapshot_url: null,
          onvif_profile: null,
        },
      ],
    });
    const pubs = await h.request('GET', '/api/streams/publications?camera_id=front-door');
    expect(pubs.json.map((p: { id: string }) => p.id)).toEqual(['camera:front-door:main', 'camera:front-door:sub']);
    expect((await h.request('GET', '/api/streams/live-views')).json).toHaveLength(1);
  });

  it('lists and gets cameras', async () => {
    await h.request('POST', '/api/cameras', frontDoor);
    await h.request('POST', '/api/cameras', { ...frontDoor, id: 'garage', name: 'Garage' });
    expect((await h.request('GET', '/api/cameras')).json.map((c: { id: string }) => c.id)).toEqual(['front-door', 'garage']);
    expect((await h.request('GET', '/api/cameras/garage')).json.name).toBe('Garage');
  });

  it('gives a second camera with the same name its own id', async () => {
    await h.request('POST', '/api/cameras', frontDoor);
    expect((await h.request('POST', '/api/cameras', frontDoor)).json.id).toBe('front-door-2');
  });

  it('moves credentials typed into the URL out of it', async () => {
    const res = await h.request('POST', '/api/cameras', { name: 'Yard', sources: [{ url: 'rtsp://admin:p%40ss@192.0.2.11/live' }] });
    expect(res.json.sources[0]).toMatchObject({ url: 'rtsp://192.0.2.11/live', has_credentials: true });
    expect(h.store.get().cameras[0]!.sources[0]).toMatchObject({ username: 'admin', password: 'p@ss' });
  });

  it('PUT replaces name and sources, keeps omitted credentials and clears null ones', async () => {
    await h.request('POST', '/api/cameras', frontDoor);
    const put = await h.request('PUT', '/api/cameras/front-door', {
      name: 'Porta',
      sources: [
        { id: 'main', role: 'main', url: 'rtsp://192.0.2.10:554/stream1' },
        { id: 'sub', role: 'sub', url: 'rtsp://192.0.2.10:554/stream2', publish: false },
      ],
    });
    expect(put.status).toBe(200);
    expect(put.json.sources.map((s: { has_credentials: boolean }) => s.has_credentials)).toEqual([true, false]);
    expect(h.store.get().cameras[0]!.sources[0]!.password).toBe('pw-main');
    const cleared = await h.request('PUT', '/api/cameras/front-door', { name: 'Porta', sources: [{ id: 'main', url: 'rtsp://192.0.2.10/1', username: null, password: null }] });
    expect(cleared.json.sources[0].has_credentials).toBe(false);
  });

  it('deleting a camera removes its generated artifacts', async () => {
    await h.request('POST', '/api/cameras', frontDoor);
    expect((await h.request('DELETE', '/api/cameras/front-door')).status).toBe(204);
    expect((await h.request('GET', '/api/streams/transmissions')).json).toEqual([]);
    expect((await h.request('GET', '/api/streams/pipelines')).json).toEqual([]);
    expect((await h.request('GET', '/api/streams/live-views')).json).toEqual([]);
  });

  it.each([
    ['POST', '/api/cameras', '{"name":', 400, 'malformed_json', 'body'],
    ['POST', '/api/cameras', '', 400, 'malformed_json', 'body'],
    ['POST', '/api/cameras', { sources: [] }, 422, 'invalid_field', 'name'],
    ['POST', '/api/cameras', { name: 'x', sources: [{ url: 'ftp://192.0.2.1/' }] }, 422, 'invalid_field', 'sources.0.url'],
    ['POST', '/api/cameras', { name: 'x', sources: [{ url: 'rtsp://h/', role: 'wide' }] }, 422, 'invalid_field', 'sources.0.role'],
    ['POST', '/api/cameras', { name: 'x', pubish: true }, 422, 'invalid_field', 'pubish'],
    ['POST', '/api/cameras', { name: 'x', id: 'Bad Id' }, 422, 'invalid_field', 'id'],
    [
      'POST',
      '/api/cameras',
      {
        name: 'x',
        sources: [
          { id: 'a', url: 'rtsp://h/' },
          { id: 'a', url: 'rtsp://h/2' },
        ],
      },
      422,
      'invalid_field',
      'sources.1.id',
    ],
    ['POST', '/api/cameras', { name: 'x', sources: [{ url: 'rtsp://a%zz:b@h/' }] }, 422, 'invalid_field', 'sources.0.url'],
    ['POST', '/api/cameras', { id: 'seed', name: 'again' }, 409, 'already_exists', 'id'],
    ['POST', '/api/cameras', [], 422, 'invalid_field', 'body'],
    ['POST', '/api/cameras', { name: 'y', sources: [{ url: `rtsp://h/${'é'.repeat(1000)}` }] }, 422, 'invalid_field', 'sources.0.url'],
    ['POST', '/api/cameras', { name: 'y', sources: [{ url: `rtsp://${'u'.repeat(300)}@h/` }] }, 422, 'invalid_field', 'sources.0.url'],
    ['PUT', '/api/cameras/seed', { id: 'other', name: 'x' }, 422, 'invalid_field', 'id'],
    ['PUT', '/api/cameras/missing', { name: 'x' }, 404, 'not_found', null],
    ['GET', '/api/cameras/missing', undefined, 404, 'not_found', null],
    ['DELETE', '/api/cameras/missing', undefined, 404, 'not_found', null],
  ])('%s %s %j -> %i %s (field %s), nothing stored changes', async (method, path, body, status, code, field) => {
    await h.request('POST', '/api/cameras', { id: 'seed', name: 'Seed', sources: [{ url: 'rtsp://192.0.2.1/' }] });
    const before = await h.settingsBytes();
    const res = await h.request(method, path, body);
    expect(res.status).toBe(status);
    expect(res.json.error).toMatchObject({ code, field });
    expect(typeof res.json.error.message).toBe('string');
    expect(await h.settingsBytes()).toBe(before);
  });

  it('clips generated names built from long user strings instead of failing', async () => {
    const res = await h.request('POST', '/api/cameras', { name: 'a'.repeat(120), sources: [{ label: 'b'.repeat(120), url: 'rtsp://192.0.2.1/' }] });
    expect(res.status).toBe(201);
    const [tx] = (await h.request('GET', '/api/streams/transmissions')).json;
    expect(tx.name).toHaveLength(160);
    expect(tx.name.endsWith('…')).toBe(true);
  });

  it('refuses a body over the size limit with 413', async () => {
    const res = await h.request('POST', '/api/cameras', { name: 'x'.repeat(2 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe('body_too_large');
  });
});
