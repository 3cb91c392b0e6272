import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedTransmissionId } from '../../src/domain/ids.js';
import { startLiveServer, type LiveServer } from '../runtime/server-harness.js';

/** A lone UTF-16 surrogate: no UTF-8 spelling exists, so URLs, files and engines cannot carry it. */
const LONE = '\ud800';
let server: LiveServer;
const settingsBytes = () => readFile(join(server.dataDir, 'settings.json'), 'utf8');
const tx = generatedTransmissionId('camera:front:main');

beforeAll(async () => {
  server = await startLiveServer();
  const res = await server.request('POST', '/api/cameras', { id: 'front', name: 'Front', sources: [{ id: 'main', url: 'rtsp://192.0.2.10/1', username: 'admin', password: 'Cam-Pass-77' }] });
  expect(res.status).toBe(201);
}, 30_000);
afterAll(() => server.close());

describe('strings that are not well-formed Unicode are refused at the edge', () => {
  it.each([
    ['a camera password', 'POST', '/api/cameras', { name: 'Yard', sources: [{ url: 'rtsp://192.0.2.11/1', username: 'admin', password: `pw${LONE}` }] }, 'sources.0.password'],
    ['a camera username', 'POST', '/api/cameras', { name: 'Yard', sources: [{ url: 'rtsp://192.0.2.11/1', username: `${LONE}admin`, password: 'pw' }] }, 'sources.0.username'],
    ['a replaced camera password', 'PUT', '/api/cameras/front', { name: 'Front', sources: [{ id: 'main', url: 'rtsp://192.0.2.10/1', password: `\udfff${LONE}` }] }, 'sources.0.password'],
    ['an unknown key (named by where it sits)', 'POST', '/api/cameras', { name: 'Yard', sources: [{ url: 'rtsp://192.0.2.11/1', [`k${LONE}`]: 1 }] }, 'sources.0'],
    ['the LAN reader password', 'PATCH', '/api/streams/settings', { lan_reader: { password: `reader-${LONE}-pass` } }, 'lan_reader.password'],
  ])('%s -> 422 naming the field, nothing stored', async (_name, method, path, body, field) => {
    const before = await settingsBytes();
    const revision = server.streaming.store.get().revision;
    const res = await server.request(method, path, body);
    expect(res.status).toBe(422);
    expect(res.json.error).toMatchObject({ code: 'invalid_field', field });
    expect(res.json.error.message).toMatch(/well-formed/);
    expect(server.streaming.store.get().revision).toBe(revision);
    expect(await settingsBytes()).toBe(before);
  });

  it('a surrogate pair (an emoji) is well-formed and accepted', async () => {
    const res = await server.request('POST', '/api/cameras', { id: 'smile', name: 'Smile \ud83d\ude00', sources: [] });
    expect(res.status).toBe(201);
    expect(res.json.name).toBe('Smile \ud83d\ude00');
  });

  // Hono leaves a percent-escape that is not UTF-8 (a CESU-8 surrogate, a stray byte) undecoded.
  it.each([
    ['a query value', `/api/streams/transmissions/${tx}/playback-plan?client=%ED%A0%80`, 'query.client'],
    ['a query name', `/api/streams/transmissions/${tx}/playback-plan?%FF=web`, 'query'],
    ['a path parameter', '/api/cameras/%ED%A0%80', 'path'],
    ['a media path', '/api/streams/media/hls/cam/%C3/index.m3u8', 'path'],
  ])('%s with a percent-escape that is not UTF-8 -> 422 naming it', async (_name, path, field) => {
    const res = await fetch(server.base + path);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({ code: 'invalid_field', field });
  });

  it('well-formed escapes still reach the routes', async () => {
    expect((await fetch(`${server.base}/api/cameras/%F0%9F%98%80`)).status).toBe(404);
    expect((await fetch(`${server.base}/api/streams/transmissions/${tx}/playback-plan?client=web&context=%67rid`)).status).toBe(200);
  });
});

describe('a stored LAN reader password that an older version accepted', () => {
  it('GET .../urls answers 200: the RTSP entries are left out and the reason given, the other URLs work', async () => {
    const secret = `reader-${LONE}-pass`;
    await server.streaming.store.update((d) => {
      d.streaming.lan_reader.password = secret;
    });
    const res = await fetch(`${server.base}/api/streams/transmissions/${tx}/urls`);
    const text = await res.text();
    expect(res.status).toBe(200);
    const json = JSON.parse(text);
    expect(json.urls.map((u: { protocol: string }) => u.protocol).sort()).toEqual(['hls', 'jsmpeg', 'mse']);
    expect(json.warnings).toContainEqual(expect.stringMatching(/lan_reader\.password.*well-formed/));
    expect(text).not.toContain('reader-');
    expect(server.logs.join('\n')).not.toContain('reader-');
  });
});
