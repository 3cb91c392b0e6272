import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import * as v from 'valibot';
import { emptyDoc, settingsDocSchema, type SettingsDoc } from '../domain/settings.js';
import { illFormed, illFormedMessage } from '../domain/unicode.js';
import { backupPath, moveAside, removeStaleTemps, writeFileAtomic } from './atomic-file.js';
import { describeIssues, readSettingsFile } from './settings-file.js';

type LoadedFrom = 'primary' | 'backup' | 'new';
export interface StoreStatus {
  path: string;
  loaded_from: LoadedFrom;
  /** True when the primary file was unreadable/invalid and we started from the backup (or from empty). */
  recovered: boolean;
  /** Human-readable lines: what was wrong with which file, where the bad file was moved. */
  problems: string[];
  revision: number;
}
/** True when no settings file (nor its backup) existed when the store opened: the very first start, not a recovery. */
export const isFirstStart = (status: Pick<StoreStatus, 'loaded_from' | 'recovered'>) => status.loaded_from === 'new' && !status.recovered;
interface UpdateResult<T> {
  doc: SettingsDoc;
  result: T;
  changed: boolean;
}
export interface SettingsStore {
  /** The current document. Callers must treat it as immutable. */
  get(): SettingsDoc;
  /**
   * Serialised: runs `mutate` on a deep clone of the current doc; if it throws, nothing changes and
   * the error propagates unchanged. An invalid draft is a programming error (throws, writes nothing).
   * A draft equal to the current doc (ignoring revision/updated_at) writes nothing (changed=false).
   * Otherwise revision+1, updated_at=now, written atomically; the promise resolves once it is durable.
   */
  update<T>(mutate: (draft: SettingsDoc) => T): Promise<UpdateResult<T>>;
  status(): StoreStatus;
  /** Waits for queued writes. */
  close(): Promise<void>;
}
export interface SettingsStoreOptions {
  /** Settings live in `<dataDir>/settings.json` (+ `.bak`). */
  dataDir: string;
  logger: Logger;
  /** Called once when no settings exist yet (first start), on the fresh empty doc, before it is first written. */
  initialize?: (doc: SettingsDoc) => SettingsDoc;
  /** Called on every loaded document after migration+validation (e.g. to reconcile). Default identity. */
  normalize?: (doc: SettingsDoc) => SettingsDoc;
}

interface Loaded {
  doc: SettingsDoc | null; // null: first start, nothing was ever stored
  from: LoadedFrom;
  recovered: boolean;
  problems: string[];
}

const FILE_NAME = 'settings.json';

/** Equality for "did this update change anything": the bookkeeping fields do not count. */
const contentKey = (doc: SettingsDoc) => JSON.stringify({ ...doc, revision: 0, updated_at: '' });

function validated(doc: unknown, what: string): SettingsDoc {
  const parsed = v.safeParse(settingsDocSchema, doc);
  if (!parsed.success) throw new Error(`${what} produced an invalid settings document: ${describeIssues(parsed.issues)}`);
  return parsed.output;
}

/** Primary first, then the backup; every bad file is kept aside under a new name, never overwritten. */
async function load(file: string, log: Logger): Promise<Loaded> {
  const problems: string[] = [];
  const setAside = async (bad: string, problem: string) => {
    const movedTo = await moveAside(bad, 'corrupt');
    log.error({ path: bad, moved_to: movedTo, problem }, 'settings file is unreadable; kept aside');
    problems.push(`${bad}: ${problem}; moved to ${movedTo}`);
  };

  const primary = await readSettingsFile(file);
  if (primary.kind === 'ok') return { doc: primary.doc, from: 'primary', recovered: false, problems };
  if (primary.kind === 'bad') await setAside(file, primary.problem);

  const bak = backupPath(file);
  const backup = await readSettingsFile(bak);
  if (primary.kind === 'missing') {
    if (backup.kind === 'missing') return { doc: null, from: 'new', recovered: false, problems };
    problems.push(`${file}: missing`);
  }
  if (backup.kind === 'ok') {
    problems.push(`restored revision ${backup.doc.revision} from ${bak}`);
    log.warn({ path: bak, revision: backup.doc.revision }, 'settings restored from the backup');
    return { doc: backup.doc, from: 'backup', recovered: true, problems };
  }
  if (backup.kind === 'bad') await setAside(bak, backup.problem);
  problems.push('no readable settings: started from an empty document');
  log.error({ path: file }, 'no readable settings; starting from an empty document');
  return { doc: emptyDoc(), from: 'new', recovered: true, problems };
}

