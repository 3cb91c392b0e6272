/**
 * RTSP-only readers of a publisher path (issue 11, 4f): Home Assistant's camera entity, VLC or
 * Home Assistant's own go2rtc read `rtsp://<reader>:<password>@<addon>:8554/<path>` with nobody
 * watching in a browser. For a writer-fed (or transcoded) output there is no publisher until our
 * demand starts one; MediaMTX answered 404 at once. With the runOnDemand notifier the reader's
 * arrival is demand: the supervised publisher starts, MediaMTX holds the reader until it
 * publishes, and the reader gets video.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLogger } from '../../src/shared/logger.js';
import { createOnDemandListener } from '../../src/runtime/on-demand.js';
import { ENGINE_BINS, engineTarget, REAL_ENGINES } from '../engines.js';
import { runToBuffer, stopAllMediaProcesses } from '../media/proc.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';
import { startLiveServer, type LiveServer } from './server-harness.js';
import { makeDataDir, removeDataDir } from '../support/data-dir.js';

let server: LiveServer | undefined;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await server?.close();
  server = undefined;
});
afterAll(() => stopAllMediaProcesses());

const READER = { username: 'hass', password: 'reader-pass-4f-Xy9' };

/** MediaMTX's splitting of a command line (go-shellquote), for the single-quoted words we write. */
function splitWords(cmd: string): string[] {
  const words: string[] = [];
  for (const m of cmd.matchAll(/'((?:[^']|'\\'')*)'/g)) words.push(m[1]!.replaceAll(`'\\''`, "'"));
  return words;
}

describe('the on-demand notifier', () => {
  it('run as MediaMTX runs it (MTX_PATH in its environment), it holds demand for that path until MediaMTX stops it with SIGINT', async () => {
    const dir = await mkdtemp(join(tmpdir(), "on-demand-it's-"));
    cleanups.push(() => removeDataDir(dir));
    const held = new Map<string, number>();
    const listener = createOnDemandListener({
      dir,
      logger: createLogger('silent'),
      acquire: (path) => {
        if (path !== 'pipe/a/out') return null;
        held.set(path, (held.get(path) ?? 0) + 1);
        return () => held.set(path, (held.get(path) ?? 0) - 1);
      },
    });
    const command = await listener.start();
    cleanups.push(() => listener.close());
    expect(command).not.toBeNull();
    const [file, ...args] = splitWords(command!);
    expect(args).toHaveLength(2);

    const child = spawn(file!, args, { env: { PATH: process.env.PATH ?? '', MTX_PATH: 'pipe/a/out' }, stdio: 'ignore', detached: true });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await waitFor('demand held', () => held.get('pipe/a/out') === 1);
    expect(listener.active()).toBe(1);
    process.kill(-child.pid!, 'SIGINT'); // MediaMTX stops the command's process group
    expect(await exited).toBe(0);
    await waitFor('demand released', () => held.get('pipe/a/out') === 0 && listener.active() === 0);

    // MediaMTX killed outright: the orphaned notifier ends by itself and the demand goes with it.
    const shell = spawn('/bin/sh', ['-c', `${command} & wait`], { env: { PATH: process.env.PATH ?? '', MTX_PATH: 'pipe/a/out' }, stdio: 'ignore' });
    await waitFor('demand held again', () => held.get('pipe/a/out') === 1);
    shell.kill('SIGKILL');
    await waitFor('demand released after the parent died', () => held.get('pipe/a/out') === 0 && listener.active() === 0);

    // A path no output plays from: refused, the notifier ends, nothing held.
    const stray = spawn(file!, args, { env: { PATH: process.env.PATH ?? '', MTX_PATH: 'not/ours' }, stdio: 'ignore' });
    expect(await new Promise((r) => stray.on('exit', (code) => r(code)))).toBe(0);
    expect([...held.keys()]).toEqual(['pipe/a/out']);
  });
});

