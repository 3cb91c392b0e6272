import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMediamtxDouble, type LoggedRequest, type Violation } from '../../test/doubles/mediamtx/server.js';
import { cleanUpEngines, setupEngine } from '../../test/engine-env.js';
import { REAL_ENGINES, engineTarget } from '../../test/engines.js';
import { createMediamtxClient, encodePathName, MediamtxApiError, type MediamtxClient } from './client.js';

describe(`MediaMTX control API client (against the ${engineTarget('mediamtx')})`, () => {
  let apiUrl: string;
  let c: MediamtxClient;
  // Double only: its request log and contract violations (the real MediaMTX keeps neither).
  const onDouble = !REAL_ENGINES.mediamtx;
  const double = async <T>(method: string, path: string, body?: unknown): Promise<T> =>
    (await (await fetch(`${apiUrl}/_double${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })).json()) as T;
  const requests = () => double<LoggedRequest[]>('GET', '/requests');
  beforeAll(async () => {
    const status = await (await setupEngine()).engine.start();
    if (!status.api_url) throw new Error(`${engineTarget('mediamtx')} did not start: ${status.last_error ?? status.binary.reason}`);
    apiUrl = status.api_url;
    c = createMediamtxClient({ baseUrl: apiUrl });
  });
  afterAll(async () => {
    if (onDouble) expect(await double<Violation[]>('GET', '/violations')).toEqual([]);
    await cleanUpEngines();
  });

  it('reads /v3/info', async () => {
    expect(await c.info()).toMatchObject({ version: 'v1.20.1' });
  });

  it('sends path names with their slashes literally and manages path configs', async () => {
    const before = onDouble ? (await requests()).length : 0;
    await c.addPath('cam/front/main', { source: 'rtsp://admin:pw@192.168.1.20:554/s0', sourceOnDemand: true, rtspTransport: 'tcp' });
    await c.replacePath('cam/front/main', { source: 'rtsp://admin:pw@192.168.1.20:554/s1', sourceOnDemand: true });
    await c.addPath('out/front', { source: 'publisher' });
    const list = await c.listPathConfigs();
    expect(list.map((p) => p.name)).toEqual(['cam/front/main', 'out/front']);
    expect(list[0]).toMatchObject({ source: 'rtsp://admin:pw@192.168.1.20:554/s1', sourceOnDemand: true, rtspTransport: 'automatic' });
    await c.deletePath('out/front');
    expect((await c.listPathConfigs()).map((p) => p.name)).toEqual(['cam/front/main']);
    if (!onDouble) return;
    const log = (await requests()).slice(before);
    expect(log.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v3/config/paths/add/cam/front/main',
      'POST /v3/config/paths/replace/cam/front/main',
      'POST /v3/config/paths/add/out/front',
      'GET /v3/config/paths/list',
      'DELETE /v3/config/paths/delete/out/front',
      'GET /v3/config/paths/list',
    ]);
    expect(log[3]?.query).toEqual({ itemsPerPage: '1000', page: '0' });
    expect(log.map((r) => r.name)).toEqual(['cam/front/main', 'cam/front/main', 'out/front', null, 'out/front', null]);
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

  it('reads a path and counts its readers; 404 is null', async () => {
    await c.addPath('view/one', { source: 'publisher' });
    expect(await c.readerCount('view/one')).toBe(0);
    expect((await c.getPath('view/one'))?.readers).toEqual([]);
    expect(await c.getPath('not/there')).toBeNull();
    expect(await c.readerCount('not/there')).toBeNull();
  });

  // Real reader counts come from real readers: test/runtime/demand-e2e.test.ts.
  it('counts readers without the hidden ones (double only: the MediaMTX double is handed a reader list with a hidden HLS muxer)', async () => {
    const d = await startMediamtxDouble();
    try {
      const dc = createMediamtxClient({ baseUrl: d.url });
      await dc.addPath('view/one', { source: 'publisher' });
      await d.setReaders('view/one', [
        { type: 'hidden', id: 'hls-muxer' },
        { type: 'hlsSession', id: 'a' },
        { type: 'rtspSession', id: 'b' },
        { type: 'webRTCSession', id: 'c' },
      ]);
      expect(await dc.readerCount('view/one')).toBe(3);
      expect((await dc.getPath('view/one'))?.readers).toHaveLength(4);
      expect(d.violations()).toEqual([]);
    } finally {
      await d.close();
    }
  });

  it('follows pagination across pages of 1000', async () => {
    for (let i = 0; i < 1003; i++) await c.addPath(`bulk/${String(i).padStart(4, '0')}`, { source: 'publisher' });
    const before = onDouble ? (await requests()).length : 0;
    const all = await c.listPathConfigs();
    expect(all.filter((p) => p.name.startsWith('bulk/'))).toHaveLength(1003);
    expect(new Set(all.map((p) => p.name)).size).toBe(all.length);
    if (onDouble) expect((await requests()).slice(before).map((r) => r.query.page)).toEqual(['0', '1']);
    // The real MediaMTX reloads its paths at every config change: 1003 adds take it tens of seconds on a busy machine.
  }, 600_000);

  it('fails fast and clearly when nothing answers', async () => {
    const dead = createMediamtxClient({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 500 });
    await expect(dead.info()).rejects.toThrow(/GET \/v3\/info: /);
    expect(() => createMediamtxClient({ baseUrl: 'http://127.0.0.1:1/v3' })).toThrow(/baseUrl/);
  });
});
