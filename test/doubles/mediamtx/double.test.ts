import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confFormatDuration, confParseDuration, goFormatDuration } from './go.js';
import { startMediamtxDouble, type MediamtxDouble } from './server.js';
import { REFERENCE_DIR } from './reference.js';
import { freePort } from '../../support/ports.js';
import { makeDataDir, removeDataDir } from '../../support/data-dir.js';
import { waitFor } from '../../support/wait.js';

const BIN = fileURLToPath(new URL('./mediamtx', import.meta.url));

function run(configPath: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(BIN, [configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

const minimal = (port: number, extra = '') => `api: true\napiAddress: 127.0.0.1:${port}\nauthInternalUsers:\n  - user: any\n    ips: ['127.0.0.1']\n    permissions: [{action: api}]\n${extra}`;

describe('MediaMTX double as a process', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeDataDir('mtx-double');
  });
  afterAll(async () => {
    await removeDataDir(dir);
  });

  it.concurrent.for<[string, string, RegExp]>([
    ['an unknown top-level key', 'rtspPortt: 1\n', /unknown field "rtspPortt"/],
    ['an unknown pathDefaults key', 'pathDefaults:\n  recordd: no\n', /unknown field "pathDefaults.recordd"/],
    ['a deprecated path key not documented in mediamtx.yml', 'pathDefaults:\n  playback: no\n', /unknown field "pathDefaults.playback"/],
    ['a wrongly typed value', 'hlsSegmentCount: many\n', /hlsSegmentCount/],
    ['a password on the any user', 'authInternalUsers:\n  - user: any\n    pass: x\n', /password with 'any' user/],
    ['an unsupported credential', 'authInternalUsers:\n  - user: viewer\n    pass: "sp ace"\n', /unsupported characters/],
    ['an odd RTP port', 'rtpAddress: ":8001"\nrtcpAddress: ":8002"\n', /RTP port must be even/],
    ['lowLatency HLS with 3 segments', 'hlsSegmentCount: 3\n', /at least 7 segments/],
  ])('refuses %s with exit 1 and ERR on stderr', async ([, extra, message], { expect }) => {
    const file = join(dir, `bad-${Math.random()}.yml`);
    // Later duplicate keys are not valid YAML, so the base is written without the keys under test.
    const base = extra.startsWith('authInternalUsers') ? `api: true\napiAddress: 127.0.0.1:${await freePort()}\n${extra}` : minimal(await freePort(), extra);
    await writeFile(file, base);
    const { code, stderr } = await run(file);
    expect(code).toBe(1);
    expect(stderr).toMatch(/ERR: /);
    expect(stderr).toMatch(message);
  });

  it('loads the reference mediamtx.yml (API enabled), serves /v3/info and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const ref = await readFile(join(REFERENCE_DIR, 'mediamtx.yml'), 'utf8');
    const file = join(dir, 'ref.yml');
    // The reference names hlsAddress :8888, which the double would bind: a free port instead, so parallel runs never collide.
    await writeFile(
      file,
      ref
        .replace(/^api: false$/m, 'api: true')
        .replace(/^apiAddress: :9997$/m, `apiAddress: 127.0.0.1:${port}`)
        .replace(/^hlsAddress: :8888$/m, `hlsAddress: 127.0.0.1:${await freePort()}`),
    );
    const child = spawn(BIN, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const info = await waitFor(
      'the double answers',
      () =>
        fetch(`http://127.0.0.1:${port}/v3/info`).then(
          (r) => r.json(),
          () => null,
        ),
      30_000,
      { intervalMs: 100 },
    );
    expect(info).toMatchObject({ version: 'v1.20.1' });
    // The reference config has the all_others path: listed with every PathConf field.
    const list = (await (await fetch(`http://127.0.0.1:${port}/v3/config/paths/list`)).json()) as { items: { name: string }[] };
    expect(list.items.map((i) => i.name)).toEqual(['all_others']);
    expect(await (await fetch(`http://127.0.0.1:${port}/_double/violations`)).json()).toEqual([]);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('MediaMTX double in-process', () => {
  let d: MediamtxDouble;
  beforeAll(async () => {
    d = await startMediamtxDouble();
  });
  afterAll(async () => {
    await d.close();
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${d.url}${path}`, { method, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
    const text = await res.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // text
    }
    return { status: res.status, json };
  };

  it('adds, reads, replaces and deletes a path whose name has slashes; durations come back Go-spelled', async () => {
    expect(await call('POST', '/v3/config/paths/add/cam/a/main', { source: 'rtsp://u:p@10.0.0.9:554/s', sourceOnDemand: true, sourceOnDemandCloseAfter: '90s' })).toEqual({
      status: 200,
      json: { status: 'ok' },
    });
    const got = await call('GET', '/v3/config/paths/get/cam/a/main');
    expect(got.json).toMatchObject({ name: 'cam/a/main', sourceOnDemand: true, sourceOnDemandCloseAfter: '1m30s', record: false });
    expect((await call('POST', '/v3/config/paths/add/cam/a/main', { source: 'publisher' })).json).toEqual({ status: 'error', error: 'path already exists' });
    expect((await call('GET', '/v3/paths/get/cam%2Fa%2Fmain')).json).toMatchObject({ name: 'cam/a/main', readers: [], online: false });
    expect((await call('POST', '/v3/config/paths/replace/cam/a/main', { source: 'publisher' })).status).toBe(200);
    expect((await call('GET', '/v3/config/paths/get/cam/a/main')).json).toMatchObject({ source: 'publisher', sourceOnDemand: false });
    expect((await call('DELETE', '/v3/config/paths/delete/cam/a/main')).status).toBe(200);
    expect((await call('GET', '/v3/paths/get/cam/a/main')).status).toBe(404);
    expect((await call('DELETE', '/v3/config/paths/delete/cam/a/main')).json).toEqual({ status: 'error', error: 'path not found' });
    expect(d.violations()).toEqual([]);
  });

  it('answers MediaMTX validation errors with 400 (not violations)', async () => {
    expect((await call('POST', '/v3/config/paths/add/p1', { source: 'publisher', sourceOnDemand: true })).json).toEqual({
      status: 'error',
      error: "'sourceOnDemand' is useless when source is 'publisher'",
    });
    expect((await call('POST', '/v3/config/paths/add/p2', { source: 'rtsp://user@h/x' })).json).toEqual({ status: 'error', error: 'username and password must be both provided' });
    expect((await call('POST', '/v3/config/paths/add/-bad/', { source: 'publisher' })).status).toBe(400);
    expect((await call('POST', '/v3/config/paths/add/p3', { source: 'publisher', sourceOnDemandCloseAfter: '10 seconds' })).status).toBe(400);
    expect(d.violations()).toEqual([]);
  });

  it('records contract violations: unknown fields, wrong types, unknown routes and query parameters', async () => {
    const before = d.violations().length;
    expect(await call('POST', '/v3/config/paths/add/x', { source: 'publisher', sourceOnDemandd: true })).toEqual({
      status: 400,
      json: { status: 'error', error: 'json: unknown field "sourceOnDemandd"' },
    });
    expect((await call('POST', '/v3/config/paths/add/x', { source: 'publisher', maxReaders: '3' })).status).toBe(400);
    expect((await call('POST', '/v3/config/paths/add/x', 'not json')).status).toBe(400);
    expect((await call('GET', '/v3/config/paths/lists')).status).toBe(404);
    expect((await call('GET', '/v3/config/paths/list?items=5')).status).toBe(400);
    expect((await call('PUT', '/v3/config/paths/add/x', { source: 'publisher' })).status).toBe(404);
    const v = d.violations().slice(before);
    expect(v.map((x) => x.kind)).toEqual(['request', 'request', 'request', 'request', 'request', 'request']);
    expect(v[0]?.errors.join()).toMatch(/sourceOnDemandd/);
    expect(v[1]?.errors.join()).toMatch(/maxReaders/);
  });

  it('paginates like MediaMTX and reports readers a test sets', async () => {
    for (const n of ['pg/1', 'pg/2', 'pg/3']) await call('POST', `/v3/config/paths/add/${n}`, { source: 'publisher' });
    const page = await call('GET', '/v3/config/paths/list?itemsPerPage=2&page=1');
    expect(page.json).toMatchObject({ pageCount: 2 });
    expect((page.json as { items: { name: string }[] }).items.map((i) => i.name)).toEqual(['pg/3']);
    expect((await call('GET', '/v3/config/paths/list?itemsPerPage=0')).json).toEqual({ status: 'error', error: 'invalid items per page' });
    await d.setReaders('pg/1', [
      { type: 'hidden', id: 'm' },
      { type: 'rtspSession', id: 'r1' },
    ]);
    expect((await call('GET', '/v3/paths/get/pg/1')).json).toMatchObject({ readers: [{ type: 'hidden' }, { type: 'rtspSession' }] });
    await expect(d.setReaders('pg/1', [{ type: 'viewer', id: 'x' }] as never)).rejects.toThrow(/400/);
    await expect(d.setReaders('nope', [])).rejects.toThrow(/404/);
    await d.setOnline('pg/2');
    expect((await call('GET', '/v3/paths/get/pg/2')).json).toMatchObject({ online: true, available: true, source: { type: 'rtspSession' } });
  });

  it('refuses a caller without the api permission (auth violation)', async () => {
    const other = await startMediamtxDouble({ configYaml: 'api: true\napiAddress: 127.0.0.1:0\nauthInternalUsers:\n  - user: any\n    ips: [10.1.1.1]\n    permissions: [{action: api}]\n' });
    try {
      const res = await fetch(`${other.url}/v3/info`);
      expect(res.status).toBe(401);
      expect(other.violations().map((v) => v.kind)).toEqual(['auth']);
    } finally {
      await other.close();
    }
  });
});

describe('Go duration spelling', () => {
  it.each([
    ['10s', '10s'],
    ['60s', '1m0s'],
    ['90s', '1m30s'],
    ['1h', '1h0m0s'],
    ['24h', '1d'],
    ['1d2h', '1d2h0m0s'],
    ['1.5s', '1.5s'],
    ['500ms', '500ms'],
  ])('%s is reported as %s', (input, output) => {
    expect(confFormatDuration(confParseDuration(input))).toBe(output);
  });
  it('formats sub-second values like time.Duration.String', () => {
    expect(goFormatDuration(1500)).toBe('1.5µs');
    expect(goFormatDuration(0)).toBe('0s');
  });
});
