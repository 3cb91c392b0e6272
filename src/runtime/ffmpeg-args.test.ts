import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scale, seedFor } from '../../test/hardening/scale.js';
import { cameraFfconcat, ffconcatQuote, frameDecoderArgs, generatedFramesArgs, transcodeArgs, videoFilter, writerPublisherArgs } from './ffmpeg-args.js';
import { makeDataDir, removeDataDir } from '../../test/support/data-dir.js';

const run = promisify(execFile);

describe('videoFilter', () => {
  it.each([
    [{ width: 640, height: 360, fps: 10 }, 'fps=10,scale=640:360:force_original_aspect_ratio=decrease,pad=640:360:(ow-iw)/2:(oh-ih)/2:color=black,format=yuv420p'],
    [{ width: null, height: null, fps: 5 }, 'fps=5,format=yuv420p'],
    [{ width: 640, height: null, fps: null }, 'scale=640:-2,format=yuv420p'],
    [{ width: null, height: null, fps: null }, 'format=yuv420p'],
  ])('%j -> %s', (opts, expected) => expect(videoFilter(opts)).toBe(expected));
});

describe('command lines', () => {
  const enc = { width: 1280, height: 720, fps: 15, codec: 'h264' as const, bitrateKbps: null };

  it.each([
    { copyAudio: true, audio: ['-map', '0:v:0', '-map', '0:a:0?', '-c:a', 'copy'] },
    { copyAudio: false, audio: ['-an'] },
  ])('a transcode copies the camera audio along only when told: $copyAudio', ({ copyAudio, audio }) => {
    const args = transcodeArgs('rtsp://127.0.0.1:8554/cam/a/b', 'rtsp://127.0.0.1:8554/cam/a/b/h264', { ...enc, copyAudio });
    expect(args.slice(args.indexOf('-i') + 2, args.indexOf('-vf'))).toEqual(audio);
  });

  it('a transcode reads one engine path and publishes another, video only', () => {
    const args = transcodeArgs('rtsp://127.0.0.1:8554/cam/a/b/src', 'rtsp://127.0.0.1:8554/cam/a/b', enc);
    expect(args.slice(args.indexOf('-i'), args.indexOf('-i') + 3)).toEqual(['-i', 'rtsp://127.0.0.1:8554/cam/a/b/src', '-an']);
    expect(args).toContain('libx264');
    expect(args.slice(-5)).toEqual(['-f', 'rtsp', '-rtsp_transport', 'tcp', 'rtsp://127.0.0.1:8554/cam/a/b']);
    expect(args[args.indexOf('-g') + 1]).toBe('30');
  });

  it('a writer publisher reads JPEGs from stdin and keeps stdin free of the "q" convention', () => {
    const args = writerPublisherArgs('rtsp://127.0.0.1:8554/pipe/x/y', { ...enc, codec: 'h265', bitrateKbps: 800 });
    expect(args).not.toContain('-nostdin');
    expect(args.slice(args.indexOf('-use_wallclock_as_timestamps'), args.indexOf('pipe:0') + 1)).toEqual(['-use_wallclock_as_timestamps', '1', '-f', 'image2pipe', '-c:v', 'mjpeg', '-i', 'pipe:0']);
    expect(args[args.indexOf('-vf') + 1]).toMatch(/^fps=15,scale=1280:720/);
    expect(args).toContain('libx265');
    expect(args.slice(args.indexOf('-b:v'), args.indexOf('-b:v') + 6)).toEqual(['-b:v', '800k', '-maxrate', '800k', '-bufsize', '1600k']);
  });

  it('the frame decoder writes JPEGs on stdout at a low rate', () => {
    const args = frameDecoderArgs({ url: 'rtsp://127.0.0.1:8554/cam/a/b' }, 2, 640);
    expect(args.slice(args.indexOf('-rtsp_transport'), args.indexOf('-i') + 2)).toEqual(['-rtsp_transport', 'tcp', '-i', 'rtsp://127.0.0.1:8554/cam/a/b']);
    expect(args.slice(-5)).toEqual(['-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1']);
    expect(args[args.indexOf('-vf') + 1]).toBe("fps=2,scale='min(640,iw)':-2");
  });

  it('the frame decoder reading a camera itself opens an ffconcat file: the URL is not on the command line', () => {
    const file = '/data/runtime/streaming/secret-inputs/x.ffconcat';
    const args = frameDecoderArgs({ ffconcat: file }, 2, 640);
    expect(args.slice(args.indexOf('concat') - 1, args.indexOf('-i') + 2)).toEqual(['-f', 'concat', '-safe', '0', '-protocol_whitelist', 'file,rtsp,rtsps,tcp,udp,rtp,srtp,tls', '-i', file]);
    // The transport is the RTSP input's own option, inside the file (the concat demuxer has none).
    expect(args).not.toContain('-rtsp_transport');
  });

  it('generated frames: a lavfi graph rendered in real time into JPEGs on stdout', () => {
    const args = generatedFramesArgs('testsrc2=size=640x360:rate=10');
    expect(args.slice(args.indexOf('-re'), args.indexOf('-i') + 2)).toEqual(['-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=10']);
    expect(args.slice(-5)).toEqual(['-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1']);
  });
});

