import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMediamtxDouble, type MediamtxDouble } from '../../test/doubles/mediamtx/server.js';
import { createMediamtxClient, encodePathName, MediamtxApiError, type MediamtxClient } from './client.js';

describe('MediaMTX control API client (against the contract double)', () => {
  let d: MediamtxDouble;
  let c: MediamtxClient;
  beforeAll(async () => {
    d = await startMediamtxDouble();
    c = createMediamtxClient({ baseUrl: d.url });
  });
  afterAll(async () => {
    expect(d.violations()).toEqual([]);
    await d.close();
  });

  it('reads /v3/info', async () => {
    expect(await c.info()).toMatchObject({ version: 'v1.20.1' });
  });

  it('sends path names with their slashes literally and manages path configs', async () => {
    const before = d.requests().length;
    await c.addPath('cam/front/main', { source: 'rtsp://admin:pw@192.168.1.20:554/s0', sourceOnDemand: true, rtspTransport: 'tcp' });
    await c.replacePath('cam/front/main', { source: 'rtsp://admin:pw@192.168.1.20:554/s1', sourceOnDemand: true });
    await c.addPath('out/front', { source: 'publisher' });
    const list = await c.listPathConfigs();
    expect(list.map((p) => p.name)).toEqual(['cam/front/main', 'out/front']);
    expect(list[0]).toMatchObject({ source: 'rtsp://admin:pw@192.168.1.20:554/s1', sourceOnDemand: true, rtspTransport: 'automatic' });
    await c.deletePath('out/front');
    const log = d.requests().slice(before);
    expect(log.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v3/config/paths/add/cam/front/main',
      'POST /v3/config/paths/replace/cam/front/main',
      'POST /v3/config/paths/add/out/front',
      'GET /v3/config/paths/list',
      'DELETE /v3/config/paths/delete/out/front',
    ]);
    expect(log[3]?.query).toEqual({ itemsPerPage: '1000', page: '0' });
    expect(log.map((r) => r.name)).toEqual(['cam/front/main', 'cam/front/main', 'out/front', null, 'out/front']);
  });

  it('turns MediaMTX errors into MediamtxApiError without leaking camera credentials', async () => {
    const err = await c.addPath('cam/front/main', { source: 'rtsp://admin:topsecret@10.0.0.1/x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediamtxApiError);
    expect((err as MediamtxApiError).status).toBe(400);
    expect((err as Error).message).toMatch(/path already exists/);
    await expect(c.deletePath('nope/x')).rejects.toMatchObject({ status: 404 });
    const bad = await c.addPath('cam/bad', { source: 'rtsp://admin@10.0.0.1/x' }).catch((e: unknown) => e);
    expect((bad as Error).message).toMatch(/username and password must be both provided/);
    expect(() => encodePathName('/abs')).toThrow(/begin with a slash/);
    expect(() => encodePathName('a/../b')).toThrow(/dot path segments/);
  });

  it('reads a path and counts readers without the hidden ones; 404 is null', async () => {
    await c.addPath('view/one', { source: 'publisher' });
    expect(await c.readerCount('view/one')).toBe(0);
    await d.setReaders('view/one', [
      { type: 'hidden', id: 'hls-muxer' },
      { type: 'hlsSession', id: 'a' },
      { type: 'rtspSession', id: 'b' },
      { type: 'webRTCSession', id: 'c' },
    ]);
    expect(await c.readerCount('view/one')).toBe(3);
    expect((await c.getPath('view/one'))?.readers).toHaveLength(4);
    expect(await c.getPath('not/there')).toBeNull();
    expect(await c.readerCount('not/there')).toBeNull();
  });

  it('follows pagination across pages of 1000', async () => {
    for (let i = 0; i < 1003; i++) await c.addPath(`bulk/${String(i).padStart(4, '0')}`, { source: 'publisher' });
    const before = d.requests().length;
    const all = await c.listPathConfigs();
    expect(all.filter((p) => p.name.startsWith('bulk/'))).toHaveLength(1003);
    expect(new Set(all.map((p) => p.name)).size).toBe(all.length);
    expect(d.requests().slice(before).map((r) => r.query.page)).toEqual(['0', '1']);
  });

  it('fails fast and clearly when nothing answers', async () => {
    const dead = createMediamtxClient({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 500 });
    await expect(dead.info()).rejects.toThrow(/GET \/v3\/info: /);
    expect(() => createMediamtxClient({ baseUrl: 'http://127.0.0.1:1/v3' })).toThrow(/baseUrl/);
  });
});
