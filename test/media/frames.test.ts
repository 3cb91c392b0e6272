import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyColor, dominantColor, grabFrames, measureFps, measureFpsDetailed, probe, solidJpeg } from './frames.js';
import { FFMPEG, runToBuffer, stopAllMediaProcesses } from './proc.js';
import { freePort } from '../support/ports.js';
import { startRtspCamera } from './rtsp-camera.js';
import { makeDataDir, removeDataDir } from '../support/data-dir.js';

let dir = '';
let mp4 = '';
let hls = '';

beforeAll(async () => {
  dir = await makeDataDir('toposync-media');
  mp4 = join(dir, 'green.mp4');
  hls = join(dir, 'hls', 'index.m3u8');
  const q = ['-hide_banner', '-loglevel', 'error', '-y'];
  const a = await runToBuffer(FFMPEG, [...q, '-f', 'lavfi', '-i', 'color=c=green:s=160x120:r=25', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', mp4], {
    timeoutMs: 15_000,
  });
  expect(a.exitCode, a.stderr).toBe(0);
  await runToBuffer('mkdir', ['-p', join(dir, 'hls')], { timeoutMs: 5_000 });
  const b = await runToBuffer(
    FFMPEG,
    [
      ...q,
      '-f',
      'lavfi',
      '-i',
      'color=c=white:s=192x108:r=25',
      '-t',
      '3',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-g',
      '25',
      '-sc_threshold',
      '0',
      '-f',
      'hls',
      '-hls_time',
      '1',
      '-hls_list_size',
      '6',
      hls,
    ],
    { timeoutMs: 15_000 },
  );
  expect(b.exitCode, b.stderr).toBe(0);
});

afterAll(async () => {
  await stopAllMediaProcesses();
  if (dir) await removeDataDir(dir);
});

describe('classifyColor', () => {
  it.each([
    [[253, 0, 0], 'red'],
    [[0, 128, 0], 'green'],
    [[0, 0, 254], 'blue'],
    [[16, 16, 16], 'black'],
    [[235, 235, 235], 'white'],
    [[128, 128, 128], 'gray'],
    [[250, 250, 0], 'other'],
    [[120, 60, 200], 'other'],
    [[255, 140, 0], 'other'],
    [[230, 40, 40], 'red'],
    [[40, 100, 220], 'blue'],
  ] as const)('%j is %s', (rgb, name) => {
    expect(classifyColor(rgb)).toBe(name);
  });
});

describe('frames helpers (real ffmpeg)', () => {
  it('solidJpeg makes a cached JPEG whose dominant colour is the one asked for', async () => {
    const red = await solidJpeg('red', 64, 48);
    expect([red[0], red[1]]).toEqual([0xff, 0xd8]);
    expect(await solidJpeg('red', 64, 48)).toBe(red);
    expect(classifyColor(await dominantColor(red))).toBe('red');
    expect(classifyColor(await dominantColor(await solidJpeg('#0000ff', 64, 48)))).toBe('blue');
    // Raw rgb24 is averaged directly.
    const raw = Buffer.alloc(10 * 10 * 3);
    for (let i = 0; i < raw.length; i += 3) raw[i + 1] = 200;
    expect(await dominantColor(raw)).toEqual([0, 200, 0]);
  });

  it('grabFrames and probe read a file, an HLS playlist and a pipe; measureFps reads pts', async () => {
    const file = await grabFrames(mp4, { count: 5, timeoutMs: 10_000 });
    expect([file.width, file.height, file.codec]).toEqual([160, 120, 'h264']);
    expect(file.frames.map((f) => classifyColor(f.avg))).toEqual(['green', 'green', 'green', 'green', 'green']);
    expect(file.frames[1]!.pts - file.frames[0]!.pts).toBeCloseTo(0.04, 3);

    const scaled = await grabFrames(mp4, { count: 1, timeoutMs: 10_000, scale: { width: 32, height: 24 } });
    expect([scaled.width, scaled.height]).toEqual([32, 24]);

    expect(await probe(mp4)).toMatchObject({ codecName: 'h264', width: 160, height: 120, avgFrameRate: 25, rFrameRate: 25 });
    expect(await measureFps(mp4, 1)).toBeCloseTo(25, 0);

    const fromHls = await grabFrames(hls, { count: 3, timeoutMs: 10_000 });
    expect([fromHls.width, fromHls.height]).toEqual([192, 108]);
    expect(classifyColor(fromHls.frames[2]!.avg)).toBe('white');
    expect((await readdir(join(dir, 'hls'))).some((f) => f.endsWith('.ts'))).toBe(true);

    const ts = await runToBuffer(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-i', mp4, '-c', 'copy', '-f', 'mpegts', 'pipe:1'], { timeoutMs: 10_000 });
    const piped = await grabFrames('pipe:0', { count: 4, timeoutMs: 10_000, inputArgs: ['-f', 'mpegts'], stdin: ts.stdout });
    expect(piped.frames.map((f) => classifyColor(f.avg))).toEqual(['green', 'green', 'green', 'green']);
    expect(await readFile(mp4).then((b) => b.length)).toBeGreaterThan(0);
  });

  it('measures a live RTSP camera at its frame rate', async () => {
    const cam = await startRtspCamera({ fps: 15, width: 320, height: 180, pattern: 'ball' });
    try {
      const m = await measureFpsDetailed(cam.url, 2);
      expect([m.width, m.height]).toEqual([320, 180]);
      expect(m.fps).toBeGreaterThan(14);
      expect(m.fps).toBeLessThan(16);
      expect(m.wallFps).toBeGreaterThan(10);
      expect(m.frames).toBeGreaterThanOrEqual(28);
    } finally {
      await cam.stop();
    }
  });

  it('fails within its timeout on a source that does not exist', async () => {
    const port = await freePort();
    await expect(grabFrames(`rtsp://127.0.0.1:${port}/none`, { count: 1, timeoutMs: 3_000 })).rejects.toThrow(/exited|timed out/);
    await expect(grabFrames(join(dir, 'missing.mp4'), { count: 1, timeoutMs: 3_000 })).rejects.toThrow(/No such file/);
    await expect(probe(join(dir, 'missing.mp4'))).rejects.toThrow(/failed/);
  });
});
