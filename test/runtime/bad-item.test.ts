import { execa } from 'execa';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generatedTransmissionId } from '../../src/domain/ids.js';
import { freePort } from '../support/ports.js';
import { startLiveServer, type LiveServer } from './server-harness.js';
import { makeDataDir } from '../support/data-dir.js';
import { waitFor } from '../support/wait.js';

let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
});

const BAD_SECRET = 'Bad-Pass-41';
const badTx = generatedTransmissionId('camera:bad:main');
const goodTx = generatedTransmissionId('camera:good:main');

/** Settings written by this version, then one camera password edited as an older version could have stored it. */
async function settingsWithLoneSurrogate(): Promise<string> {
  const dataDir = await makeDataDir('toposync-bad-item');
  dirs.push(dataDir);
  const first = await startLiveServer({ dataDir }, { engine: { auto_start: false } });
  for (const [id, password] of [
    ['bad', BAD_SECRET],
    ['good', 'Good-Pass-42'],
  ]) {
    const res = await first.request('POST', '/api/cameras', { id, name: id, sources: [{ id: 'main', url: `rtsp://192.0.2.10/${id}`, username: 'admin', password }] });
    expect(res.status).toBe(201);
  }
  await first.close();
  const file = join(dataDir, 'settings.json');
  const text = await readFile(file, 'utf8');
  expect(text).toContain(`"${BAD_SECRET}"`);
  await writeFile(file, text.replace(`"${BAD_SECRET}"`, `"\\ud800${BAD_SECRET}"`));
  return dataDir;
}

