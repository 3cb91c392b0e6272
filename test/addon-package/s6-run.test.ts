import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readYaml, ROOT } from './helpers.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

const SERVICE = join(ROOT, 'rootfs/etc/s6-overlay/s6-rc.d/toposync-streaming');
const RUN = join(SERVICE, 'run');
const FINISH = join(SERVICE, 'finish');
const HEALTHCHECK = join(ROOT, 'rootfs/usr/local/lib/toposync-streaming/healthcheck.mjs');

const work = mkdtempSync(join(tmpdir(), 'toposync-s6-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * The interpreter line of a script, as the kernel would run it: `#!/command/with-contenv sh` runs
 * `/command/with-contenv sh <script>`. with-contenv only imports the container environment into
 * the process environment; here the environment is given directly, so a stand-in that runs its
 * arguments is faithful. Nothing else of the script is replaced.
 */
function shebang(file: string): { interpreter: string; args: string[] } {
  const [interpreter, ...args] = readFileSync(file, 'utf8').split('\n', 1)[0]!.slice(2).trim().split(/\s+/);
  return { interpreter: interpreter!, args };
}

function stubBin(name: string, files: Record<string, string>): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    writeFileSync(join(dir, file), text);
    chmodSync(join(dir, file), 0o755);
  }
  return dir;
}

const withContenv = stubBin('with-contenv', { 'with-contenv': '#!/bin/sh\nexec "$@"\n' });

/** argv for running `file` the way its shebang says, with the with-contenv stand-in. */
function viaShebang(file: string): string[] {
  const { interpreter, args } = shebang(file);
  expect(interpreter).toMatch(/^\/(?:command|usr\/bin)\/with-contenv$/);
  return [join(withContenv, 'with-contenv'), ...args, file];
}

/** A fake add-on data folder: /data/options.json as Supervisor writes it, from config.yaml's defaults. */
function fakeData(overrides: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(work, 'data-'));
  const options = { ...(readYaml('config.yaml').options as Record<string, unknown>), ...overrides };
  writeFileSync(join(dir, 'options.json'), JSON.stringify(options));
  return dir;
}

describe('s6 run script: the command line it executes', () => {
  it('execs node on /app/dist/main.js with the add-on defaults, passing SUPERVISOR_TOKEN through', () => {
    // A `node` that records how it was started instead of running anything.
    const out = join(work, 'node-call.json');
    const fakeNode = stubBin('fake-node', {
      node: `#!/bin/sh\nexec "${process.execPath}" -e 'require("fs").writeFileSync(process.env.NODE_CALL_OUT, JSON.stringify({ cwd: process.cwd(), argv: process.argv.slice(1), env: process.env }))' -- "$@"\n`,
    });
    const appDir = mkdtempSync(join(work, 'app-'));
    const res = spawnSync(viaShebang(RUN)[0]!, viaShebang(RUN).slice(1), {
      encoding: 'utf8',
      env: { PATH: `${fakeNode}:/usr/bin:/bin`, SUPERVISOR_TOKEN: 'test', NODE_CALL_OUT: out, TOPOSYNC_STREAMING_APP_DIR: appDir },
    });
    expect(res.status, res.stderr).toBe(0);
    const call = JSON.parse(readFileSync(out, 'utf8')) as { cwd: string; argv: string[]; env: Record<string, string> };
    expect(call.argv).toEqual([join(appDir, 'dist/main.js')]);
    expect(call.cwd).toBe(appDir);
    expect(call.env).toMatchObject({
      SUPERVISOR_TOKEN: 'test',
      TOPOSYNC_STREAMING_DATA_DIR: '/data',
      TOPOSYNC_STREAMING_HOST: '0.0.0.0',
      TOPOSYNC_STREAMING_PORT: '8100',
      TOPOSYNC_STREAMING_DIRECT_PORT: '8101',
      TOPOSYNC_STREAMING_MEDIAMTX_PATH: '/usr/local/bin/mediamtx',
      TOPOSYNC_STREAMING_GO2RTC_PATH: '/usr/local/bin/go2rtc',
    });
    // Nothing from options.json is turned into environment by the script: the server reads it.
    expect(Object.keys(call.env).filter((k) => /LOG_LEVEL|RTSP|MSE|JSMPEG|DEBOUNCE/i.test(k))).toEqual([]);
    expect(res.stderr).toContain('toposync-streaming: starting the server');
  });

  it('without TOPOSYNC_STREAMING_APP_DIR it runs from /app, the image layout', () => {
    expect(readFileSync(RUN, 'utf8')).toMatch(/app_dir="\$\{TOPOSYNC_STREAMING_APP_DIR:-\/app\}"/);
    expect(readFileSync(RUN, 'utf8')).toMatch(/^exec node "\$app_dir\/dist\/main\.js"$/m);
  });
});

