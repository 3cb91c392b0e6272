/**
 * The MediaMTX test double as a process: `mediamtx <config.yml>`, like the real binary.
 * Refuses a config MediaMTX v1.20.1 would refuse (exit 1 with `ERR: ...` on stderr), then serves
 * the control API subset on `apiAddress` until SIGTERM/SIGINT. See README.md.
 */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
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
const server = await listen(core).catch((e: unknown) => {
  const err = e as NodeJS.ErrnoException;
  return fail(`listen tcp ${config.apiHost}:${config.apiPort}: bind: ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`);
});
out(`INF [API] listener opened on ${config.apiHost}:${config.apiPort}`);
// FFmpeg children of the double never outlive it.
process.on('exit', () => {
  core.onDemand.closeAll();
  core.hls.killAllSync();
});
const hlsAt = config.hls.listen;
const hlsServer = await listenHls(core).catch((e: unknown) => {
  const err = e as NodeJS.ErrnoException;
  core.hls.killAllSync();
  fail(`listen tcp ${hlsAt?.host}:${hlsAt?.port}: bind: ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`);
});
if (hlsServer && hlsAt) out(`INF [HLS] listener opened on ${hlsAt.host}:${hlsAt.port} (TCP/HTTP)`);

// WebRTC's ICE listeners: bound (no media behind them) so that a taken port fails start-up as MediaMTX's does.
const bindFailure = (proto: string, at: { host: string; port: number }, err: NodeJS.ErrnoException) => {
  core.hls.killAllSync();
  fail(`listen ${proto} ${at.host}:${at.port}: bind: ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`);
};
const iceUdp = config.ice.udp;
if (iceUdp) {
  const socket = createSocket({ type: iceUdp.host.includes(':') || iceUdp.host === '' ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve) => {
    socket.once('error', (err) => bindFailure('udp', iceUdp, err));
    socket.bind({ port: iceUdp.port, address: iceUdp.host === '' ? '::' : iceUdp.host, exclusive: true }, () => resolve());
  });
}
const iceTcp = config.ice.tcp;
if (iceTcp) {
  const ln = createServer((sock) => sock.destroy());
  await new Promise<void>((resolve) => {
    ln.once('error', (err) => bindFailure('tcp', iceTcp, err));
    ln.listen({ port: iceTcp.port, host: iceTcp.host === '' ? undefined : iceTcp.host, exclusive: true }, () => resolve());
  });
}
if (iceUdp || iceTcp) out(`INF [WebRTC] listener opened on ${[iceUdp && `${iceUdp.host}:${iceUdp.port} (UDP/ICE)`, iceTcp && `${iceTcp.host}:${iceTcp.port} (TCP/ICE)`].filter(Boolean).join(', ')}`);

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