describe('ffconcat', () => {
  it.each([
    ['rtsp://u:p@h/x', `'rtsp://u:p@h/x'`],
    [`rtsp://u:it's@h/x`, `'rtsp://u:it'\\''s@h/x'`],
    [`'`, `''\\'''`],
    ['a\\b c', `'a\\b c'`],
    ['a\nb\rc\0d', `'a%0Ab%0Dc%00d'`],
  ])('quotes %j as %s', (url, quoted) => expect(ffconcatQuote(url)).toBe(quoted));

  it('a camera script: the URL, then the RTSP options of that input', () => {
    expect(cameraFfconcat('rtsp://u:p@h/x').split('\n')).toEqual(['ffconcat version 1.0', `file 'rtsp://u:p@h/x'`, 'option rtsp_transport tcp', 'option probesize 32', 'option analyzeduration 0', '']);
  });

  // Round trip through FFmpeg's own parser: a file named by the arbitrary string is found only if the
  // quoting is right (`file:` keeps the concat demuxer from resolving the name as a relative URL).
  it('FFmpeg reads back any quoted name (property, real ffprobe)', async () => {
    const dir = await makeDataDir('ffconcat');
    try {
      const picture = join(dir, 'picture.jpg');
      await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'color=red:size=16x16', '-frames:v', '1', picture]);
      const special = fc.constantFrom(`'`, '\\', ' ', '@', ':', '%', '+', '#', '?', '"', '\t', '=', ',', ';', 'é', '😀', '\u00a0');
      const name = fc
        .array(fc.oneof(special, fc.string({ unit: 'grapheme', maxLength: 3 })), { minLength: 1, maxLength: 10 })
        .map((parts) => parts.join(''))
        .filter((s) => s !== '' && !/[/\0\r\n]/.test(s) && s !== '.' && s !== '..' && Buffer.byteLength(s) <= 200);
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(name, async (n) => {
          runs++;
          const sub = await mkdtemp(join(dir, 'case-'));
          const target = join(sub, n);
          await copyFile(picture, target);
          const script = join(sub, 'list.ffconcat');
          await writeFile(script, `ffconcat version 1.0\nfile ${ffconcatQuote(`file:${target}`)}\n`);
          const { stdout } = await run('ffprobe', ['-v', 'error', '-f', 'concat', '-safe', '0', '-i', script, '-show_entries', 'stream=width', '-of', 'csv=p=0']);
          expect(stdout.trim()).toBe('16');
        }),
        { numRuns: scale(40, 400), seed: seedFor('ffconcat quoting') },
      );
      console.info(`[ffconcat] ${runs} names read back by ffprobe`);
    } finally {
      await removeDataDir(dir);
    }
  }, 120_000);
});
