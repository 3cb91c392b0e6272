import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { counterOf } from '../../test/fixtures/store-counter.js';
import { silentLogger, tempDirs } from '../../test/fixtures/store-helpers.js';
import { backupPath } from './atomic-file.js';
import { readSettingsFile } from './settings-file.js';
import { openSettingsStore } from './settings-store.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WRITER = fileURLToPath(new URL('../../test/fixtures/store-writer.ts', import.meta.url));
const RUNS = 50;
const tempDir = tempDirs();

interface Run {
  start: number | null; // the counter the child found when it opened the store
  lastAck: number | null;
  acks: number;
  skipped: boolean; // an ack that did not follow the previous one
}

/** Spawns the writer, lets it work for a random 30-400 ms (after its first ack unless `early`), then SIGKILLs it. */
async function runAndKill(dataDir: string, early: boolean): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dataDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run = { start: null, lastAck: null, acks: 0, skipped: false };
  let stdout = '';
  let stderr = '';
  let firstAck: () => void = () => undefined;
  const acked = new Promise<void>((resolve) => (firstAck = resolve));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const lines = stdout.split('\n');
    stdout = lines.pop() ?? '';
    for (const line of lines) {
      const [word, n] = line.split(' ');
      if (word === 'start') run.start = Number(n);
      if (word === 'ack') {
        // Acks must count up by one: every update is acknowledged before the next starts.
        if (Number(n) !== (run.lastAck ?? run.start ?? Number.NaN) + 1) run.skipped = true;
        run.lastAck = Number(n);
        run.acks += 1;
        firstAck();
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // 'close' comes after the pipes are drained, so every ack the child sent has been read.
  const closed = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));

  if (!early) await Promise.race([acked, closed, sleep(10_000)]);
  await sleep(30 + Math.random() * 370);
  child.kill('SIGKILL');
  const signal = await closed;
  expect(signal, `the writer died by itself:\n${stderr}`).toBe('SIGKILL');
  return run;
}

const listing = async (dir: string, prefix: string) => (await fs.readdir(dir)).filter((name) => name.startsWith(prefix));

it(`keeps every acknowledged update across ${RUNS} SIGKILLs of a writer`, async () => {
  const dir = await tempDir();
  let stored = 0;
  let totalAcks = 0;
  let maxTemps = 0;

  for (let i = 0; i < RUNS; i++) {
    // The first child must get to write the first file; later ones are sometimes killed while starting up.
    const run = await runAndKill(dir, i > 0 && i % 10 === 0);
    const where = `run ${i}: ${JSON.stringify(run)}, stored before ${stored}`;
    if (run.start !== null) expect(run.start, where).toBe(stored);
    expect(run.skipped, where).toBe(false);
    totalAcks += run.acks;
    maxTemps = Math.max(maxTemps, (await listing(dir, 'settings.json.tmp-')).length);

    const store = await openSettingsStore({ dataDir: dir, logger: silentLogger() });
    const doc = store.get();
    const n = counterOf(doc);
    expect(store.status(), where).toMatchObject({ loaded_from: 'primary', recovered: false, problems: [] });
    // At most one update can be durable without its ack having been read: the one in flight.
    const acknowledged = run.lastAck ?? stored;
    expect(n, where).toBeGreaterThanOrEqual(acknowledged);
    expect(n, where).toBeLessThanOrEqual(acknowledged + 1);
    expect(doc.revision, where).toBe(n); // one revision per increment: no write lost or doubled
    const backup = await readSettingsFile(backupPath(path.join(dir, 'settings.json')));
    expect(backup.kind, where).toBe('ok');
    if (backup.kind === 'ok') expect([n - 1, n], where).toContain(counterOf(backup.doc));
    await store.close();
    stored = n;
  }

  expect(totalAcks).toBeGreaterThanOrEqual(RUNS);
  // A killed writer leaves at most its data and backup temporaries, and opening removes them.
  expect(maxTemps).toBeLessThanOrEqual(2);
  expect(await listing(dir, 'settings.json.tmp-')).toEqual([]);
  expect(await listing(dir, 'settings.json.corrupt-')).toEqual([]);
}, 120_000);
