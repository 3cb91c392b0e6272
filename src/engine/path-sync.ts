import type { Logger } from 'pino';
import { redactUrls } from '../shared/logger.js';
import { createSerialQueue } from '../managed/lifecycle.js';
import type { MediamtxClient } from './client.js';
import { pathConfError, redactPathConf, samePathConf, type PathConf } from './path-conf.js';

export interface SyncResult {
  added: string[];
  replaced: string[];
  deleted: string[];
  /** Per path (`path: null` when the engine could not even be listed); messages are redacted. */
  errors: { path: string | null; error: string }[];
  /** True when nothing was done because the engine is not running (the map is kept for the next start). */
  skipped: boolean;
}

/** `errors`: the paths the engine refused at the last sync, with why (redacted); each is retried after a back-off. */
export interface PathSyncStatus {
  desired: number;
  last_sync_at: string | null;
  last_sync_errors: number;
  errors: { path: string | null; error: string }[];
}

export interface PathSyncOptions {
  log: Logger;
  /** The running engine's API client; null while the engine is not running. */
  client: () => MediamtxClient | null;
  /** Clock of the refused-config back-off. */
  now: () => number;
}

/** A path config the engine refused is sent again after 10 s, then 20 s, ... at most every 5 min (unless it changes). */
const REFUSED_RETRY_MS = { initial: 10_000, max: 300_000 };

/**
 * Keeps MediaMTX's runtime paths equal to the map the server wants, through its control API:
 * adds, replaces (only what differs) and deletes paths, one sync at a time. The last map is
 * remembered: MediaMTX forgets API-added paths when it restarts, so the manager calls `resync()`
 * after every (re)start. A config the engine refused is not sent again, identical, until its
 * back-off has passed.
 */
export function createPathSync({ log, client, now }: PathSyncOptions) {
  let desired: Map<string, PathConf> | null = null;
  let lastSyncAt: string | null = null;
  let lastSyncErrors: SyncResult['errors'] = [];
  /** Path configs the engine refused: not sent again, identical, before `retryAt`. */
  const refused = new Map<string, { conf: string; error: string; attempts: number; retryAt: number }>();
  let loggedErrors = '';
  const serially = createSerialQueue();

  function finish(result: SyncResult): SyncResult {
    lastSyncAt = new Date().toISOString();
    lastSyncErrors = result.errors;
    return result;
  }

  /** Sends one path, unless the same config was refused a moment ago; records a refusal's back-off. */
  async function put(result: SyncResult, { c, name, conf, exists }: { c: MediamtxClient; name: string; conf: PathConf; exists: boolean }): Promise<void> {
    const key = JSON.stringify(conf);
    const before = refused.get(name);
    if (before?.conf === key && now() < before.retryAt) {
      result.errors.push({ path: name, error: before.error });
      return;
    }
    try {
      if (exists) await c.replacePath(name, conf);
      else await c.addPath(name, conf);
      (exists ? result.replaced : result.added).push(name);
      refused.delete(name);
    } catch (err) {
      const error = redactUrls((err as Error).message);
      result.errors.push({ path: name, error });
      const attempts = before?.conf === key ? before.attempts + 1 : 1;
      refused.set(name, { conf: key, error, attempts, retryAt: now() + Math.min(REFUSED_RETRY_MS.max, REFUSED_RETRY_MS.initial * 2 ** (attempts - 1)) });
    }
  }

  async function doSync(): Promise<SyncResult> {
    const result: SyncResult = { added: [], replaced: [], deleted: [], errors: [], skipped: false };
    const c = client();
    const want = desired ?? new Map<string, PathConf>();
    if (!c) return { ...result, skipped: true };
    let current: Map<string, Record<string, unknown>>;
    try {
      current = new Map((await c.listPathConfigs()).map((p) => [p.name, p]));
    } catch (err) {
      result.errors.push({ path: null, error: (err as Error).message });
      return finish(result);
    }
    for (const [name, conf] of want) {
      const invalid = pathConfError(name, conf);
      if (invalid) {
        result.errors.push({ path: name, error: invalid });
        continue;
      }
      const have = current.get(name);
      if (have && samePathConf(conf, have)) refused.delete(name);
      else await put(result, { c, name, conf, exists: have !== undefined });
    }
    for (const name of refused.keys()) if (!want.has(name)) refused.delete(name);
    for (const name of current.keys()) {
      if (want.has(name)) continue;
      try {
        await c.deletePath(name);
        result.deleted.push(name);
      } catch (err) {
        result.errors.push({ path: name, error: redactUrls((err as Error).message) });
      }
    }
    finish(result);
    // Errors are said when they change, not at every sync that still has them.
    const errorsKey = JSON.stringify(result.errors);
    const newErrors = errorsKey !== loggedErrors;
    loggedErrors = errorsKey;
    if (result.added.length + result.replaced.length + result.deleted.length > 0 || newErrors) {
      log.info(
        {
          added: result.added,
          replaced: result.replaced.map((p) => ({ path: p, conf: redactPathConf(want.get(p)!) })),
          deleted: result.deleted,
          errors: result.errors,
        },
        'engine paths synced',
      );
    }
    return result;
  }

  return {
    /** Makes the engine's runtime paths equal `next`; remembered and re-applied by `resync()`. */
    sync(next: ReadonlyMap<string, PathConf>): Promise<SyncResult> {
      desired = new Map(next);
      return serially(doSync);
    },
    /** Re-applies the last map after a (re)start; nothing before the first `sync()`. */
    async resync(): Promise<void> {
      if (desired) await serially(doSync);
    },
    status: (): PathSyncStatus => ({ desired: desired?.size ?? 0, last_sync_at: lastSyncAt, last_sync_errors: lastSyncErrors.length, errors: lastSyncErrors.map((e) => ({ ...e })) }),
  };
}
