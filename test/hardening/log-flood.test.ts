import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLiveServer, type LiveServer } from '../runtime/server-harness.js';
import { makeDataDir, removeDataDir } from '../support/data-dir.js';

/**
 * Issue 10, point 6: an idle server without go2rtc wrote "go2rtc is missing; MSE is unavailable" once a
 * second (86,400 lines a day). The composed server, with no go2rtc and no MediaMTX anywhere, is driven
 * through N ticks of what its timers do (the settings follower: sidecar.applySettings + syncStreams; and
 * engine starts): a state is logged when it changes, not on every tick.
 */
const TICKS = 50;

let server: LiveServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.close();
  if (dir) await removeDataDir(dir);
  server = dir = undefined;
});

const count = (logs: string[], msg: RegExp) => logs.filter((l) => msg.test((JSON.parse(l) as { msg: string }).msg)).length;

describe('no log flood from missing engines', () => {
  it(`${TICKS} ticks without go2rtc and MediaMTX: each "missing" is said once`, async () => {
    server = await startLiveServer({ go2rtcBundledPaths: [], mediamtxBundledPaths: [] });
    const { sidecar, engine, runtime } = server.streaming;
    const paths = () => runtime.plan().outputs.map((o) => o.path);
    for (let i = 0; i < TICKS; i++) {
      await sidecar.applySettings();
      await sidecar.syncStreams(paths());
      await engine.start();
    }
    expect(sidecar.status().state).toBe('missing');
    expect(engine.status().state).toBe('missing');
    expect(count(server.logs, /^go2rtc is missing/)).toBe(1);
    expect(count(server.logs, /^MediaMTX is missing/)).toBe(1);
  });

  it(`${TICKS} ticks with a go2rtc that dies at start: not started again on every tick`, async () => {
    dir = await makeDataDir('flood');
    const broken = join(dir, 'go2rtc');
    await writeFile(broken, '#!/bin/sh\necho "FTL [api] listen error" >&2\nexit 1\n');
    await chmod(broken, 0o755);
    server = await startLiveServer({ go2rtcPath: broken, mediamtxBundledPaths: [] });
    const { sidecar, runtime } = server.streaming;
    const starts = () => server!.logs.filter((l) => l.includes('"child":"go2rtc"') && l.includes('"msg":"child starting"')).length;
    const before = starts();
    for (let i = 0; i < TICKS; i++) {
      await sidecar.applySettings();
      await sidecar.syncStreams(runtime.plan().outputs.map((o) => o.path));
    }
    expect(sidecar.status()).toMatchObject({ state: 'failed', last_error: expect.stringMatching(/listen error/) });
    // Failed starts are retried after a growing delay (0.5, 1, 2 ... 30 s), not once a tick.
    expect(starts() - before).toBeLessThan(10);
  });
});
