import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Settings files hold camera credentials: owner read/write only. */
const FILE_MODE = 0o600;

/** Every temporary file of `file` starts with this; none of them is ever the truth. */
const tempPrefix = (file: string) => `${file}.tmp-`;
export const backupPath = (file: string) => `${file}.bak`;

let tempCounter = 0;
const tempPath = (file: string) => `${tempPrefix(file)}${process.pid}-${++tempCounter}`;

/** Writes `data` to a fresh temporary file and flushes it to disk; the caller renames it into place. */
async function writeTemp(file: string, data: string | Buffer): Promise<string> {
  const temp = tempPath(file);
  // 'wx': a leftover with the same name is never reused, whoever wrote it.
  const handle = await fs.open(temp, 'wx', FILE_MODE);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fs.rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  return temp;
}

/** Makes renames and unlinks in `dir` survive a power cut (the file data alone is not enough). */
async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readIfExists(file: string): Promise<Buffer | null> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.lstat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function renameTemp(temp: string, target: string): Promise<void> {
  try {
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
}

/**
 * Replaces `file` with `data` so that at every instant (crash, kill, power cut) `file` holds
 * either the complete old or the complete new content, and `<file>.bak` holds the previous one.
 * The backup is itself written through a temporary file, so a crash while refreshing it never
 * leaves a half-written backup either. Files rendered from settings (engine configs) need no backup.
 */
export async function writeFileAtomic(file: string, data: string, { backup = true }: { backup?: boolean } = {}): Promise<void> {
  const temp = await writeTemp(file, data);
  try {
    const previous = backup ? await readIfExists(file) : null;
    if (previous !== null) await renameTemp(await writeTemp(file, previous), backupPath(file));
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
  await renameTemp(temp, file);
  await syncDir(path.dirname(file));
}

/**
 * Moves `file` out of the way under `<file>.<label>-<timestamp>` without ever overwriting an
 * existing file (a random suffix is added on a name clash). Returns the new path.
 */
export async function moveAside(file: string, label: string, now = new Date()): Promise<string> {
  const base = `${file}.${label}-${now.toISOString().replaceAll(':', '-')}`;
  let target = base;
  // rename() silently replaces an existing file. The store is the only writer of its directory,
  // so checking first cannot race.
  while (await exists(target)) target = `${base}-${randomBytes(3).toString('hex')}`;
  await fs.rename(file, target);
  await syncDir(path.dirname(file));
  return target;
}

/** Deletes temporary files left by a writer that died mid-write. Returns the deleted paths. */
export async function removeStaleTemps(file: string): Promise<string[]> {
  const dir = path.dirname(file);
  const prefix = path.basename(tempPrefix(file));
  const stale = (await fs.readdir(dir)).filter((name) => name.startsWith(prefix)).map((name) => path.join(dir, name));
  await Promise.all(stale.map((p) => fs.rm(p, { force: true })));
  if (stale.length > 0) await syncDir(dir);
  return stale;
}
