/**
 * The server as users run it: `node --import tsx src/main.ts` in its own process, on a data
 * directory and free ports, with the MediaMTX and go2rtc doubles (or the real binaries when
 * TOPOSYNC_STREAMING_MEDIAMTX_PATH / TOPOSYNC_STREAMING_GO2RTC_PATH name them). A crash is an exit
 * of that process, seen by `alive()`, and its last log and stderr lines say why.
 */
import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../src/shared/logger.js';
import { openSettingsStore } from '../../src/store/settings-store.js';
import { ENGINE_BINS } from '../engines.js';
import { onLines } from '../media/proc.js';
import { freePort, freeUdpPort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';
import { send, type Answer, type Sent } from './wire.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The engine binaries the hardening suites run against (test/engines.ts: the real ones when configured, else the doubles). */
export const ENGINES = ENGINE_BINS;

export interface Exit {
  code: number | null;
  signal: string | null;
}

export interface ChildServer {
  port: number;
  /** The token-only direct port (TOPOSYNC_STREAMING_DIRECT_PORT). */
  directPort: number;
  dataDir: string;
  pid: number;
  alive(): boolean;
  /** Whether the process exits within `ms` (a connection refused comes before the exit is seen). */
  exitsWithin(ms: number): Promise<boolean>;
  /** Remembers what was just sent (the last few are kept): a crash names them. */
  note(what: string): void;
  /** How it ended (or that it runs), the last requests noted, error log lines and stderr: for failure messages. */
  postmortem(): string;
  /** Throws, with the postmortem, unless the process lives and answers GET /api/streams/settings. */
  check(): Promise<void>;
  send(req: Sent, port?: number): Promise<Answer>;
  settingsBytes(): Promise<string>;
  /** SIGTERM, then the exit (SIGKILL after 20 s, reported as signal SIGKILL). */
  stop(): Promise<Exit>;
}

/**
 * A new data directory gets settings whose engine ports were free a moment ago: servers started
 * at once (test files run in parallel) would otherwise all prefer MediaMTX's defaults and race
 * for them. The server then starts on existing settings, so it adds no demo stream.
 */
async function preferFreeEnginePorts(dataDir: string): Promise<void> {
  const store = await openSettingsStore({ dataDir, logger: createLogger('silent') });
  const [rtsp_port, hls_port, webrtc_port, webrtc_udp_port, api_port] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  await store.update((draft) => {
    draft.streaming.engine = { ...draft.streaming.engine, rtsp_port, hls_port, webrtc_port, webrtc_udp_port, api_port };
  });
  await store.close();
}

export async function startChildServer(dataDir: string): Promise<ChildServer> {
  if (!existsSync(join(dataDir, 'settings.json'))) await preferFreeEnginePorts(dataDir);
  const port = await freePort();
  let directPort = await freePort();
  while (directPort === port) directPort = await freePort();
  const env: Record<string, string | undefined> = {
    ...process.env,
    TOPOSYNC_STREAMING_PORT: String(port),
    TOPOSYNC_STREAMING_DIRECT_PORT: String(directPort),
    TOPOSYNC_STREAMING_HOST: '127.0.0.1',
    TOPOSYNC_STREAMING_DATA_DIR: dataDir,
    TOPOSYNC_STREAMING_LOG_LEVEL: 'info',
    TOPOSYNC_STREAMING_MEDIAMTX_PATH: ENGINES.mediamtx,
    TOPOSYNC_STREAMING_GO2RTC_PATH: ENGINES.go2rtc,
    // Development mode whatever the machine says: add-on mode would put ingress trust in front.
    TOPOSYNC_STREAMING_MODE: 'dev',
    // The fuzzed cameras sit at TEST-NET and made-up hosts: no probe may try to reach them.
    TOPOSYNC_STREAMING_PROBE_ON_SAVE: 'false',
    // ONVIF discovery Probes go to a loopback UDP port nobody answers, never to the multicast group.
    TOPOSYNC_STREAMING_ONVIF_DISCOVERY_TARGET: `127.0.0.1:${await freeUdpPort()}`,
    SUPERVISOR_TOKEN: undefined,
  };
  const child: ResultPromise = execa(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env, extendEnv: false, stdin: 'ignore', buffer: false, reject: false, cleanup: true });
  let exit: Exit | null = null;
  const exited = child.then((r) => (exit = { code: r.exitCode ?? null, signal: r.signal ?? null }));

  // Bounded: a soak run logs a line per request.
  const tail: string[] = [];
  const errors: string[] = [];
  let stderr = '';
  onLines(child.stdout, (line) => {
    tail.push(line);
    if (tail.length > 200) tail.shift();
    if (/"level":(5|6)\d/.test(line) && errors.length < 100) errors.push(line);
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (c: string) => (stderr = (stderr + c).slice(-8000)));

  const notes: string[] = [];
  const alive = () => exit === null;
  const postmortem = () =>
    [
      exit === null ? `server pid ${child.pid} running` : `server exited: code ${exit.code}, signal ${exit.signal}`,
      `last requests (newest last):\n${notes.join('\n') || '(none)'}`,
      // The first error is most often the cause; each clipped (stacks are long).
      `error log lines (first 3, last 3 of ${errors.length}):\n${[...new Set([...errors.slice(0, 3), ...errors.slice(-3)])].map((l) => l.slice(0, 600)).join('\n') || '(none)'}`,
      `last log lines:\n${tail.slice(-8).join('\n')}`,
      `stderr:\n${stderr.slice(-3000) || '(empty)'}`,
    ].join('\n');

  await waitFor('the server answers GET /api/streams/settings', async () => (await send(port, { method: 'GET', target: '/api/streams/settings' }, 5_000).catch(() => null))?.status === 200, 90_000, {
    intervalMs: 100,
    abort: () => (alive() ? undefined : postmortem()),
  });

  const exitsWithin = (ms: number) => Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
  return {
    port,
    directPort,
    dataDir,
    pid: child.pid!,
    alive,
    exitsWithin,
    note(what) {
      notes.push(what);
      if (notes.length > 8) notes.shift();
    },
    postmortem,
    async check() {
      const res = await send(port, { method: 'GET', target: '/api/streams/settings' }).catch(() => null);
      if (res?.status === 200) return;
      if (res === null) await exitsWithin(3_000);
      throw new Error(`${alive() ? `the server stopped answering (${res?.status ?? 'no answer'})` : 'the server died'}\n${postmortem()}`);
    },
    send: (req, to = port) => send(to, req),
    settingsBytes: () => readFile(join(dataDir, 'settings.json'), 'utf8'),
    async stop() {
      if (exit === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
      return exit as unknown as Exit;
    },
  };
}

/** Stops the server and starts it again on the same data directory: how the first one ended, and the new one. */
export async function restartChildServer(server: ChildServer): Promise<{ exit: Exit; server: ChildServer }> {
  const exit = await server.stop();
  return { exit, server: await startChildServer(server.dataDir) };
}
