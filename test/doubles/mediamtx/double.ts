/**
 * The MediaMTX test double as a process: `mediamtx <config.yml>`, like the real binary.
 * Refuses a config MediaMTX v1.20.1 would refuse (exit 1 with `ERR: ...` on stderr), then serves
 * the control API subset on `apiAddress` until SIGTERM/SIGINT. See README.md.
 */
import { readFileSync } from 'node:fs';
import { ConfigLoadError, loadConfig } from './config.js';
import { loadReference } from './reference.js';
import { createDoubleCore, DOUBLE_VERSION, listen, listenHls } from './server.js';

const stamp = () => new Date().toISOString().replace('T', ' ').replace(/\..*$/, '').replace(/-/g, '/');
const out = (line: string) => process.stdout.write(`${stamp()} ${line}\n`);

function fail(message: string): never {
  // MediaMTX prints fatal start-up errors with Go's log package (stderr).
  process.stderr.write(`${stamp()} ERR: ${message}\n`);
  process.exit(1);
}

const file = process.argv[2] ?? 'mediamtx.yml';
let text: string;
try {
  text = readFileSync(file, 'utf8');
} catch (err) {
  fail(`open ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
}

const ref = loadReference();
let config;
try {
  config = loadConfig(ref, text);
} catch (err) {
  if (err instanceof ConfigLoadError) fail(err.message);
  throw err;
}

out(`INF MediaMTX ${DOUBLE_VERSION} (test double: control API and HLS; media only from test-started FFmpeg sources)`);
out(`INF configuration loaded from ${file}`);
const core = createDoubleCore(ref, config, out);
const server = await listen(core).catch((err: NodeJS.ErrnoException) => fail(`listen tcp ${config.apiHost}:${config.apiPort}: bind: ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`));
out(`INF [API] listener opened on ${config.apiHost}:${config.apiPort}`);
// FFmpeg children of the double never outlive it.
process.on('exit', () => core.hls.killAllSync());
const hlsAt = config.hls.listen;
const hlsServer = await listenHls(core).catch((err: NodeJS.ErrnoException) => {
  core.hls.killAllSync();
  fail(`listen tcp ${hlsAt?.host}:${hlsAt?.port}: bind: ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`);
});
if (hlsServer && hlsAt) out(`INF [HLS] listener opened on ${hlsAt.host}:${hlsAt.port} (TCP/HTTP)`);

let closing = false;
const shutdown = (signal: string) => {
  if (closing) return;
  closing = true;
  out(`INF shutting down gracefully (${signal})`);
  core.hls.killAllSync();
  hlsServer?.closeAllConnections();
  hlsServer?.close();
  server.closeAllConnections();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
