import { afterEach, describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/fixtures/proc-helpers.js';
import { waitFor } from '../../test/support/wait.js';
import { childEnv } from './env.js';
import { createSupervisor } from './supervisor.js';
import type { Supervisor } from './types.js';

let supervisor: Supervisor | null = null;
afterEach(async () => {
  await supervisor?.stopAll();
  supervisor = null;
});

const CAMERA = 'rtsp://admin:hunter2@10.0.0.1/x';

describe('stderr into the log, redacted', () => {
  it('logs every stderr line with child and pid, never a credential, and keeps a redacted last_error_line', async () => {
    const { logger, lines, records } = captureLogger('info');
    supervisor = createSupervisor({ logger });
    const script = [
      `echo "[rtsp @ 0x1] opening ${CAMERA}" >&2`,
      `echo "[in#0] ${CAMERA}: Connection refused" >&2`,
      'echo "using token s3cr3t-T0ken for the api" >&2',
      'echo "frame=  10 fps=5" >&2',
      'sleep 30',
    ].join('; ');
    const handle = supervisor.start({
      name: 'chatty',
      command: 'sh',
      args: ['-c', script, CAMERA, '--token=s3cr3t-T0ken'],
      restart: 'on-crash',
      secrets: ['s3cr3t-T0ken'],
    });
    await waitFor('last line', () => records().some((r) => typeof r.msg === 'string' && r.msg.startsWith('frame=')));
    const pid = handle.status().pid;

    for (const l of lines) {
      expect(l).not.toContain('hunter2');
      expect(l).not.toContain('s3cr3t-T0ken');
    }
    const stderr = records().filter((r) => r.stream === 'stderr');
    expect(stderr.map((r) => r.msg)).toEqual([
      '[rtsp @ 0x1] opening rtsp://[redacted]@10.0.0.1/x',
      '[in#0] rtsp://[redacted]@10.0.0.1/x: Connection refused',
      'using token [redacted] for the api',
      'frame=  10 fps=5',
    ]);
    for (const r of stderr) expect(r).toMatchObject({ child: 'chatty', pid });
    // info for chatter, warn (40) for error-looking lines
    expect(stderr.map((r) => r.level)).toEqual([30, 40, 30, 30]);
    expect(handle.status().last_error_line).toBe('[in#0] rtsp://[redacted]@10.0.0.1/x: Connection refused');

    // The start is logged with the command line redacted the same way.
    const start = records().find((r) => r.msg === 'child starting');
    expect(start).toMatchObject({ child: 'chatty', pid, command: 'sh' });
    expect(start?.args).toEqual(['-c', expect.stringContaining('rtsp://[redacted]@10.0.0.1/x'), 'rtsp://[redacted]@10.0.0.1/x', '--token=[redacted]']);
  });
});

describe('repeated stderr lines are rate-limited per child', () => {
  it('a warning repeated every frame is logged once, then summarised with its count when the child ends', async () => {
    const { logger, records } = captureLogger('info');
    const t = 1_000_000; // a clock that never moves: every repeat falls inside the summary interval
    supervisor = createSupervisor({ logger, now: () => t });
    // 300 "per-frame" warnings differing only in numbers and addresses, one other line, then silence.
    const script = 'i=0; while [ $i -lt 300 ]; do echo "[h264 @ 0x55d5$i] error while decoding MB $i 7, bytestream -$i" >&2; i=$((i+1)); done; echo "Stream #0:0: Video: h264" >&2; sleep 30';
    const handle = supervisor.start({ name: 'noisy-decoder', command: 'sh', args: ['-c', script], restart: 'never' });
    await waitFor('the last line', () => records().some((r) => r.msg === 'Stream #0:0: Video: h264'));
    const stderr = () => records().filter((r) => r.stream === 'stderr' && r.child === 'noisy-decoder');
    expect(stderr().map((r) => r.msg)).toEqual(['[h264 @ 0x55d50] error while decoding MB 0 7, bytestream -0', 'Stream #0:0: Video: h264']);
    expect(handle.status().last_error_line).toBe('[h264 @ 0x55d5299] error while decoding MB 299 7, bytestream -299');

    await handle.stop();
    const summary = stderr().at(-1)!;
    expect(summary).toMatchObject({ repeated: 299, level: 40, msg: '[h264 @ 0x55d5299] error while decoding MB 299 7, bytestream -299 (repeated 299 times)' });
    expect(stderr()).toHaveLength(3);
  });

  it('a crash loop logs its first crash, then counts the same crash instead of logging every one', async () => {
    const { logger, records } = captureLogger('info');
    const t = 1_000_000;
    supervisor = createSupervisor({ logger, now: () => t });
    const handle = supervisor.start({
      name: 'crash-loop',
      command: 'sh',
      args: ['-c', 'echo "Connection refused" >&2; exit 1'],
      restart: 'on-crash',
      maxRestarts: 7,
      backoff: { initialMs: 5, maxMs: 5 },
    });
    await waitFor('failed', () => handle.status().state === 'failed');
    const mine = records().filter((r) => r.child === 'crash-loop' && (r.level as number) >= 30);
    // 8 runs; without the limit that is 8 × (starting, stderr line, crashed, restarting) = 31 lines.
    expect(mine.filter((r) => r.msg === 'Connection refused')).toHaveLength(1);
    expect(mine.filter((r) => r.msg === 'child crashed')).toHaveLength(1);
    expect(mine.filter((r) => r.stream === 'stderr' && r.repeated === 7)).toHaveLength(1);
    expect(mine.filter((r) => r.msg === 'child crashed (repeated 7 times)' && r.repeated === 7)).toHaveLength(1);
    expect(mine.length).toBeLessThanOrEqual(8);
  });
});

describe('stdin', () => {
  it('writes to a child that died (EPIPE) are swallowed, never thrown', async () => {
    const { logger, records } = captureLogger('debug');
    supervisor = createSupervisor({ logger });
    // Reads one byte of its stdin and exits: the rest of our pending 4 MiB write fails with EPIPE.
    const handle = supervisor.start({ name: 'deaf-encoder', command: 'sh', args: ['-c', 'head -c 1 >/dev/null; exit 1'], restart: 'never', stdin: 'pipe' });
    await waitFor('running', () => handle.status().state === 'running');
    const stdin = handle.stdin();
    expect(stdin).not.toBeNull();
    expect(() => stdin!.write(Buffer.alloc(4 * 1024 * 1024))).not.toThrow();
    await waitFor('failed', () => handle.status().state === 'failed');
    expect(records().some((r) => r.msg === 'stdin write failed (ignored)' && r.code === 'EPIPE')).toBe(true);
    // Writing to the old stream after the exit: still no throw, no uncaught error.
    expect(() => stdin!.write(Buffer.from('late frame'))).not.toThrow();
    await new Promise(setImmediate); // past the nextTick an asynchronous write error is emitted in
    expect(handle.stdin()).toBeNull();
  });
});

describe('environment', () => {
  it('children get PATH and friends plus spec.env, never the rest of the server environment', async () => {
    const { logger } = captureLogger();
    supervisor = createSupervisor({ logger });
    process.env.TOPOSYNC_TEST_SUPERVISOR_TOKEN = 'leak-me';
    try {
      const script = 'echo "PATH=$PATH"; echo "TOKEN=$TOPOSYNC_TEST_SUPERVISOR_TOKEN"; echo "EXTRA=$EXTRA"; echo "TZ=$TZ"';
      const plain = await supervisor.run({ name: 'env', command: 'sh', args: ['-c', script], timeoutMs: 5000 });
      expect(plain.exit.kind).toBe('expected');
      const out = String(plain.stdout);
      expect(out).toContain(`PATH=${process.env.PATH}\n`);
      expect(out).toContain('TOKEN=\n');
      expect(out).toContain('EXTRA=\n');

      const extended = await supervisor.run({ name: 'env', command: 'sh', args: ['-c', script], env: { EXTRA: 'yes', TZ: 'Europe/Paris' }, timeoutMs: 5000 });
      const out2 = String(extended.stdout);
      expect(out2).toContain('EXTRA=yes\n');
      expect(out2).toContain('TZ=Europe/Paris\n');
      expect(out2).toContain('TOKEN=\n');
    } finally {
      delete process.env.TOPOSYNC_TEST_SUPERVISOR_TOKEN;
    }
  });

  it('childEnv: allowlist, LC_*, overrides', () => {
    const env = childEnv({ PATH: '/opt/bin', FOO: 'bar' }, { PATH: '/usr/bin', HOME: '/root', LC_ALL: 'C.UTF-8', SUPERVISOR_TOKEN: 'x', NODE_OPTIONS: '--inspect' });
    expect(env).toEqual({ PATH: '/opt/bin', HOME: '/root', LC_ALL: 'C.UTF-8', FOO: 'bar' });
  });
});

describe('validation', () => {
  it('refuses nonsense options and specs', () => {
    const { logger } = captureLogger();
    expect(() => createSupervisor({ logger, defaults: { stopTimeoutMs: -1 } })).toThrow(/stopTimeoutMs/);
    expect(() => createSupervisor({ logger, defaults: { backoff: { factor: 0 } } })).toThrow(/factor/);
    expect(() => createSupervisor({ logger, defaults: { backoff: { initialMs: 100, maxMs: 10 } } })).toThrow(/maxMs/);
    expect(() => createSupervisor({} as never)).toThrow(/logger/);
    supervisor = createSupervisor({ logger });
    const s = supervisor;
    expect(() => s.start({ name: 'x', command: 'sh -c "echo hi"', args: 'echo' as never, restart: 'never' })).toThrow(/args/);
    expect(() => s.start({ name: '', command: 'sh', args: [], restart: 'never' })).toThrow(/name/);
    expect(() => s.start({ name: 'x', command: 'sh', args: [], restart: 'never', stop: { timeoutMs: -5 } })).toThrow(/timeoutMs/);
    expect(() => s.start({ name: 'x', command: 'sh', args: [], restart: 'on-crash', maxRestarts: -1 })).toThrow(/maxRestarts/);
    expect(() => s.start({ name: 'x', command: 'sh', args: [], restart: 'on-crash', backoff: { initialMs: -1 } })).toThrow(/initialMs/);
    expect(s.list()).toEqual([]);
  });
});
