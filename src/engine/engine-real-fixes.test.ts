/**
 * Issue 11, points 4d and 4h: behaviours the real MediaMTX (v1.20.1) showed that the double hid.
 * Runs against the double by default and against the real binary when
 * TOPOSYNC_STREAMING_MEDIAMTX_PATH names it (test/engines.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUpEngines, holdTcp, setupEngine as setup } from '../../test/engine-env.js';
import { manualTimers } from '../../test/fixtures/proc-helpers.js';
import { waitFor } from '../../test/support/wait.js';
import { engineTarget } from '../../test/engines.js';
import { camera, plane, source } from '../reconcile/fixtures.js';
import { reconcile } from '../reconcile/reconcile.js';
import { planEngine } from '../runtime/path-plan.js';
import type { PathConf } from './path-conf.js';

afterEach(cleanUpEngines);

describe(`ICE-over-TCP port (4h) against the ${engineTarget('mediamtx')}`, () => {
  it('a TCP listener on the preferred ICE port: the engine starts on another port instead of failing to bind', async () => {
    const env = await setup();
    await holdTcp(env.settings.engine.webrtc_udp_port);
    const status = await env.engine.start();
    expect(status.last_error).toBeNull();
    expect(status.state).toBe('running');
    expect(status.ports.webrtc_udp.changed).toBe(true);
    expect(status.ports.webrtc_udp.actual).not.toBe(env.settings.engine.webrtc_udp_port);
  }, 60_000);

  it('the ICE port taken while the engine is down after a crash: it comes back on another port, never restarting into the same clash', async () => {
    // The supervisor's restart waits for the test: the port is taken between the crash and the restart.
    const timers = manualTimers();
    const env = await setup({ timers });
    const first = await env.engine.start();
    expect(first.state).toBe('running');
    const icePort = first.ports.webrtc_udp.actual!;
    process.kill(first.pid!, 'SIGKILL');
    await waitFor('crash noticed', () => env.engine.status().state === 'crashed');
    await holdTcp(icePort);
    expect(await timers.fireNext('restart after the crash')).toBe(100);
    const back = await waitFor('engine running again on another ICE port', () => {
      const s = env.engine.status();
      return s.state === 'running' && s.ports.webrtc_udp.actual !== icePort ? s : null;
    });
    expect(back.ports.webrtc_udp.changed).toBe(true);
    // Running, and staying up: no crash loop behind it. A start queues behind any lifecycle work still
    // pending (a second relaunch would run first) and leaves a running engine as it is.
    const pid = back.pid;
    expect(await env.engine.start()).toMatchObject({ state: 'running', pid });
    // The supervised process is a fresh one with no restart pending, and it was relaunched only once.
    expect(env.supervisor.get('mediamtx')?.status()).toMatchObject({ state: 'running', pid, restarts: 0, restart_delay_ms: null });
    expect(env.logs.filter((l) => l.includes('restarting MediaMTX on other ports'))).toHaveLength(1);
  }, 60_000);
});

describe(`a path config the engine refuses (4d) against the ${engineTarget('mediamtx')}`, () => {
  // MediaMTX v1.20.1 conf.validateURL: "username and password must be both provided".
  const refused: PathConf = { source: 'rtsp://viewer:@192.0.2.10:554/stream', sourceOnDemand: true, rtspTransport: 'tcp' };

  it('is reported in the engine status, not retried at every sync, and retried after a back-off', async () => {
    let clock = 1_000_000;
    const env = await setup({ overrides: { now: () => clock } });
    expect((await env.engine.start()).state).toBe('running');
    const want = new Map<string, PathConf>([
      ['cam/a/main', { source: 'publisher' }],
      ['cam/b/main', refused],
    ]);
    const first = await env.engine.syncPaths(want);
    expect(first.added).toEqual(['cam/a/main']);
    expect(first.errors).toEqual([{ path: 'cam/b/main', error: expect.stringContaining('username and password must be both provided') }]);
    expect(JSON.stringify(first)).not.toContain('viewer:@');
    expect(env.engine.status().paths.errors).toEqual([{ path: 'cam/b/main', error: expect.stringContaining('username and password must be both provided') }]);

    const adds = () => env.calls.filter((c) => c.startsWith('POST /v3/config/paths/add/cam/b')).length;
    expect(adds()).toBe(1);
    const warned = () => env.logs.filter((l) => l.includes('engine paths synced')).length;
    const warnedOnce = warned();
    for (let i = 0; i < 5; i++) {
      clock += 1000; // the runtime's tick
      const again = await env.engine.syncPaths(want);
      expect(again.errors.map((e) => e.path)).toEqual(['cam/b/main']);
    }
    expect(adds()).toBe(1);
    expect(warned()).toBe(warnedOnce);

    clock += 60_000;
    await env.engine.syncPaths(want);
    expect(adds()).toBe(2);

    // Fixed by the user: the new config goes out at once, and the error is gone.
    const fixed = new Map(want).set('cam/b/main', { source: 'rtsp://viewer:pw@192.0.2.10:554/stream', sourceOnDemand: true, rtspTransport: 'tcp' });
    const ok = await env.engine.syncPaths(fixed);
    expect(ok.errors).toEqual([]);
    expect(ok.added).toEqual(['cam/b/main']);
    expect(env.engine.status().paths.errors).toEqual([]);
  }, 60_000);
});

describe(`a camera source with a username and no password (4d) against the ${engineTarget('mediamtx')}`, () => {
  it('every planned path config is accepted by the engine; the source is unusable and says why', async () => {
    const env = await setup();
    expect((await env.engine.start()).state).toBe('running');
    const doc = reconcile(
      plane({
        cameras: [
          camera('door', [source('main', { url: 'rtsp://192.0.2.10:554/1', username: 'viewer', password: null })]),
          camera('yard', [source('main', { url: 'rtsp://192.0.2.11:554/1', username: 'admin', password: 'pw' })]),
        ],
      }),
    ).plane;
    const plan = planEngine(doc, env.engine.rtspPort());
    const result = await env.engine.syncPaths(plan.paths);
    expect(result.errors).toEqual([]);
    expect(result.added).toEqual(['cam/yard/main']);
    expect(plan.unusable).toEqual([expect.objectContaining({ camera_id: 'door', source_id: 'main', problem: expect.stringMatching(/username but no password/) })]);
  }, 60_000);
});
