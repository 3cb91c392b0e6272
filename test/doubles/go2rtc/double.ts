/**
 * The go2rtc test double as a process: `go2rtc -config <file>`, like the real binary. Refuses a
 * config that fails go2rtc v1.9.14's JSON schema (exit 1, message on stderr), then serves the
 * API subset and the `/api/ws` MSE protocol on `api.listen` until SIGTERM/SIGINT. See README.md.
 */
import { readFileSync } from 'node:fs';
import { ConfigLoadError, loadDoubleConfig, parseArgs } from './config.js';
import { loadGo2rtcReference } from './reference.js';
import { createDoubleCore, DOUBLE_VERSION, listen } from './server.js';

// go2rtc logs with zerolog; the rendered config asks for `format: text`, `time: ""`, `output: stderr`.
const log = (line: string) => process.stderr.write(`${line}\n`);

function fail(message: string, code = 1): never {
  process.stderr.write(`FTL ${message}\n`);
  process.exit(code);
}

let configs: string[];
try {
  configs = parseArgs(process.argv.slice(2)).configs;
} catch (err) {
  fail((err as Error).message, 2);
}
if (process.argv.slice(2).some((a) => /^--?(version|v)$/.test(a))) {
  process.stdout.write(`go2rtc version ${DOUBLE_VERSION} (double) linux/${process.arch === 'arm64' ? 'arm64' : 'amd64'}\n`);
  process.exit(0);
}
if (configs.length > 1) fail('the double reads one config (go2rtc merges several; this server passes one)');
const arg = configs[0] ?? 'go2rtc.yaml';
let text: string;
let file: string | null = null;
if (arg.trimStart().startsWith('{')) text = arg;
else {
  file = arg;
  try {
    text = readFileSync(arg, 'utf8');
  } catch (err) {
    fail(`read config ${arg}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  }
}

const ref = loadGo2rtcReference();
let config;
try {
  config = loadDoubleConfig(ref, text, file);
} catch (err) {
  if (err instanceof ConfigLoadError) fail(err.message);
  throw err;
}

log(`INF go2rtc platform=linux/${process.arch} revision=double version=${DOUBLE_VERSION} (test double: API, MSE over WebSocket; media by FFmpeg testsrc2)`);
if (file) log(`INF config path=${file}`);
const core = createDoubleCore(ref, config, log);
await listen(core).catch((e: unknown) => {
  const err = e as NodeJS.ErrnoException;
  fail(`[api] listen error="listen tcp ${config.apiHost}:${config.apiPort}: bind: ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}"`);
});
log(`INF [api] listen addr=${config.apiHost}:${config.apiPort}`);

let closing = false;
const shutdown = (signal: string) => {
  if (closing) return;
  closing = true;
  log(`INF exit with signal: ${signal}`);
  core.close().then(
    () => process.exit(0),
    () => process.exit(0),
  );
  setTimeout(() => process.exit(0), 1500).unref();
};
process.on('SIGTERM', () => shutdown('terminated'));
process.on('SIGINT', () => shutdown('interrupt'));
