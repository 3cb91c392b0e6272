import { afterAll, describe, expect, it } from 'vitest';
import { classifyColor } from './frames.js';
import { FFMPEG, spawnMedia, stopAllMediaProcesses } from './proc.js';
import { startPublisher } from './publisher.js';
import { startRtspReceiver } from './rtsp-receiver.js';

afterAll(stopAllMediaProcesses);

describe('rtsp-receiver fixture (ffmpeg -rtsp_flags listen)', () => {
  it('accepts a publisher and decodes its frames at 320x240, ~10 fps, then accepts the next publisher', async () => {
    const rx = await startRtspReceiver({ path: 'cam/front/main' });
    expect(rx.url).toBe(`rtsp://127.0.0.1:${rx.port}/cam/front/main`);
    // The exact command line of the brief (plus quiet logging).
    const pub = spawnMedia(
      'publisher',
      FFMPEG,
      ['-hide_banner', '-loglevel', 'warning', '-nostdin', '-re', '-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=10', '-c:v', 'libx264', '-tune', 'zerolatency', '-f', 'rtsp', rx.url],
      { stdin: 'ignore' },
    );
    try {
      const t0 = performance.now();
      const first = await rx.waitForFrames(1, 10_000);
      console.info(`[media] receiver: first frame ${(first[0]!.receivedAtMs - t0).toFixed(0)} ms after the publisher started`);
      const frames = await rx.waitForFrames(21, 10_000);
      expect(rx.size()).toEqual({ width: 320, height: 240 });
      expect(rx.codec()).toBe('h264');
      expect(rx.fps()).toBeGreaterThan(9);
      expect(rx.fps()).toBeLessThan(11);
      // Frames arrive in real time too (-re): 20 intervals take at least about 2 s of wall clock (a busy
      // machine only makes it longer; no upper bound).
      const wall = (frames[20]!.receivedAtMs - frames[0]!.receivedAtMs) / 1000;
      expect(wall).toBeGreaterThan(1.4);
      // testsrc2 is colourful, never a solid colour.
      expect(['red', 'green', 'blue', 'black', 'white']).not.toContain(classifyColor(rx.latest()!));
      expect(rx.latestFrame()?.pixels?.length).toBe(320 * 240 * 3);
      expect(rx.publishers()).toBe(1);

      await pub.stop();
      const gap0 = performance.now();
      await rx.waitUntilListening(5_000);
      console.info(`[media] receiver: listening again ${(performance.now() - gap0).toFixed(0)} ms after the publisher left`);
      // A second publisher with another colour and size is received on the same URL.
      const count = rx.frames().length;
      const red = startPublisher({ url: rx.url, source: 'red', width: 160, height: 120, fps: 10 });
      try {
        const f = await rx.waitForColor('red', 10_000, count);
        expect(f.index).toBe(0);
        expect(await rx.waitForSize(2_000)).toEqual({ width: 160, height: 120 });
        expect(rx.publishers()).toBe(2);
        expect(rx.wrongPaths()).toEqual([]);
      } finally {
        await red.stop();
      }
    } finally {
      await pub.stop();
      await rx.stop();
    }
  });

  it('receives an H.265 publisher', async () => {
    const rx = await startRtspReceiver({ path: 'h265', relisten: false });
    const pub = startPublisher({ url: rx.url, codec: 'h265', source: 'green', width: 256, height: 144, fps: 10 });
    try {
      const frames = await rx.waitForFrames(5, 10_000);
      expect(rx.codec()).toBe('hevc');
      expect(rx.size()).toEqual({ width: 256, height: 144 });
      for (const f of frames) expect(classifyColor(f.avg)).toBe('green');
    } finally {
      await pub.stop();
      await rx.stop();
    }
  });

  it('flags a publisher that used another path (FFmpeg accepts it anyway)', async () => {
    const rx = await startRtspReceiver({ path: 'cam/front/main', relisten: false });
    const pub = startPublisher({ url: `rtsp://127.0.0.1:${rx.port}/cam/back/main`, source: 'white', fps: 10 });
    try {
      await rx.waitForFrames(1, 10_000);
      expect(rx.wrongPaths()).toEqual(['/cam/back/main']);
    } finally {
      await pub.stop();
      await rx.stop();
    }
  });

  it('reports a timeout (with ffmpeg stderr) when nobody publishes', async () => {
    const rx = await startRtspReceiver({ path: 'nobody' });
    try {
      await expect(rx.waitForFrames(1, 500)).rejects.toThrow(/timed out after 500 ms/);
    } finally {
      await rx.stop();
    }
  });
});
