import { serve } from '@hono/node-server';
import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createStreamingServer, type ServerOptions, type StreamingServer } from '../../src/server.js';
import { READER_AGENT } from '../engine-reader.js';
import { freePort } from '../support/ports.js';
import { captureLogger } from '../fixtures/proc-helpers.js';
import { makeDataDir } from '../support/data-dir.js';

/** The MediaMTX test double, started by the engine exactly like the real binary. */
export const MEDIAMTX_DOUBLE = fileURLToPath(new URL('../doubles/mediamtx/mediamtx', import.meta.url));

/**
 * Live FFmpeg processes the server started: children of this process (the server runs
 * in-process), leaving out the test's own receiver (`-rtsp_flags listen`) or engine reader, and exited processes
 * not yet reaped (state Z, empty command line), which run nothing.
 */
export function ffmpegChildren(): number {
  let n = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, ppidField] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(ppidField);
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (ppid === process.pid && comm === 'ffmpeg' && state !== 'Z' && cmdline !== '' && !cmdline.includes('rtsp_flags') && !cmdline.includes(READER_AGENT)) n++;
    } catch {
      // the process ended while we looked
    }
  }
  return n;
}

export interface LiveServer {
  streaming: StreamingServer;
  base: string;
  dataDir: string;
  logs: string[];
  request(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
  close(): Promise<void>;
}

/**
 * The whole server on a real port over a fresh data directory, its log captured. Without the demo
 * stream unless `demo: true`. With `dataDir` it starts over that directory (a restart) and leaves
 * it in place on close. `port` (default any free one) lets a restart keep its address.
 */
export async function startLiveServer(over: Partial<ServerOptions> = {}, settings?: Record<string, unknown>, port = 0): Promise<LiveServer> {
  const dataDir = over.dataDir ?? (await makeDataDir('toposync-live'));
  const { logger, lines: logs } = captureLogger('debug');
  const streaming = await createStreamingServer({ logger, logLevel: 'debug', mediamtxBundledPaths: [], go2rtcBundledPaths: [], tickMs: 200, demo: false, ...over, dataDir, autoStartEngine: false });
  const http = serve({ fetch: streaming.app.fetch, port, hostname: '127.0.0.1' }) as Server;
  await new Promise<void>((r) => (http.listening ? r() : http.once('listening', () => r())));
  streaming.attach(http);
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const request = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(base + path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  };
  // Test files run in parallel: each engine gets its own preferred ports, so two never race for one.
  const ports = { rtsp_port: await freePort(), hls_port: await freePort(), webrtc_port: await freePort(), api_port: await freePort(), webrtc_udp_port: await freePort() };
  const res = await request('PATCH', '/api/streams/settings', { ...settings, engine: { ...(settings?.engine as object | undefined), ...ports } });
  if (res.status !== 200) throw new Error(`settings refused: ${JSON.stringify(res.json)}`);
  if (over.autoStartEngine !== false) await streaming.engine.start();
  return {
    streaming,
    base,
    dataDir,
    logs,
    request,
    async close() {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
      await streaming.stop();
      if (over.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
