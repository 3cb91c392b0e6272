import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../../test/fixtures/store-helpers.js';
import { backupPath, moveAside, removeStaleTemps, writeFileAtomic } from './atomic-file.js';

const tempDir = tempDirs();
const mode = async (file: string) => (await fs.stat(file)).mode & 0o777;

describe('writeFileAtomic', () => {
  it('writes with mode 0600, keeps the previous content as .bak and leaves no temporary file', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'settings.json');

    await writeFileAtomic(file, 'one');
    expect(await fs.readFile(file, 'utf8')).toBe('one');
    expect(await mode(file)).toBe(0o600);
    await expect(fs.access(backupPath(file))).rejects.toThrow();

    await writeFileAtomic(file, 'two');
    await writeFileAtomic(file, 'three');
    expect(await fs.readFile(file, 'utf8')).toBe('three');
    expect(await fs.readFile(backupPath(file), 'utf8')).toBe('two');
    expect(await mode(backupPath(file))).toBe(0o600);
    expect((await fs.readdir(dir)).sort()).toEqual(['settings.json', 'settings.json.bak']);
  });

  it('fails without touching the target or leaving a temporary file when the old content cannot be read', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'settings.json');
    await fs.mkdir(file); // a directory where the file should be: reading it for the backup fails

    await expect(writeFileAtomic(file, 'new')).rejects.toThrow(/EISDIR/);
    expect((await fs.stat(file)).isDirectory()).toBe(true);
    expect(await fs.readdir(dir)).toEqual(['settings.json']);
  });
});

describe('moveAside', () => {
  it('never overwrites an earlier file moved aside at the same instant', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'settings.json');
    const now = new Date('2024-05-06T07:08:09.123Z');

    await fs.writeFile(file, 'first');
    const a = await moveAside(file, 'corrupt', now);
    await fs.writeFile(file, 'second');
    const b = await moveAside(file, 'corrupt', now);

    expect(path.basename(a)).toBe('settings.json.corrupt-2024-05-06T07-08-09.123Z');
    expect(b).not.toBe(a);
    expect(path.basename(b)).toMatch(/^settings\.json\.corrupt-2024-05-06T07-08-09\.123Z-[0-9a-f]+$/);
    expect(await fs.readFile(a, 'utf8')).toBe('first');
    expect(await fs.readFile(b, 'utf8')).toBe('second');
    await expect(fs.access(file)).rejects.toThrow();
  });
});

describe('removeStaleTemps', () => {
  it('deletes only the temporary files of the given file', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'settings.json');
    for (const name of ['settings.json', 'settings.json.bak', 'settings.json.tmp-1-1', 'settings.json.tmp-99-7', 'other.json.tmp-1-1']) {
      await fs.writeFile(path.join(dir, name), 'x');
    }

    const removed = await removeStaleTemps(file);

    expect(removed.map((p) => path.basename(p)).sort()).toEqual(['settings.json.tmp-1-1', 'settings.json.tmp-99-7']);
    expect((await fs.readdir(dir)).sort()).toEqual(['other.json.tmp-1-1', 'settings.json', 'settings.json.bak']);
  });
});
