import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import type { AddonConfig } from '../../src/addon/index.js';
import { listen, type Listening } from '../../src/addon/listeners.js';
import { createAddonServer } from '../../src/addon/server.js';
import type { StreamingServer } from '../../src/server.js';
import { captureLogger } from '../fixtures/proc-helpers.js';
import { freePort } from '../support/ports.js';
import { makeDataDir, removeDataDir } from '../support/data-dir.js';
import { jsonOrNull } from '../support/json.js';

/** Loopback stand-ins for the ingress proxy's address, for tests that must get through ingress trust. */
export const LOOPBACK_PEERS = ['127.0.0.1', '::ffff:127.0.0.1'];

export interface AddonServer {
  streaming: StreamingServer;
  listening: Listening;
  /** http://127.0.0.1:<ingress port> */
  ingress: string;
  /** http://127.0.0.1:<direct port>, when the config has one. */
  direct: string;
  directPort: number;
  dataDir: string;
  logs: string[];
  apiToken(): string;
  close(): Promise<void>;
}

/**
 * The whole server as main.ts runs it (both ports, real sockets on 127.0.0.1), engine not started,
 * no demo, its log captured. A direct port is always opened: tests that need none pass `directPort: null`.
 */
export async function startAddonServer(addon: AddonConfig): Promise<AddonServer> {
  const dataDir = await makeDataDir('toposync-addon');
  const { logger, lines: logs } = captureLogger();
  const directPort = addon.directPort === undefined ? await freePort() : addon.directPort;
  const server = await createAddonServer(
    {
      logger,
      logLevel: 'debug',
      dataDir,
      mediamtxBundledPaths: [],
      go2rtcBundledPaths: [],
      demo: false,
      autoStartEngine: false,
    },
    { ...addon, directPort },
  );
  const { streaming } = server;
  const listening = await listen(server, { host: '127.0.0.1', port: 0 });
  return {
    streaming,
    listening,
    ingress: `http://127.0.0.1:${(listening.ingress.address() as AddressInfo).port}`,
    direct: directPort === null ? '' : `http://127.0.0.1:${directPort}`,
    directPort: directPort ?? 0,
    dataDir,
    logs,
    apiToken: () => streaming.store.get().streaming.api_token!,
    async close() {
      for (const s of [listening.ingress, listening.direct]) s?.closeAllConnections();
      listening.close();
      await streaming.stop();
      await removeDataDir(dataDir);
    },
  };
}

/** A JSON request; `token` goes in as a bearer header. */
export async function call(base: string, method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }) });
  const buf = Buffer.from(await res.arrayBuffer());
  const json: any = jsonOrNull(buf.toString('utf8'));
  return { status: res.status, headers: res.headers, json, buf };
}

/** Opens a WebSocket: 101 when it upgraded, else the refusal's status and JSON body. */
export function upgrade(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve({ status: 101, body: null });
    });
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
    });
    ws.on('error', () => {});
  });
}
