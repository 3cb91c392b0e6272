import { mkdirSync, promises as fs, renameSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { SCHEMA_VERSION, emptyDoc, type SettingsDoc } from '../domain/settings.js';
import { PASSWORD, cameraWithPassword, captureLogger, leaksPassword, silentLogger, tempDirs } from '../../test/fixtures/store-helpers.js';
import { isFirstStart, openSettingsStore } from './settings-store.js';
import { readSettingsFile } from './settings-file.js';

const tempDir = tempDirs();
const settingsPath = (dir: string) => path.join(dir, 'settings.json');
const readDoc = async (dir: string) => JSON.parse(await fs.readFile(settingsPath(dir), 'utf8')) as SettingsDoc;
const open = (dataDir: string, logger = silentLogger()) => openSettingsStore({ dataDir, logger });
const entries = async (dir: string) => (await fs.readdir(dir)).sort();

/** A store with two saved revisions, so the .bak holds revision 1 and the primary revision 2. */
async function storeWithHistory(): Promise<string> {
  const dir = await tempDir();
  const store = await open(dir);
  await store.update((d) => void d.cameras.push(cameraWithPassword('front')));
  await store.update((d) => void d.cameras.push(cameraWithPassword('back')));
  await store.close();
  return dir;
}

describe('options', () => {
  it('refuses an empty dataDir', async () => {
    await expect(openSettingsStore({ dataDir: '', logger: silentLogger() })).rejects.toThrow(/dataDir/);
    await expect(openSettingsStore({ dataDir: '  ', logger: silentLogger() })).rejects.toThrow(/dataDir/);
  });
});

describe('first start', () => {
  it('creates the directory, initialises once, writes a valid 0600 file; a reopen loads it from the primary', async () => {
    const dir = path.join(await tempDir(), 'nested', 'data');
    const initialize = vi.fn((doc: SettingsDoc) => ({ ...doc, streaming: { ...doc.streaming, api_token: 'generated-secret-1234' } }));

    const store = await openSettingsStore({ dataDir: dir, logger: silentLogger(), initialize });
    expect(initialize).toHaveBeenCalledTimes(1);
    expect(store.status()).toEqual({ path: settingsPath(dir), loaded_from: 'new', recovered: false, problems: [], revision: 0 });
    expect(isFirstStart(store.status())).toBe(true);
    expect(store.get().streaming.api_token).toBe('generated-secret-1234');
    const stat = await fs.stat(settingsPath(dir));
    expect(stat.mode & 0o777).toBe(0o600);
    const onDisk = await readSettingsFile(settingsPath(dir));
    expect(onDisk).toEqual({ kind: 'ok', doc: store.get() });
    await store.close();

    const again = await openSettingsStore({ dataDir: dir, logger: silentLogger(), initialize });
    expect(initialize).toHaveBeenCalledTimes(1);
    expect(again.status().loaded_from).toBe('primary');
    expect(again.status().recovered).toBe(false);
    expect(isFirstStart(again.status())).toBe(false);
    expect(again.get()).toEqual(store.get());
    await again.close();
  });
});

describe('update', () => {
  it('persists the change with revision+1 and keeps the previous revision as .bak', async () => {
    const dir = await tempDir();
    const store = await open(dir);

    const { doc, result, changed } = await store.update((d) => {
      d.streaming.demand.debounce_s = 42;
      return 'done';
    });

    expect({ result, changed, revision: doc.revision }).toEqual({ result: 'done', changed: true, revision: 1 });
    expect(store.get()).toBe(doc);
    expect(await readDoc(dir)).toEqual(doc);
    expect(JSON.parse(await fs.readFile(`${settingsPath(dir)}.bak`, 'utf8')).revision).toBe(0);
    expect(Date.parse(doc.updated_at)).toBeGreaterThan(Date.now() - 60_000);
    await store.close();

    const reopened = await open(dir);
    expect(reopened.get()).toEqual(doc);
    await reopened.close();
  });

  it('changes nothing when the mutator throws, and passes its error through unchanged', async () => {
    const dir = await tempDir();
    const store = await open(dir);
    await store.update((d) => void d.cameras.push(cameraWithPassword()));
    const before = store.get();
    const bytes = await fs.readFile(settingsPath(dir));
    const boom = new Error('refused');

    const failed = store.update((d) => {
      d.cameras = [];
      d.streaming.demand.debounce_s = 1;
      throw boom;
    });

    await expect(failed).rejects.toBe(boom);
    expect(store.get()).toBe(before);
    expect(store.get().cameras).toHaveLength(1);
    expect(await fs.readFile(settingsPath(dir))).toEqual(bytes);
    await store.close();
  });

  it('refuses a draft that breaks the schema and writes nothing', async () => {
    const dir = await tempDir();
    const store = await open(dir);
    const bytes = await fs.readFile(settingsPath(dir));

    await expect(store.update((d) => void (d.streaming.demand.debounce_s = -5))).rejects.toThrow(/streaming\.demand\.debounce_s/);
    expect(store.get().streaming.demand.debounce_s).toBe(15);
    expect(await fs.readFile(settingsPath(dir))).toEqual(bytes);
    await store.close();
  });

  it('does not write when nothing but the bookkeeping fields changed', async () => {
    const dir = await tempDir();
    const store = await open(dir);
    await store.update((d) => void (d.streaming.demand.debounce_s = 30));
    const before = store.get();
    const bytes = await fs.readFile(settingsPath(dir));
    const mtime = (await fs.stat(settingsPath(dir))).mtimeMs;
    await new Promise((r) => setTimeout(r, 20)); // so a rewrite would show in the mtime

    const noop = await store.update((d) => {
      d.streaming.demand.debounce_s = 30;
      d.revision = 999;
      d.updated_at = new Date().toISOString();
      return 7;
    });

    expect(noop).toEqual({ doc: before, result: 7, changed: false });
    expect(store.get()).toBe(before);
    expect(await fs.readFile(settingsPath(dir))).toEqual(bytes);
    expect((await fs.stat(settingsPath(dir))).mtimeMs).toBe(mtime);
    await store.close();
  });

  it('applies 50 concurrent updates one after another, in call order', async () => {
    const dir = await tempDir();
    const store = await open(dir);
    await store.update((d) => void (d.streaming.demand.debounce_s = 0));
    const start = store.get().revision;

    const runs = Array.from({ length: 50 }, () =>
      store.update((d) => {
        d.streaming.demand.debounce_s += 1;
        return d.streaming.demand.debounce_s;
      }),
    );
    const results = await Promise.all(runs);

    expect(results.map((r) => r.result)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(results.map((r) => r.doc.revision)).toEqual(Array.from({ length: 50 }, (_, i) => start + i + 1));
    expect(store.get().revision).toBe(start + 50);
    expect((await readDoc(dir)).streaming.demand.debounce_s).toBe(50);
    await store.close();
  });

  it('a failed write rejects that update only, keeps the previous doc, and the queue goes on', async () => {
    const dir = await tempDir();
    const store = await open(dir);
    const file = settingsPath(dir);
    const kept = `${file}.kept`;
    await store.update((d) => void (d.streaming.demand.debounce_s = 1));
    const before = store.get();
    // A directory in place of the file makes the next write fail; the update after it restores the file.
    renameSync(file, kept);
    mkdirSync(file);

    const failing = store.update((d) => void (d.streaming.demand.debounce_s = 2));
    const next = store.update((d) => {
      rmdirSync(file);
      renameSync(kept, file);
      d.streaming.demand.debounce_s = 3;
    });

    await expect(failing).rejects.toThrow(/EISDIR/);
    const { doc } = await next;
    expect(doc.revision).toBe(before.revision + 1);
    expect(doc.streaming.demand.debounce_s).toBe(3);
    expect((await readDoc(dir)).streaming.demand.debounce_s).toBe(3);
    await store.close();
  });

  it('refuses an async mutator without writing', async () => {
    const dir = await tempDir();
    const store = await open(dir);
    const bytes = await fs.readFile(settingsPath(dir));

    await expect(store.update(async (d) => void (d.streaming.demand.debounce_s = 3))).rejects.toThrow(/synchronous/);
    expect(await fs.readFile(settingsPath(dir))).toEqual(bytes);
    await store.close();
  });

  it('close waits for queued writes; later updates are refused', async () => {
    const dir = await tempDir();
    const store = await open(dir);
    const pending = [1, 2, 3].map((n) => store.update((d) => void (d.streaming.demand.debounce_s = n)));

    await store.close();

    expect((await readDoc(dir)).revision).toBe(3);
    await expect(Promise.all(pending)).resolves.toHaveLength(3);
    await expect(store.update(() => undefined)).rejects.toThrow(/closed/);
  });
});

describe('loading', () => {
  it('migrates a v0 document (no schema_version) and normalises it', async () => {
    const dir = await tempDir();
    const v0 = { cameras: [cameraWithPassword()], publications: [], pipelines: [], transmissions: [], live_views: [] };
    await fs.writeFile(settingsPath(dir), JSON.stringify(v0));

    const store = await open(dir);

    expect(store.status()).toMatchObject({ loaded_from: 'primary', recovered: false, problems: [] });
    expect(store.get().schema_version).toBe(SCHEMA_VERSION);
    expect(store.get().cameras).toEqual([cameraWithPassword()]);
    expect(store.get().streaming.demand.debounce_s).toBe(15);
    await store.close();
  });

  it('runs normalize on the loaded document and stores what it changed as a new revision', async () => {
    const dir = await storeWithHistory();
    const normalize = vi.fn((doc: SettingsDoc) => ({ ...doc, cameras: doc.cameras.filter((c) => c.id !== 'back') }));

    const store = await openSettingsStore({ dataDir: dir, logger: silentLogger(), normalize });

    expect(normalize).toHaveBeenCalledTimes(1);
    expect(store.get().cameras.map((c) => c.id)).toEqual(['front']);
    expect(store.get().revision).toBe(3);
    expect(await readDoc(dir)).toEqual(store.get());
    await store.close();
  });

  it('deletes temporary files left by an interrupted write', async () => {
    const dir = await storeWithHistory();
    await fs.writeFile(`${settingsPath(dir)}.tmp-123-4`, '{"half":');

    const store = await open(dir);

    expect(await entries(dir)).toEqual(['settings.json', 'settings.json.bak']);
    expect(store.get().revision).toBe(2);
    await store.close();
  });
});

const corruptions: [string, (valid: string) => string][] = [
  ['garbage', () => `${PASSWORD} \u0000\u0001 not json`],
  ['truncated JSON', (valid) => valid.slice(0, valid.indexOf(PASSWORD) + PASSWORD.length + 5)],
  ['an empty file', () => ''],
  [
    'valid JSON that breaks the schema',
    (valid) => {
      const doc = JSON.parse(valid) as SettingsDoc;
      Object.assign(doc.cameras[0]!.sources[0]!, { id: PASSWORD, role: PASSWORD, publish: PASSWORD });
      return JSON.stringify(doc);
    },
  ],
  ['a newer schema_version', (valid) => JSON.stringify({ ...JSON.parse(valid), schema_version: SCHEMA_VERSION + 1 })],
];

describe('recovery', () => {
  it.each(corruptions)('a primary holding %s is kept aside and the backup is loaded', async (_, corrupt) => {
    const dir = await storeWithHistory();
    const file = settingsPath(dir);
    const bad = corrupt(await fs.readFile(file, 'utf8'));
    await fs.writeFile(file, bad);
    const { logger, lines, records } = captureLogger();

    const store = await open(dir, logger);

    const status = store.status();
    expect(status).toMatchObject({ loaded_from: 'backup', recovered: true, revision: 1 });
    expect(store.get().cameras.map((c) => c.id)).toEqual(['front']);
    const aside = (await entries(dir)).filter((name) => name.startsWith('settings.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(aside[0]).toMatch(/^settings\.json\.corrupt-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z$/);
    expect(await fs.readFile(path.join(dir, aside[0]!), 'utf8')).toBe(bad);
    expect(status.problems.some((p) => p.startsWith(`${file}: `) && p.includes(path.join(dir, aside[0]!)))).toBe(true);
    // Written back as the primary, so the next start is clean.
    expect(await readSettingsFile(file)).toEqual({ kind: 'ok', doc: store.get() });
    const errors = records().filter((r) => r.level === 50);
    expect(errors.some((r) => r.path === file)).toBe(true);
    expect(leaksPassword(lines.join(''))).toBe(false);
    expect(leaksPassword(status.problems.join('\n'))).toBe(false);
    await store.close();

    const again = await open(dir);
    expect(again.status()).toMatchObject({ loaded_from: 'primary', recovered: false });
    await again.close();
  });

  it('when the backup is bad too, starts empty and keeps both bad files', async () => {
    const dir = await storeWithHistory();
    const file = settingsPath(dir);
    const badPrimary = `{"cameras": [{"password": ${PASSWORD}}]}`;
    const badBackup = JSON.stringify({ schema_version: 1, revision: 'x', cameras: [{ id: PASSWORD, password: PASSWORD }] });
    await fs.writeFile(file, badPrimary);
    await fs.writeFile(`${file}.bak`, badBackup);
    const { logger, lines, records } = captureLogger();
    const initialize = vi.fn((doc: SettingsDoc) => doc);

    const store = await openSettingsStore({ dataDir: dir, logger, initialize });

    const status = store.status();
    expect(status).toMatchObject({ loaded_from: 'new', recovered: true, revision: 0 });
    expect(isFirstStart(status)).toBe(false); // settings existed: not a first start
    expect({ ...store.get(), updated_at: '' }).toEqual({ ...emptyDoc(), updated_at: '' });
    expect(initialize).not.toHaveBeenCalled();
    const names = await entries(dir);
    const primaryAside = names.find((n) => n.startsWith('settings.json.corrupt-'));
    const backupAside = names.find((n) => n.startsWith('settings.json.bak.corrupt-'));
    expect(await fs.readFile(path.join(dir, primaryAside!), 'utf8')).toBe(badPrimary);
    expect(await fs.readFile(path.join(dir, backupAside!), 'utf8')).toBe(badBackup);
    expect(status.problems.some((p) => p.startsWith(`${file}: `))).toBe(true);
    expect(status.problems.some((p) => p.startsWith(`${file}.bak: `))).toBe(true);
    const errorPaths = records()
      .filter((r) => r.level === 50)
      .map((r) => r.path);
    expect(errorPaths).toEqual(expect.arrayContaining([file, `${file}.bak`]));
    expect(leaksPassword(lines.join(''))).toBe(false);
    expect(leaksPassword(status.problems.join('\n'))).toBe(false);
    expect(await readSettingsFile(file)).toEqual({ kind: 'ok', doc: store.get() });
    await store.close();
  });

  it('a missing primary next to a good backup loads the backup', async () => {
    const dir = await storeWithHistory();
    await fs.rm(settingsPath(dir));

    const store = await open(dir);

    expect(store.status()).toMatchObject({ loaded_from: 'backup', recovered: true, revision: 1 });
    expect(store.status().problems[0]).toBe(`${settingsPath(dir)}: missing`);
    expect(await readSettingsFile(settingsPath(dir))).toEqual({ kind: 'ok', doc: store.get() });
    await store.close();
  });

  it('never logs a password in normal use, and the error of an invalid draft does not quote it', async () => {
    const dir = await tempDir();
    const { logger, lines } = captureLogger();
    const store = await open(dir, logger);
    await store.update((d) => void d.cameras.push(cameraWithPassword()));
    const refusal = await store
      .update((d) => void (d.cameras[0]!.sources[0]!.role = PASSWORD as 'main'))
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    await store.close();

    expect(refusal).toBeInstanceOf(Error);
    const invalid = String(refusal);
    expect(invalid).toMatch(/cameras\.0\.sources\.0\.role: expected/);
    expect(leaksPassword(invalid)).toBe(false);
    expect(lines.length).toBeGreaterThan(0);
    expect(leaksPassword(lines.join(''))).toBe(false);
  });
});