// Typed loosely on purpose: it refuses what a JavaScript caller or a bad test can still pass.
function checkOptions(opts: Partial<SettingsStoreOptions> | undefined): string {
  if (typeof opts?.dataDir !== 'string' || opts.dataDir.trim() === '') throw new Error('settings store: dataDir must be a non-empty path');
  if (typeof opts.logger?.error !== 'function') throw new Error('settings store: logger is required');
  for (const hook of ['initialize', 'normalize'] as const) {
    if (opts[hook] !== undefined && typeof opts[hook] !== 'function') throw new Error(`settings store: ${hook} must be a function`);
  }
  return path.resolve(opts.dataDir);
}

export async function openSettingsStore(opts: SettingsStoreOptions): Promise<SettingsStore> {
  const dataDir = checkOptions(opts);
  const log = opts.logger;
  await fs.mkdir(dataDir, { recursive: true });
  const file = path.join(dataDir, FILE_NAME);
  const persist = (doc: SettingsDoc) => writeFileAtomic(file, `${JSON.stringify(doc, null, 2)}\n`);

  const stale = await removeStaleTemps(file);
  if (stale.length > 0) log.warn({ files: stale }, 'removed temporary settings files of an interrupted write');

  const loaded = await load(file, log);
  const origin = loaded.doc ?? validated(opts.initialize ? opts.initialize(emptyDoc()) : emptyDoc(), 'initialize');
  let current = opts.normalize ? validated(opts.normalize(structuredClone(origin)), 'normalize') : origin;
  const normalizeChanged = contentKey(current) !== contentKey(origin);
  // Anything but an intact primary is written at once, so the next start is clean.
  if (loaded.from !== 'primary' || normalizeChanged) {
    current = { ...current, revision: current.revision + (normalizeChanged ? 1 : 0), updated_at: new Date().toISOString() };
    await persist(current);
  }
  log.info({ path: file, revision: current.revision, loaded_from: loaded.from, recovered: loaded.recovered }, 'settings loaded');
  // The API refuses such strings now; a document an older version accepted still loads, and says where they are until edited.
  const illFormedFields = () => illFormed(current, 10).map((f) => `${f.path || '(document)'}: ${illFormedMessage(f)}; kept as stored, edit it to set it again`);
  if (illFormedFields().length > 0) log.warn({ problems: illFormedFields() }, 'settings hold strings that are not well-formed Unicode');

  let tail: Promise<unknown> = Promise.resolve();
  let closed = false;

  async function apply<T>(mutate: (draft: SettingsDoc) => T): Promise<UpdateResult<T>> {
    const draft = structuredClone(current);
    const result = mutate(draft);
    if (result instanceof Promise) {
      // Edits made after an await would escape validation and the write: refuse them all.
      result.catch(() => undefined);
      throw new Error('settings update: mutate must be synchronous');
    }
    const next = validated(draft, 'settings update');
    if (contentKey(next) === contentKey(current)) return { doc: current, result, changed: false };
    next.revision = current.revision + 1;
    next.updated_at = new Date().toISOString();
    try {
      await persist(next);
    } catch (err) {
      log.error({ path: file, revision: next.revision, error: (err as Error).message }, 'settings write failed; keeping the previous revision');
      throw err;
    }
    current = next;
    return { doc: next, result, changed: true };
  }

  return {
    get: () => current,
    update<T>(mutate: (draft: SettingsDoc) => T): Promise<UpdateResult<T>> {
      if (closed) return Promise.reject(new Error('settings store is closed'));
      const run = tail.then(() => apply(mutate));
      // A failed update rejects only its own caller; the queue moves on.
      tail = run.catch(() => undefined);
      return run;
    },
    status: () => ({
      path: file,
      loaded_from: loaded.from,
      recovered: loaded.recovered,
      problems: [...loaded.problems, ...illFormedFields()],
      revision: current.revision,
    }),
    async close() {
      closed = true;
      await tail;
    },
  };
}
