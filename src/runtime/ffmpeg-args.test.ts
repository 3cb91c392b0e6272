import { describe, expect, it } from 'vitest';
import { frameDecoderArgs, generatedFramesArgs, transcodeArgs, videoFilter, writerPublisherArgs } from './ffmpeg-args.js';

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
    const args = frameDecoderArgs('rtsp://127.0.0.1:8554/cam/a/b', 2, 640);
    expect(args).toContain('-rtsp_transport');
    expect(args.slice(-5)).toEqual(['-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1']);
    expect(args[args.indexOf('-vf') + 1]).toBe("fps=2,scale='min(640,iw)':-2");
  });

  it('generated frames: a lavfi graph rendered in real time into JPEGs on stdout', () => {
    const args = generatedFramesArgs('testsrc2=size=640x360:rate=10');
    expect(args.slice(args.indexOf('-re'), args.indexOf('-i') + 2)).toEqual(['-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=10']);
    expect(args.slice(-5)).toEqual(['-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1']);
  });
});