describe('s6 run script: the compiled server, started the way s6 starts it', () => {
  // The real server, compiled the way the image compiles it (tsconfig.build.json), into a folder of
  // its own so that nothing else's dist/ is touched; node_modules resolves from the repository.
  const appDir = join(ROOT, 'test-results', 'addon-package', 'app');
  let server: ChildProcess | null = null;
  let stderr = '';
  let stdout = '';
  let port = 0;
  let directPort = 0;
  let dataDir = '';

  beforeAll(async () => {
    rmSync(appDir, { recursive: true, force: true });
    execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(appDir, 'dist')], { cwd: ROOT, stdio: 'pipe' });
    port = await freePort();
    dataDir = fakeData({ log_level: 'debug' });
    const [cmd, ...args] = viaShebang(RUN);
    server = spawn(cmd!, args, {
      env: {
        PATH: process.env.PATH,
        SUPERVISOR_TOKEN: 'test',
        TOPOSYNC_STREAMING_APP_DIR: appDir,
        TOPOSYNC_STREAMING_DATA_DIR: dataDir,
        // Loopback and free ports in the test; the script's own defaults are checked above.
        TOPOSYNC_STREAMING_HOST: '127.0.0.1',
        TOPOSYNC_STREAMING_PORT: String(port),
        TOPOSYNC_STREAMING_DIRECT_PORT: String((directPort = await freePort())),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
    server.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  }, 120_000);

  afterAll(async () => {
    if (server?.exitCode === null) {
      server.kill('SIGKILL');
      await new Promise((r) => server?.once('exit', r));
    }
  });

  async function get(path: string): Promise<{ status: number; body: any } | null> {
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: res.status, body: await res.json().catch(() => null) };
    } catch {
      return null;
    }
  }

  it('starts and answers GET /api/streams/engine/status on the port the script passed', async () => {
    let res = await waitFor('the server answers', () => get('/api/streams/engine/status'), 30_000, {
      intervalMs: 100,
      abort: () => (server?.exitCode !== null ? 'the server exited' : undefined),
    }).catch((): Awaited<ReturnType<typeof get>> => null);
    expect(res, `server did not answer; exit ${server?.exitCode}; stderr:\n${stderr}\nstdout:\n${stdout}`).not.toBeNull();
    // Add-on mode: the ingress port answers only Home Assistant's ingress proxy, not this loopback peer.
    expect(res?.status).toBe(403);
    expect(res?.body).toMatchObject({ error: { code: 'not_ingress' } });
    // The direct port answers with the API token the server generated into settings.json.
    const token = JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')).streaming.api_token as string;
    const direct = async (path: string) => {
      const r = await fetch(`http://127.0.0.1:${directPort}${path}`, { headers: { authorization: `Bearer ${token}` } });
      return { status: r.status, body: (await r.json()) as any };
    };
    expect((await direct('/api/streams/addon')).body).toMatchObject({ mode: 'addon', direct_port: { enabled: true, port: directPort }, options: { loaded: true } });
    res = await direct('/api/streams/engine/status');
    expect(res?.status).toBe(200);
    expect(res?.body).toMatchObject({ version: 'v1.20.1' });
    // The bundled MediaMTX path came from the run script's default (not present on this machine).
    const binary = res?.body.binary as { path: string | null; reason: string | null };
    expect(binary.path ?? binary.reason).toContain('/usr/local/bin/mediamtx');
    expect(stderr).toContain('toposync-streaming: starting the server');
    expect(stdout).toContain('"msg":"listening"');
  });

  it('keeps its data in the data folder the script passed, next to options.json', () => {
    expect(existsSync(join(dataDir, 'options.json'))).toBe(true);
    expect(existsSync(join(dataDir, 'settings.json'))).toBe(true);
  });

  it('the image HEALTHCHECK script reports the running server healthy', () => {
    const res = spawnSync(process.execPath, [HEALTHCHECK], { encoding: 'utf8', env: { TOPOSYNC_STREAMING_PORT: String(port) } });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
  });

  it('stops cleanly on SIGTERM (exit 0: a normal stop is not reported as a crash)', async () => {
    // `exec` in the script: the process s6 supervises is node itself and gets s6's signals.
    server?.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => (server?.exitCode !== null ? r(server?.exitCode ?? null) : server?.once('exit', (c) => r(c))));
    expect(code).toBe(0);
  });

  it('the HEALTHCHECK script reports unhealthy once nothing answers', () => {
    const res = spawnSync(process.execPath, [HEALTHCHECK], { encoding: 'utf8', env: { TOPOSYNC_STREAMING_PORT: String(port), TOPOSYNC_HEALTHCHECK_TIMEOUT_MS: '2000' } });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/^healthcheck: /);
  });
});

describe('s6 finish script', () => {
  /** Runs finish with the given exit code/signal; returns the container exit code file and whether halt ran. */
  function finish(code: number, signal: number, containerCode = 0) {
    const dir = mkdtempSync(join(work, 'finish-'));
    writeFileSync(join(dir, 'exitcode'), `${containerCode}\n`);
    const halt = join(dir, 'halt');
    writeFileSync(halt, `#!/bin/sh\ntouch "${dir}/halted"\n`);
    chmodSync(halt, 0o755);
    const [cmd, ...args] = viaShebang(FINISH);
    const res = spawnSync(cmd!, [...args, String(code), String(signal)], {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin', TOPOSYNC_S6_RESULTS_DIR: dir, TOPOSYNC_S6_HALT: halt },
    });
    expect(res.status, res.stderr).toBe(0);
    return { exitcode: readFileSync(join(dir, 'exitcode'), 'utf8').trim(), halted: existsSync(join(dir, 'halted')), log: res.stderr };
  }

  it('a crash (non-zero exit) records the code and halts the container', () => {
    expect(finish(1, 0)).toMatchObject({ exitcode: '1', halted: true });
    expect(finish(2, 0).log).toContain('server exited with code 2');
  });

  it('keeps the first recorded code when the container is already going down', () => {
    expect(finish(1, 0, 3)).toMatchObject({ exitcode: '3', halted: true });
  });

  it('killed by SIGTERM: records 143 and halts; killed by another signal: records it, s6 restarts the server', () => {
    expect(finish(256, 15)).toMatchObject({ exitcode: '143', halted: true });
    expect(finish(256, 9)).toMatchObject({ exitcode: '137', halted: false });
  });

  it('a clean exit (0) leaves the container alone', () => {
    expect(finish(0, 0)).toMatchObject({ exitcode: '0', halted: false });
  });
});
