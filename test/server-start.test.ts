import { execa } from 'execa';
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './support/ports.js';
import { makeDataDir } from './support/data-dir.js';
import { waitFor } from './support/wait.js';

const entry = ['--import', 'tsx', 'src/main.ts'];
let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
});

describe('server entry', () => {
  it.each([
    ['TOPOSYNC_STREAMING_PORT', 'eighty'],
    ['TOPOSYNC_STREAMING_PORT', '70000'],
    ['TOPOSYNC_STREAMING_LOG_LEVEL', 'loud'],
    ['TOPOSYNC_STREAMING_DATA_DIR', ''],
  ])('stops start-up on %s=%j with one clear line', async (key, value) => {
    const res = await execa('node', entry, { env: { [key]: value }, reject: false, timeout: 20_000 });
    expect(res.exitCode).toBe(2);
    const lines = res.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^toposync-streaming: invalid configuration: ${key} `));
  });

  it('starts with a data directory and port from the environment, serves the API, and stops on SIGTERM', async () => {
    const dataDir = await makeDataDir('toposync-start');
    dirs.push(dataDir);
    const port = await freePort();
    const child = execa('node', entry, {
      env: { TOPOSYNC_STREAMING_PORT: String(port), TOPOSYNC_STREAMING_DATA_DIR: dataDir, TOPOSYNC_STREAMING_LOG_LEVEL: 'info' },
      reject: false,
    });
    const body = await waitFor(
      'the server answers',
      () =>
        fetch(`http://127.0.0.1:${port}/api/streams/settings`)
          .then((r) => r.json())
          .catch(() => null),
      30_000,
      {
        intervalMs: 100,
        abort: () => (child.exitCode !== null ? `the server exited (${child.exitCode})` : undefined),
      },
    );
    expect(body).toMatchObject({ schema_version: 1, store: { loaded_from: 'new' } });
    child.kill('SIGTERM');
    const res = await child;
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toContain('"msg":"listening"');
  });
});
