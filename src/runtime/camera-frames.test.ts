import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/fixtures/proc-helpers.js';
import { canariesIn } from '../../test/hardening/process-table.js';
import { scale, seedFor } from '../../test/hardening/scale.js';
import { stopAllMediaProcesses } from '../../test/media/proc.js';
import { waitFor } from '../../test/support/wait.js';
import { startRtspCamera } from '../../test/media/rtsp-camera.js';
import { createSupervisor } from '../process/supervisor.js';
import { createCameraFrames } from './camera-frames.js';
import { cameraUrlWithCredentials, type CameraSourceRead } from './path-plan.js';
import { secretInputDir } from './secret-input.js';
import { createRuntimeRegistry } from './transmission-state.js';
import { makeDataDir, removeDataDir } from '../../test/support/data-dir.js';

afterAll(stopAllMediaProcesses);

/** Every password starts with it, so a search for the password can never match by accident. */
const MARK = 'Pw7q';
const special = fc.constantFrom(`'`, '\\', ' ', '@', ':', '%', '%2F', '+', '/', '#', '?', '"', '\t', 'é', '😀', 'ß');
const password = fc.array(fc.oneof(special, fc.string({ unit: 'grapheme-ascii', maxLength: 3 })), { minLength: 1, maxLength: 8 }).map((parts) => MARK + parts.join(''));

describe('frame decoder reading the camera itself', () => {
  it("any password reaches the camera through a 0600 file, never the decoder's argv or environment; the file goes with the decoder (property, real camera)", async () => {
    const dataDir = await makeDataDir('camera-frames');
    const dir = secretInputDir(dataDir);
    // What a run killed before cleaning up left behind: removed on first use.
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await writeFile(join(dir, 'stale.ffconcat'), 'left over');
    const log = captureLogger();
    const supervisor = createSupervisor({ logger: log.logger });
    const registry = createRuntimeRegistry({ stickyWindowMs: 0, staleAfterMs: 5_000 });
    const frames = createCameraFrames({ supervisor, logger: log.logger, ffmpegPath: 'ffmpeg', registry, fps: 5, maxWidth: 320, secretDir: dir });
    let runs = 0;
    try {
      await fc.assert(
        fc.asyncProperty(password, fc.constantFrom('basic' as const, 'digest' as const), async (pass, auth) => {
          runs++;
          const username = 'viewer ü';
          const camera = await startRtspCamera({ username, password: pass, auth, width: 160, height: 120, fps: 10 });
          const planned = cameraUrlWithCredentials({ id: 'main', role: 'main', label: '', url: camera.bareUrl, username, password: pass, publish: true });
          if ('problem' in planned) throw new Error(planned.problem);
          const url = planned.url;
          const read: CameraSourceRead = { camera_id: 'door', source_id: 'main', path: 'cam/door/main', url, transmission_ids: ['tx'] };
          try {
            await frames.ensure(read, read.url);
            await waitFor('a decoded frame', () => frames.frames(read.path) > 0);
            expect(registry.get('tx')?.frame(Date.now()).jpeg?.subarray(0, 2).toString('hex')).toBe('ffd8');

            const files = await readdir(dir);
            expect(files).toHaveLength(1);
            const file = join(dir, files[0]!);
            expect((await stat(dir)).mode & 0o777).toBe(0o700);
            expect((await stat(file)).mode & 0o777).toBe(0o600);
            expect(await readFile(file, 'utf8')).toContain(url.slice(0, url.indexOf('@')).replaceAll(`'`, `'\\''`));

            const pid = frames.status(read.path)!.pid!;
            const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
            expect(argv.split('\0')).toContain(file);
            expect(canariesIn(argv + readFileSync(`/proc/${pid}/environ`, 'utf8'), [pass])).toEqual([]);
          } finally {
            await frames.stop(read.path);
            await camera.stop();
          }
          expect(await readdir(dir)).toEqual([]);
        }),
        { numRuns: scale(3, 30), seed: seedFor('camera frames credentials') },
      );
      console.info(`[camera-frames] ${runs} passwords read the camera through the file`);
      expect(log.lines.some((l) => l.includes(MARK))).toBe(false);
    } finally {
      await frames.stopAll();
      await supervisor.stopAll();
      await removeDataDir(dataDir);
    }
  }, 180_000);

  it("a refused password: FFmpeg names the file's URL in its error, and the log and status hold it without credentials", async () => {
    const dataDir = await makeDataDir('camera-frames');
    const log = captureLogger();
    const supervisor = createSupervisor({ logger: log.logger });
    const registry = createRuntimeRegistry({ stickyWindowMs: 0, staleAfterMs: 5_000 });
    const frames = createCameraFrames({ supervisor, logger: log.logger, ffmpegPath: 'ffmpeg', registry, fps: 5, maxWidth: 320, secretDir: secretInputDir(dataDir) });
    const camera = await startRtspCamera({ username: 'viewer', password: 'the-right-one', width: 160, height: 120, fps: 10 });
    const wrong = `${MARK}-wrong'one`;
    const read: CameraSourceRead = {
      camera_id: 'door',
      source_id: 'main',
      path: 'cam/door/main',
      url: `rtsp://viewer:${encodeURIComponent(wrong)}@127.0.0.1:${camera.port}/cam`,
      transmission_ids: ['tx'],
    };
    try {
      await frames.ensure(read, read.url);
      const line = await waitFor('the error naming the URL', () => log.lines.find((l) => l.includes('Impossible to open')));
      expect(line).toContain(`'rtsp://[redacted]@127.0.0.1:${camera.port}/cam'`);
      expect(log.lines.filter((l) => l.includes(MARK))).toEqual([]);
      expect(JSON.stringify(frames.status(read.path))).not.toContain(MARK);
    } finally {
      await frames.stopAll();
      await supervisor.stopAll();
      await camera.stop();
      await removeDataDir(dataDir);
    }
  }, 60_000);
});
