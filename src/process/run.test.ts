import { afterEach, describe, expect, it } from 'vitest';
import { captureLogger, isAlive, manualTimers } from '../../test/fixtures/proc-helpers.js';
import { waitFor } from '../../test/support/wait.js';
import { createSupervisor, type SupervisorOptions } from './supervisor.js';
import type { Supervisor } from './types.js';

let supervisor: Supervisor | null = null;
afterEach(async () => {
  await supervisor?.stopAll();
  supervisor = null;
});

function make(options: Omit<SupervisorOptions, 'logger'> = {}): Supervisor {
  supervisor = createSupervisor({ logger: captureLogger().logger, ...options });
  return supervisor;
}

describe('run()', () => {
  it('collects the stdout of FFmpeg rendering one JPEG', async () => {
    const s = make();
    const r = await s.run({
      name: 'still',
      command: 'ffmpeg',
      args: ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'color=red:s=64x48', '-frames:v', '1', '-f', 'mjpeg', '-'],
      timeoutMs: 10_000,
    });
    expect(r.exit).toMatchObject({ kind: 'expected', code: 0, signal: null });
    expect(r.stdout.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(r.stdout.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
    expect(r.stdout.length).toBeGreaterThan(200);
  });

  it('feeds input on stdin', async () => {
    const s = make();
    const input = Buffer.from('frame bytes \u0000\u00ff'.repeat(1000));
    const r = await s.run({ name: 'cat', command: 'cat', args: [], input, timeoutMs: 5000 });
    expect(r.exit.kind).toBe('expected');
    expect(r.stdout.equals(input)).toBe(true);
  });

  it('kills at the timeout and reports forced', async () => {
    const timers = manualTimers();
    const s = make({ timers });
    const running = s.run({ name: 'slow', command: 'sleep', args: ['10'], timeoutMs: 200 });
    await waitFor('counted', () => s.count() === 1);
    const pid = s.list()[0]!.pid!;
    expect(timers.pending()).toEqual([200]);
    expect(isAlive(pid)).toBe(true); // nothing kills it before the timeout elapses
    await timers.fireNext('run timeout');
    const r = await running;
    expect(r.exit).toMatchObject({ kind: 'forced', code: null, signal: 'SIGKILL' });
    expect(r.stderrTail.at(-1)).toMatch(/timed out after 200 ms/);
    expect(s.count()).toBe(0);
  });

  it('a non-zero exit is crashed, with the redacted stderr tail', async () => {
    const s = make();
    const r = await s.run({
      name: 'probe',
      command: 'ffmpeg',
      args: ['-hide_banner', '-rtsp_transport', 'tcp', '-i', 'rtsp://admin:hunter2@127.0.0.1:1/cam?key=Zz9-secret', '-f', 'null', '-'],
      timeoutMs: 10_000,
      secrets: ['Zz9-secret'],
    });
    expect(r.exit.kind).toBe('crashed');
    expect(r.exit.code).not.toBe(0);
    expect(r.exit.code).not.toBeNull();
    expect(r.stderrTail.length).toBeGreaterThan(0);
    const tail = r.stderrTail.join('\n');
    expect(tail).toMatch(/Connection refused/);
    expect(tail).toContain('rtsp://[redacted]@127.0.0.1:1/cam?key=[redacted]');
    expect(tail).not.toContain('hunter2');
    expect(tail).not.toContain('Zz9-secret');
  });

  it('refuses stdout beyond maxStdoutBytes: kills and reports forced', async () => {
    const s = make();
    const r = await s.run({ name: 'flood', command: 'cat', args: ['/dev/zero'], timeoutMs: 5000, maxStdoutBytes: 100_000 });
    expect(r.exit.kind).toBe('forced');
    expect(r.stdout.length).toBe(100_000);
    expect(r.stderrTail.at(-1)).toMatch(/stdout exceeded 100000 bytes/);
  });

  it('a command that cannot be spawned resolves crashed with the reason', async () => {
    const s = make();
    const r = await s.run({ name: 'missing', command: '/nonexistent/toposync-binary', args: [], timeoutMs: 1000 });
    expect(r.exit).toMatchObject({ kind: 'crashed', code: null });
    expect(r.stderrTail.join('\n')).toMatch(/ENOENT/);
  });

  it('is counted and listed while alive; stopAll() ends it (forced) and leaves count() at 0', async () => {
    const s = make();
    const pending = s.run({ name: 'still:cam1', command: 'sleep', args: ['10'], timeoutMs: 10_000 });
    await waitFor('counted', () => s.count() === 1);
    expect(s.count('still:')).toBe(1);
    expect(s.count('publisher:')).toBe(0);
    const listed = s.list().find((c) => c.name === 'still:cam1');
    expect(listed).toMatchObject({ state: 'running' });
    const pid = listed!.pid!;
    expect(isAlive(pid)).toBe(true);
    await s.stopAll();
    expect(s.count()).toBe(0);
    expect(s.list()).toEqual([]);
    expect(isAlive(pid)).toBe(false);
    expect((await pending).exit.kind).toBe('forced');
  });

  it('rejects an invalid spec', async () => {
    const s = make();
    await expect(s.run({ name: 'bad', command: 'sleep', args: ['1'], timeoutMs: 0 })).rejects.toThrow(/timeoutMs/);
    await expect(s.run({ name: 'bad', command: 'cat', args: [], timeoutMs: 1000, maxStdoutBytes: -1 })).rejects.toThrow(/maxStdoutBytes/);
  });
});