describe('one bad stored item never takes the server down', () => {
  it('a settings.json with a lone surrogate password: the real entry starts, keeps ticking, reports the item and plans the other camera', async () => {
    const dataDir = await settingsWithLoneSurrogate();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}/api/streams`;
    // Only what the entry needs: no engine path from the caller's environment, and no probe of the TEST-NET cameras.
    const child = execa('node', ['--import', 'tsx', 'src/main.ts'], {
      env: { PATH: process.env.PATH, TOPOSYNC_STREAMING_PORT: String(port), TOPOSYNC_STREAMING_DATA_DIR: dataDir, TOPOSYNC_STREAMING_LOG_LEVEL: 'info', TOPOSYNC_STREAMING_PROBE_ON_SAVE: 'false' },
      extendEnv: false,
      reject: false,
    });
    let exited: { exitCode?: number | undefined; stderr: unknown } | null = null;
    void child.then((r) => (exited = r));
    const get = (path: string) => fetch(base + path).then(async (r) => ({ status: r.status, text: await r.text() }));
    const ticks = async () => JSON.parse((await get('/runtime/observability')).text).runtime.ticks as number;
    const exitReason = () =>
      exited
        ? `the server exited (${exited.exitCode}): ${
            String(exited.stderr)
              .split('\n')
              .find((l) => l.includes('Error')) ?? String(exited.stderr).slice(-300)
          }`
        : undefined;
    /** Polls `ok` until it holds; fails at once, with the child's stderr, if the server exits. */
    const until = (what: string, ok: () => Promise<boolean>) => waitFor(what, () => ok().catch(() => false), 60_000, { intervalMs: 100, abort: exitReason });
    try {
      await until('the first tick', async () => (await ticks()) >= 1);
      const from = await ticks();
      // The one-second settings follower and the runtime tick run several times over the bad item.
      await until('three more ticks', async () => (await ticks()) >= from + 3);

      const health = JSON.parse((await get('/runtime/health')).text) as { transmission_id: string; fallback_reason: string | null; problems: string[] }[];
      const bad = health.find((h) => h.transmission_id === badTx)!;
      const good = health.find((h) => h.transmission_id === goodTx)!;
      expect(bad.fallback_reason).toBe('camera_source_unusable');
      expect(bad.problems).toContainEqual(expect.stringMatching(/^camera_source_unusable: cameras\.bad\.sources\.main: password is not well-formed Unicode/));
      expect(good.problems.filter((p) => p.startsWith('camera_source'))).toEqual([]);
      const outputs = JSON.parse((await get('/runtime/outputs')).text) as { transmission_id: string; path: string; feed: string }[];
      expect(outputs.map((o) => `${o.path}:${o.feed}`)).toEqual(['cam/good/main:camera_pull']);
      expect((await get(`/transmissions/${goodTx}/urls`)).status).toBe(200);
      const store = JSON.parse((await get('/settings')).text).store as { problems: string[] };
      expect(store.problems).toContainEqual(expect.stringMatching(/^cameras\.0\.sources\.0\.password: not well-formed Unicode/));

      for (const path of ['/runtime/health', '/runtime/diagnostic-snapshot', '/settings', `/transmissions/${badTx}/urls`]) {
        expect((await get(path)).text).not.toContain(BAD_SECRET);
      }

      child.kill('SIGTERM');
      const res = await child;
      expect(res.exitCode).toBe(0);
      const lines = res.stdout.split('\n');
      expect(lines.filter((l) => l.includes('camera source cannot be used'))).toHaveLength(1);
      expect(`${res.stdout}\n${res.stderr}`).not.toContain(BAD_SECRET);
    } finally {
      child.kill('SIGKILL');
      await child;
    }
  }, 120_000);
});

/** Polls `ok` (generous overall bound; no fixed sleep that must be long enough). */
const until = (what: string, ok: () => boolean | Promise<boolean>) => waitFor(what, ok, 60_000, { intervalMs: 50 });
const problemsOf = async (s: LiveServer, tx: string) =>
  ((await s.request('GET', '/api/streams/runtime/health')).json as { transmission_id: string; problems: string[] }[]).find((h) => h.transmission_id === tx)!.problems;
const logged = (s: LiveServer, msg: string) => s.logs.filter((l) => JSON.parse(l).msg === msg).length;

describe('a loop that throws keeps running, logs each distinct error once and reports it', () => {
  let s: LiveServer;
  afterEach(() => s?.close());

  it('the runtime tick: ticks go on, one log line per distinct error, health says so until it recovers', async () => {
    s = await startLiveServer();
    expect((await s.request('POST', '/api/cameras', { id: 'good', name: 'Good', sources: [{ id: 'main', url: 'rtsp://192.0.2.10/good' }] })).status).toBe(201);
    const engine = s.streaming.engine;
    const running = engine.running;
    let fault = 'first injected tick fault';
    engine.running = () => {
      throw new Error(fault);
    };
    const ticks = () => s.streaming.runtime.status().ticks;
    let from = ticks();
    await until('five failing ticks', () => ticks() >= from + 5);
    expect(await problemsOf(s, goodTx)).toContain('runtime_tick_failing: first injected tick fault');
    fault = 'second injected tick fault';
    from = ticks();
    await until('five more failing ticks', () => ticks() >= from + 5);
    expect(logged(s, 'runtime tick failed')).toBe(2);
    engine.running = running;
    await until('recovery', async () => !(await problemsOf(s, goodTx)).some((p) => p.startsWith('runtime_tick')));
    expect(logged(s, 'runtime tick recovered')).toBe(1);
  }, 90_000);

  it.each([
    [
      'throws in the timer itself',
      'applySettings',
      () => {
        throw new Error('injected follow fault');
      },
    ],
    ['rejects after it', 'syncStreams', () => Promise.reject(new Error('injected follow fault'))],
  ] as const)(
    'the settings follower %s: it runs on, logs once, health says so until it recovers',
    async (_name, method, fail) => {
      s = await startLiveServer();
      expect((await s.request('POST', '/api/cameras', { id: 'good', name: 'Good', sources: [{ id: 'main', url: 'rtsp://192.0.2.10/good' }] })).status).toBe(201);
      const sidecar = s.streaming.sidecar as unknown as Record<string, (...a: unknown[]) => unknown>;
      const original = sidecar[method]!;
      let calls = 0;
      sidecar[method] = () => {
        calls++;
        return fail();
      };
      await until('three failing runs of the follower', () => calls >= 3);
      expect(await problemsOf(s, goodTx)).toContain('settings_follow_failing: injected follow fault');
      expect(logged(s, 'settings follower failed')).toBe(1);
      sidecar[method] = original;
      await until('recovery', async () => !(await problemsOf(s, goodTx)).some((p) => p.startsWith('settings_follow')));
      expect(logged(s, 'settings follower recovered')).toBe(1);
    },
    90_000,
  );
});
