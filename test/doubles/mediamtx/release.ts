import { createHash } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tar from 'tar';
import { makeDataDir, removeDataDir } from '../../support/data-dir.js';

/** The process double, for a fake release whose `mediamtx` execs it. */
export const DOUBLE_BIN = fileURLToPath(new URL('./mediamtx', import.meta.url));

/** A `.tar.gz` laid out like MediaMTX's release assets (`mediamtx`, `mediamtx.yml`, `LICENSE` at the root). */
export async function makeReleaseTarball(files: Record<string, { content: string; mode?: number }>): Promise<Buffer> {
  const dir = await makeDataDir('mtx-release');
  try {
    for (const [name, f] of Object.entries(files)) {
      await writeFile(join(dir, name), f.content);
      await chmod(join(dir, name), f.mode ?? 0o644);
    }
    const out = join(dir, 'out.tar.gz');
    await tar.c({ gzip: true, file: out, cwd: dir, portable: true }, Object.keys(files));
    return await readFile(out);
  } finally {
    await removeDataDir(dir);
  }
}

/** A release whose `mediamtx` is a shell script starting the contract double (so the engine can run what it downloaded). */
export function doubleReleaseTarball(): Promise<Buffer> {
  return makeReleaseTarball({
    mediamtx: { content: `#!/bin/sh\nexec "${DOUBLE_BIN}" "$@"\n`, mode: 0o755 },
    'mediamtx.yml': { content: 'api: false\n' },
    LICENSE: { content: 'MIT\n' },
  });
}

export const sha256hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

export interface ReleaseServer {
  /** Base URL to pass as `downloadBaseUrl` (…/releases/download equivalent). */
  baseUrl: string;
  /** Request paths received, in order. */
  hits: string[];
  close(): Promise<void>;
}

/**
 * A stand-in for `https://github.com/bluenviron/mediamtx/releases/download` on 127.0.0.1:
 * `files` maps `<tag>/<asset>` to its bytes (or an HTTP status to answer with).
 */
export async function startReleaseServer(files: Record<string, Buffer | string | number>): Promise<ReleaseServer> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\//, '');
    hits.push(path);
    const body = files[path];
    if (body === undefined || typeof body === 'number') {
      res.writeHead(typeof body === 'number' ? body : 404);
      return res.end('Not Found');
    }
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': buf.length });
    res.end(buf);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
