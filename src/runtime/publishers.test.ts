import { afterAll, describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/fixtures/proc-helpers.js';
import { waitFor } from '../../test/support/wait.js';
import { solidJpeg } from '../../test/media/frames.js';
import { stopAllMediaProcesses } from '../../test/media/proc.js';
import { startRtspReceiver, type RtspReceiver } from '../../test/media/rtsp-receiver.js';
import { MEDIA_BACKOFF } from '../process/backoff.js';
import { createSupervisor } from '../process/supervisor.js';
import { fixtureOutput } from '../reconcile/fixtures.js';
import { createPlaceholders } from './placeholder.js';
import { createPublishers } from './publishers.js';
import { createRuntimeRegistry } from './transmission-state.js';

const PATH = 'pipe/kill/main';
const KILLS = 5;

const log = captureLogger('debug');
const supervisor = createSupervisor({ logger: log.logger });
let receiver: RtspReceiver | undefined;
let feeder: NodeJS.Timeout | undefined;

afterAll(async () => {
  clearInterval(feeder);
  await supervisor.stopAll();
  await receiver?.stop();
  await stopAllMediaProcesses();
});

describe('a publisher killed from outside', () => {
  it(`is scheduled back within the media cap after each of ${KILLS} kills, and publishes again`, async () => {
    receiver = await startRtspReceiver({ path: PATH, relisten: true });
    const registry = createRuntimeRegistry({ stickyWindowMs: 0, staleAfterMs: 2000 });
    const jpeg = await solidJpeg('red', 320, 180);
    feeder = setInterval(() => registry.ensure('tx').update('w1', jpeg), 100);
    const publishers = createPublishers({ supervisor, logger: log.logger, ffmpegPath: 'ffmpeg', registry, placeholders: createPlaceholders({ supervisor }), internalUrl: () => receiver!.url });
    publishers.ensure({ transmission_id: 'tx', output_id: 'main', path: PATH, feed: { kind: 'writers' }, output: fixtureOutput('main', PATH, { width: 320, height: 180, fps: 10 }), onRequest: false });
    const handle = supervisor.get(`publisher:${PATH}`)!;
    const scheduled: (number | null)[] = [];
    handle.onExit(() => scheduled.push(handle.status().restart_delay_ms));

    for (let i = 0; i < KILLS; i++) {
      // Publishing: the receiver decodes frames from this process.
      await receiver.waitUntilListening(10_000).catch(() => undefined);
      const from = receiver.frames().length;
      await waitFor(`frames before kill ${i + 1}`, () => receiver!.frames().length > from + 2 && handle.status().state === 'running');
      const exits = scheduled.length;
      process.kill(handle.status().pid!, 'SIGKILL');
      await waitFor(`exit ${i + 1}`, () => scheduled.length > exits);
    }
    await receiver.waitUntilListening(10_000).catch(() => undefined);
    const from = receiver.frames().length;
    await waitFor('frames after the last kill', () => receiver!.frames().length > from + 2);

    // What the supervisor logged and reports: never more than the media cap (was 0.5, 1, 2, 4, 8 s).
    const logged = log
      .records()
      .filter((r) => r.child === `publisher:${PATH}` && r.msg === 'restarting after backoff')
      .map((r) => r.delay_ms as number);
    expect(logged.length).toBeGreaterThanOrEqual(KILLS);
    expect(Math.max(...logged)).toBeLessThanOrEqual(MEDIA_BACKOFF.maxMs);
    expect(scheduled).toEqual(logged);
    await publishers.stopAll();
    expect(supervisor.count('publisher:')).toBe(0);
  });
});
