import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { createApp } from '../src/api/app.js';
import { prepareDoc } from '../src/control/bootstrap.js';
import { openSettingsStore, type SettingsStore } from '../src/store/settings-store.js';
import { captureLogger } from './fixtures/proc-helpers.js';
import { makeDataDir, removeDataDir } from './support/data-dir.js';
import { jsonOrNull } from './support/json.js';

export interface Harness {
  app: Hono;
  store: SettingsStore;
  dataDir: string;
  /** Every log line written so far, as raw JSON text. */
  logs: string[];
  settingsBytes(): Promise<string>;
  request(method: string, path: string, body?: unknown): Promise<{ status: number; json: any; text: string }>;
  close(): Promise<void>;
}

/** A server in-process on a fresh data directory, with its log captured. */
export async function startHarness(): Promise<Harness> {
  const dataDir = await makeDataDir('toposync-api');
  const { logger, lines: logs } = captureLogger('debug');
  const store = await openSettingsStore({ dataDir, logger });
  await store.update((draft) => Object.assign(draft, prepareDoc(draft)));
  const app = createApp({ store, logger });
  return {
    app,
    store,
    dataDir,
    logs,
    settingsBytes: () => readFile(join(dataDir, 'settings.json'), 'utf8'),
    async request(method, path, body) {
      const init: RequestInit = { method };
      if (body !== undefined) {
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
        init.headers = { 'content-type': 'application/json' };
      }
      const res = await app.request(path, init);
      const text = await res.text();
      return { status: res.status, json: jsonOrNull(text), text };
    },
    async close() {
      await store.close();
      await removeDataDir(dataDir);
    },
  };
}
