import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createJpegSplitter, jpegLength, jpegSize } from './jpeg.js';

// Real JPEGs from FFmpeg at two sizes and qualities (different tables).
const ffmpegJpeg = (extra: string[], size = '64x48', color = 'red') =>
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=s=${size}`, '-vf', `drawbox=c=${color}:t=fill:w=8:h=8`, '-frames:v', '1', ...extra, '-f', 'mjpeg', '-']);
const baseline = ffmpegJpeg(['-q:v', '2']);
const other = ffmpegJpeg(['-q:v', '20'], '320x240', 'blue');

describe('jpeg framing', () => {
  it('measures a complete JPEG and asks for more bytes when cut short', () => {
    expect(jpegLength(baseline)).toBe(baseline.length);
    expect(jpegLength(baseline.subarray(0, baseline.length - 1))).toBe(0);
    expect(jpegLength(Buffer.from('not a jpeg'))).toBe(-1);
  });

  it('splits concatenated frames however the chunks fall, and skips garbage between them', () => {
    const stream = Buffer.concat([baseline, Buffer.from('junk'), other, baseline]);
    for (const chunkSize of [1, 7, 1000, stream.length]) {
      const frames: Buffer[] = [];
      const feed = createJpegSplitter((f) => frames.push(Buffer.from(f)));
      for (let i = 0; i < stream.length; i += chunkSize) feed(stream.subarray(i, i + chunkSize));
      expect(frames.map((f) => f.length)).toEqual([baseline.length, other.length, baseline.length]);
      expect(frames[1]!.equals(other)).toBe(true);
    }
  });

  it('reads the size from the frame header', () => {
    expect(jpegSize(baseline)).toEqual({ width: 64, height: 48 });
    expect(jpegSize(other)).toEqual({ width: 320, height: 240 });
    expect(jpegSize(Buffer.from('nope'))).toBeNull();
  });
});
