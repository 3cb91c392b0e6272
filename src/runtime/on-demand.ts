import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ENGINE_PATH_RE } from '../domain/engine-path.js';
import { ENGINE_IDLE_TIMEOUTS } from '../engine/config.js';
import type { OnDemandHook } from './path-plan.js';

/**
 * RTSP readers that start a publisher (issue 11, 4f). A writer-fed or transcoded output's engine
 * path has no publisher until demand starts our FFmpeg, so Home Assistant's camera entity or VLC,
 * which only speak RTSP, used to get 404. MediaMTX's `runOnDemand` runs a command when a reader
 * arrives on a path with no publisher and holds the reader (`runOnDemandStartTimeout`) until one
 * publishes; it stops the command (SIGINT to its process group) `runOnDemandCloseAfter` after the
 * last reader left.
 *
 * The command never starts FFmpeg itself (every child goes through our supervisor): it is a tiny
 * node script that connects to this server's unix socket, says the path (`MTX_PATH`, which
 * MediaMTX sets) and stays connected. While it is connected the path's transmission has demand
 * (`acquire`), so the runtime's tick starts the supervised publisher; when MediaMTX stops it, the
 * connection closes and the demand is released (the usual debounce then stops the publisher).
 *
 * No secret exists to leak: the socket lives in the engine's runtime folder (mode 0700) and is
 * itself 0600, so only processes of this user can reach it. The command line holds only node's
 * path, the script's and the socket's.
 */

/** The notifier MediaMTX runs (CommonJS, no dependencies): its first argument is the socket, MTX_PATH the path. */
const NOTIFIER_SCRIPT = `'use strict';
// Written by the Toposync streaming server: MediaMTX runs this when an RTSP reader wants a path.
const socket = require('node:net').connect(process.argv[2]);
socket.on('connect', () => socket.write(String(process.env.MTX_PATH || '') + '\\n'));
socket.on('error', () => process.exit(1));
socket.on('close', () => process.exit(0));
socket.resume();
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
// MediaMTX killed (a crash, a restart): nobody would stop this one, so it ends with its parent.
const parent = process.ppid;
setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 500);
`;

const NOTIFIER_FILE = 'on-demand-notify.cjs';
export const SOCKET_FILE = 'on-demand.sock';

/**
 * A word for MediaMTX's command line (go-shellquote splits it, then `os.Expand` replaces `$VAR`
 * in each word): single-quoted; null for a word that `$` expansion would change.
 */
function shellWord(word: string): string | null {
  if (word.includes('$')) return null;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export interface OnDemandOptions {
  /** The engine's runtime folder (created 0700 when missing). */
  dir: string;
  logger: Logger;
  /** Demand for the engine path's output while a reader waits or reads; null when no output plays from it. */
  acquire: (path: string) => (() => void) | null;
  /** node's executable. Default `process.execPath`. */
  nodePath?: string;
}

export interface OnDemandListener {
  /** Writes the script and listens. The `runOnDemand` command, or null when none can be spelled. */
  start(): Promise<string | null>;
  /** The `runOnDemand` command once started, else null. */
  command(): string | null;
  /** Notifiers connected right now. */
  active(): number;
  close(): Promise<void>;
}

export function createOnDemandListener({ dir, logger, acquire, nodePath = process.execPath }: OnDemandOptions): OnDemandListener {
  const log = logger.child({ component: 'on-demand' });
  const socketPath = join(dir, SOCKET_FILE);
  const scriptPath = join(dir, NOTIFIER_FILE);
  let server: Server | null = null;
  let cmd: string | null = null;
  const sockets = new Set<Socket>();

  function onConnection(socket: Socket): void {
    sockets.add(socket);
    let line = '';
    let release: (() => void) | null = null;
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('data', (chunk: string) => {
      if (release !== null) return;
      line += chunk;
      const end = line.indexOf('\n');
      if (end < 0) {
        if (line.length > 512) socket.destroy();
        return;
      }
      const path = line.slice(0, end);
      if (!ENGINE_PATH_RE.test(path)) {
        log.warn({ path: path.slice(0, 100) }, 'on-demand notifier named no engine path');
        return void socket.destroy();
      }
      release = acquire(path);
      if (release === null) {
        log.info({ path }, 'an RTSP reader wants a path no output plays from');
        return void socket.destroy();
      }
      log.info({ path }, 'an RTSP reader wants this path: publisher demanded');
    });
    socket.on('close', () => {
      sockets.delete(socket);
      if (release) log.info('RTSP readers of an on-demand path are gone: demand released');
      release?.();
      release = () => {};
    });
  }

  return {
    async start() {
      if (server) return cmd;
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFile(scriptPath, NOTIFIER_SCRIPT, { mode: 0o600 });
      await rm(socketPath, { force: true }); // a socket file left by a killed server
      const s = createServer(onConnection);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(socketPath, () => resolve());
      });
      await chmod(socketPath, 0o600);
      server = s;
      const words = [nodePath, scriptPath, socketPath].map(shellWord);
      cmd = words.every((w) => w !== null) ? words.join(' ') : null;
      if (cmd === null) log.warn('a "$" in the data or node path: RTSP readers cannot start publishers on demand');
      return cmd;
    },
    command: () => cmd,
    active: () => sockets.size,
    async close() {
      const s = server;
      server = null;
      cmd = null;
      for (const socket of sockets) socket.destroy();
      if (s) await new Promise<void>((r) => s.close(() => r()));
      await rm(socketPath, { force: true });
    },
  };
}

/**
 * MediaMTX holds an RTSP reader this long for the publisher the notifier's demand starts: a
 * runtime tick, FFmpeg's start and its first keyframe, on a busy machine. A reader with less
 * patience (go2rtc gives up after 5 s) simply asks again and finds the publisher running.
 */
const ON_DEMAND_START_TIMEOUT = '20s';
/** How long after the last reader left MediaMTX stops the notifier (its demand then ends after the debounce). */
const ON_DEMAND_CLOSE_AFTER = ENGINE_IDLE_TIMEOUTS.runOnDemandCloseAfter;

/** The path-plan hook for a started listener's command (null: publisher paths keep no hook). */
export function onDemandHook(command: string | null): OnDemandHook | null {
  return command === null ? null : { command, startTimeout: ON_DEMAND_START_TIMEOUT, closeAfter: ON_DEMAND_CLOSE_AFTER };
}