describe(`RTSP readers of a cold writer-fed output (${engineTarget('mediamtx')}, ${engineTarget('go2rtc')})`, () => {
  async function coldWriterOutput(): Promise<{ url: string; path: string }> {
    server = await startLiveServer({ mediamtxPath: ENGINE_BINS.mediamtx }, { lan_reader: READER, demand: { debounce_s: 1 } });
    const created = await server.request('POST', '/api/streams/transmissions', { name: 'Entity', input: 'writers', outputs: [{ id: 'default', engine_path: 'ha/entity' }] });
    expect(created.status).toBe(201);
    await waitFor('the engine has the path', async () => (await fetch(`${server!.streaming.engine.status().api_url}/v3/config/paths/get/ha/entity`).catch(() => null))?.status === 200, 30_000);
    expect(server.streaming.supervisor.count('publisher:')).toBe(0); // cold: nothing publishes
    const rtsp = server.streaming.engine.rtspPort();
    return { url: `rtsp://${READER.username}:${READER.password}@127.0.0.1:${rtsp}/ha/entity`, path: 'ha/entity' };
  }

  it('the engine path of a writer-fed output carries the notifier hook; no secret in it', async () => {
    await coldWriterOutput();
    const conf = (await (await fetch(`${server!.streaming.engine.status().api_url}/v3/config/paths/get/ha/entity`)).json()) as Record<string, unknown>;
    expect(conf).toMatchObject({ source: 'publisher', runOnDemandStartTimeout: '20s', runOnDemandCloseAfter: '5s' });
    expect(String(conf.runOnDemand)).toMatch(/^'[^']+' '[^']+on-demand-notify\.cjs' '[^']+on-demand\.sock'$/);
    expect(String(conf.runOnDemand)).not.toContain(READER.password);
  }, 60_000);

  it.runIf(REAL_ENGINES.mediamtx)(
    'ffprobe with the LAN reader credentials gets a video stream (real engine only: the MediaMTX double serves no RTSP)',
    async () => {
      const { url } = await coldWriterOutput();
      const probe = await runToBuffer('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_type,codec_name', '-of', 'json', url], { timeoutMs: 40_000 });
      expect({ exit: probe.exitCode, stderr: probe.stderr.replaceAll(READER.password, '***').trim() }).toEqual({ exit: 0, stderr: '' });
      expect(JSON.parse(probe.stdout.toString()).streams).toEqual([expect.objectContaining({ codec_type: 'video' })]);
      expect(server!.streaming.supervisor.count('publisher:')).toBe(1);
    },
    90_000,
  );

  it.runIf(REAL_ENGINES.mediamtx)(
    "go2rtc pulling it as Home Assistant's does gets the stream (real engines only: the MediaMTX double serves no RTSP)",
    async () => {
      const { url } = await coldWriterOutput();
      const dir = await makeDataDir('ha-go2rtc');
      cleanups.push(() => removeDataDir(dir));
      const api = await freePort();
      // Home Assistant Core's go2rtc: a stream per camera entity, the entity's RTSP URL as its source.
      await writeFile(join(dir, 'go2rtc.yaml'), `api:\n  listen: "127.0.0.1:${api}"\nrtsp:\n  listen: ""\nwebrtc:\n  listen: ""\nstreams:\n  entity: "${url}"\n`);
      const go2rtc = spawn(ENGINE_BINS.go2rtc, ['-config', join(dir, 'go2rtc.yaml')], { stdio: 'ignore', env: { PATH: process.env.PATH ?? '' } });
      cleanups.push(() => go2rtc.kill('SIGKILL'));
      await waitFor('go2rtc answers', async () => (await fetch(`http://127.0.0.1:${api}/api`).catch(() => null))?.ok === true);
      // Like a player of HA's frontend: MSE over go2rtc's WebSocket, asking again after an error.
      const ws = new WebSocket(`ws://127.0.0.1:${api}/api/ws?src=entity`);
      cleanups.push(() => ws.terminate());
      const texts: string[] = [];
      const init = await new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no init segment within 40 s: ${texts.join(' ')}`)), 40_000);
        ws.on('open', () => ws.send(JSON.stringify({ type: 'mse', value: 'avc1.640029' })));
        ws.on('message', (data, isBinary) => {
          if (isBinary) {
            clearTimeout(timer);
            return resolve(Buffer.from(data as Buffer));
          }
          const text = (data as Buffer).toString();
          texts.push(text);
          if (text.includes('"error"')) setTimeout(() => ws.send(JSON.stringify({ type: 'mse', value: 'avc1.640029' })), 1000);
        });
        ws.on('error', reject);
      });
      expect(init.subarray(4, 8).toString('latin1')).toBe('ftyp');
      console.info(JSON.stringify({ go2rtc_answers_before_media: texts.map((t) => JSON.parse(t).value) }));
    },
    90_000,
  );
});
