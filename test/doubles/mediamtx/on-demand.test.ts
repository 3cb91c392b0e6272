import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMediamtxDouble, type MediamtxDouble } from './server.js';
import { makeDataDir, removeDataDir } from '../../support/data-dir.js';
import { waitFor } from '../../support/wait.js';

/** A runOnDemand command that says when it starts (with MTX_PATH) and when it is stopped. */
const COMMAND_SCRIPT = `const fs = require('node:fs');
const out = process.argv[2];
fs.appendFileSync(out, 'start ' + process.env.MTX_PATH + '\\n');
process.on('SIGINT', () => { fs.appendFileSync(out, 'sigint\\n'); process.exit(0); });
setInterval(() => {}, 1000);
`;

describe('MediaMTX double: runOnDemand for HLS readers, like MediaMTX v1.20.1', () => {
  let d: MediamtxDouble;
  let dir: string;
  let script: string;
  const call = (method: string, path: string, body?: unknown) => fetch(`${d.url}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const lines = async (file: string) => (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  async function onDemandPath(name: string, conf: Record<string, unknown>) {
    const out = join(dir, `${name.replaceAll('/', '_')}.log`);
    const res = await call('POST', `/v3/config/paths/add/${name}`, { source: 'publisher', runOnDemand: `'${process.execPath}' '${script}' '${out}'`, ...conf });
    expect(res.status).toBe(200);
    return out;
  }

  beforeAll(async () => {
    dir = await makeDataDir('mediamtx-double-on-demand');
    script = join(dir, 'command.cjs');
    await writeFile(script, COMMAND_SCRIPT);
    d = await startMediamtxDouble();
  });
  afterAll(async () => {
    await d?.close();
    await removeDataDir(dir);
  });

  it('a reader of a cold publisher path runs the command and is held until a publisher comes; the command is stopped runOnDemandCloseAfter after the last reader', async () => {
    const out = await onDemandPath('cam/od', { runOnDemandStartTimeout: '20s', runOnDemandCloseAfter: '1s' });
    const answer = fetch(`${d.hlsUrl}/cam/od/index.m3u8?cookieCheck=1`);
    await waitFor('the command runs with MTX_PATH', async () => (await lines(out)).includes('start cam/od'));
    // The double has no RTSP ingest: an HLS source stands for what the command's publisher publishes.
    await d.startHls('cam/od');
    const res = await answer;
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/#EXT-X-STREAM-INF/);
    expect(await lines(out)).toEqual(['start cam/od']);
    // The publisher leaves: the muxer closes, and the command is stopped a second later.
    await d.stopHls('cam/od');
    await waitFor('the command is stopped', async () => (await lines(out)).includes('sigint'), 10_000);
    expect(await lines(out)).toEqual(['start cam/od', 'sigint']);
  });

  it('nobody publishes within runOnDemandStartTimeout: the reader gets 500 "has timed out" and the command is stopped', async () => {
    const out = await onDemandPath('cam/late', { runOnDemandStartTimeout: '1s' });
    const res = await fetch(`${d.hlsUrl}/cam/late/index.m3u8?cookieCheck=1`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ status: 'error', error: "source of path 'cam/late' has timed out" });
    await waitFor('the command is stopped', async () => (await lines(out)).includes('sigint'), 10_000);
    expect(await lines(out)).toEqual(['start cam/late', 'sigint']);
  });
});
