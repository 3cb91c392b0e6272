import { execFileSync, spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkJpeg, createJpegSplitter, JPEG_MAX_SIDE, jpegLength, jpegSize } from './jpeg.js';

// Real JPEGs from FFmpeg at two sizes and qualities (different tables).
const ffmpegJpeg = (extra: string[], size = '64x48', color = 'red') =>
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=s=${size}`, '-vf', `drawbox=c=${color}:t=fill:w=8:h=8`, '-frames:v', '1', ...extra, '-f', 'mjpeg', '-']);
const baseline = ffmpegJpeg(['-q:v', '2']);
const other = ffmpegJpeg(['-q:v', '20'], '320x240', 'blue');
/** jpegtran (libjpeg-turbo-progs) rewrites a JPEG losslessly in the codings FFmpeg does not write. */
const jpegtran = (args: string[], input: Buffer) => execFileSync('jpegtran', args, { input });

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

// ---- The structural check of writer frames ----

const hd = ffmpegJpeg([], '1280x720');
const small = ffmpegJpeg([], '320x240', 'green');
const progressive = jpegtran(['-progressive'], small);
const restarts = jpegtran(['-restart', '1'], small);

interface Segment {
  marker: number;
  start: number;
  end: number;
}
/** The marker segments before the first scan, and where the scan header ends. */
function segments(jpeg: Buffer): Segment[] {
  const out: Segment[] = [];
  let i = 2;
  for (;;) {
    const marker = jpeg[i + 1]!;
    const end = i + 2 + jpeg.readUInt16BE(i + 2);
    out.push({ marker, start: i, end });
    if (marker === 0xda) return out;
    i = end;
  }
}
const segment = (jpeg: Buffer, marker: number) => segments(jpeg).find((s) => s.marker === marker)!;
const without = (jpeg: Buffer, marker: number) =>
  Buffer.concat([
    jpeg.subarray(0, 2),
    ...segments(jpeg)
      .filter((s) => s.marker !== marker)
      .map((s) => jpeg.subarray(s.start, s.end)),
    jpeg.subarray(segment(jpeg, 0xda).end),
  ]);
const patched = (jpeg: Buffer, at: number, ...bytes: number[]) => {
  const b = Buffer.from(jpeg);
  bytes.forEach((v, k) => (b[at + k] = v));
  return b;
};
const inserted = (jpeg: Buffer, at: number, bytes: number[]) => Buffer.concat([jpeg.subarray(0, at), Buffer.from(bytes), jpeg.subarray(at)]);
/** An offset inside the entropy-coded data of the first scan, clear of any FF. */
const entropyAt = (jpeg: Buffer) => {
  let at = segment(jpeg, 0xda).end + 100;
  while (jpeg[at - 1] === 0xff || jpeg[at] === 0xff) at++;
  return at;
};
const sof = (jpeg: Buffer) => segment(jpeg, 0xc0).start;
const sos = (jpeg: Buffer) => segment(jpeg, 0xda).start;
const withoutHuffman = without(ffmpegJpeg(['-huffman', 'default'], '320x240'), 0xc4);

describe('checkJpeg: valid frames pass', () => {
  it.each([
    ['FFmpeg 1280x720 4:2:0', hd, 1280, 720],
    ['FFmpeg 4:4:4', ffmpegJpeg(['-pix_fmt', 'yuvj444p'], '320x240'), 320, 240],
    ['FFmpeg greyscale', ffmpegJpeg(['-pix_fmt', 'gray'], '320x240'), 320, 240],
    ['no DHT (MJPEG style: the standard Huffman tables)', withoutHuffman, 320, 240],
    ['progressive (jpegtran)', progressive, 320, 240],
    ['restart markers (jpegtran -restart)', restarts, 320, 240],
    ['optimised Huffman tables (jpegtran -optimize)', jpegtran(['-optimize'], hd), 1280, 720],
    ['a comment and an APP segment before the frame header', inserted(small, 2, [0xff, 0xfe, 0, 5, 0x68, 0x69, 0x21, 0xff, 0xe5, 0, 2]), 320, 240],
    ['fill bytes before a marker', inserted(small, sof(small), [0xff, 0xff]), 320, 240],
  ])('%s', (_name, jpeg, width, height) => {
    expect(checkJpeg(jpeg)).toMatchObject({ ok: true, width, height });
  });
});

describe('checkJpeg: what cannot decode is refused with a reason', () => {
  const eoi = small.length - 2;
  it.each([
    ['not a JPEG at all', Buffer.from('GIF89a......'), /must start with .*FF D8/],
    ['FF D8 then garbage', Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(5000, 0x5a)]), /expected a marker at byte 2/],
    ['only the start-of-image marker', Buffer.from([0xff, 0xd8, 0xff, 0xd9]), /no image data/],
    ['cut inside the frame header', small.subarray(0, sof(small) + 6), /runs past the end|truncated/],
    ['cut inside the entropy-coded data', small.subarray(0, entropyAt(small)), /truncated/],
    ['no end-of-image marker', small.subarray(0, eoi), /truncated/],
    ['bytes after the end-of-image marker', Buffer.concat([small, Buffer.from([0, 0, 0])]), /3 bytes after the end-of-image/],
    ['two frames in one message', Buffer.concat([small, small]), /bytes after the end-of-image/],
    ['a zero width', patched(small, sof(small) + 7, 0, 0), /size 0x240/],
    ['a height above the limit', patched(small, sof(small) + 5, 0x40, 0), new RegExp(`size 320x16384 \\(1..${JPEG_MAX_SIDE}`)],
    ['two components', patched(small, sof(small) + 9, 2), /length does not match|2 components/],
    ['a sampling factor of 0', patched(small, sof(small) + 11, 0x01), /sampling 0x1/],
    ['a lossless frame (SOF3)', patched(small, sof(small) + 1, 0xc3), /unsupported JPEG coding \(marker FF C3\)/],
    ['arithmetic coding (jpegtran -arithmetic)', jpegtran(['-arithmetic'], small), /unsupported JPEG coding/],
    ['no quantisation table', without(small, 0xdb), /quantisation table \d, which is not defined/],
    ['a zero quantisation entry', patched(small, segment(small, 0xdb).start + 5, 0), /zero entry/],
    ['no frame header', without(small, 0xc0), /scan \(SOS\) before the frame header/],
    ['a scan naming an unknown component', patched(small, sos(small) + 5, 9), /unknown component 9/],
    ['a scan using Huffman table 2, never defined', patched(small, sos(small) + 6, 0x22), /Huffman table that is not defined/],
    ['an over-full Huffman table', patched(small, segment(small, 0xc4).start + 5, 3), /more codes than a prefix code allows|length does not match/],
    ['a segment length of 1', patched(small, segment(small, 0xdb).start + 2, 0, 1), /segment length 1/],
    ['a scan without entropy data', Buffer.concat([small.subarray(0, segment(small, 0xda).end), Buffer.from([0xff, 0xd9])]), /without entropy-coded data/],
    ['a stray marker in the entropy data', inserted(small, entropyAt(small), [0xff, 0xc8]), /marker FF C8 inside entropy-coded data/],
    ['a restart marker without a restart interval', inserted(small, entropyAt(small), [0xff, 0xd0]), /restart marker without a restart interval/],
    ['a second start-of-image marker', inserted(small, sof(small), [0xff, 0xd8]), /second start-of-image/],
  ])('%s', (_name, jpeg, reason) => {
    const r = checkJpeg(jpeg);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toMatch(reason);
    expect(r.code).toBe(jpeg[0] === 0xff && jpeg[1] === 0xd8 ? 'invalid_jpeg' : 'not_jpeg');
  });
});

// ---- Property: random mutations are refused, or they decode ----

/** A valid frame and one random mutation of it: bytes overwritten, a range cut out, bytes (often a marker) inserted, a truncation. */
const mutant = fc
  .tuple(
    fc.constantFrom(small, progressive, restarts),
    fc.oneof(
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 4 }) }),
      fc.record({ kind: fc.constant('header' as const), at: fc.nat({ max: 700 }), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 2 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 3 }).map((b) => [0xff, ...b]) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    ),
  )
  .map(([valid, m]) => {
    const at = m.at % valid.length;
    if (m.kind === 'set' || m.kind === 'header') return { valid, jpeg: patched(valid, at, ...m.bytes.slice(0, valid.length - at)) };
    if (m.kind === 'cut') return { valid, jpeg: Buffer.concat([valid.subarray(0, at), valid.subarray(at + m.len)]) };
    if (m.kind === 'insert') return { valid, jpeg: inserted(valid, at, m.bytes) };
    return { valid, jpeg: valid.subarray(0, at) };
  });

/**
 * How many frames FFmpeg gets out of a stream of JPEGs, with the MJPEG demuxer of the JSMpeg encoder
 * and the image2pipe demuxer of the writer publisher: both cut frames with the MJPEG parser.
 */
function decodedFrames(stream: Buffer, demuxer: 'mjpeg' | 'image2pipe'): number {
  const input = demuxer === 'mjpeg' ? ['-f', 'mjpeg'] : ['-f', 'image2pipe', '-c:v', 'mjpeg'];
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...input, '-i', 'pipe:0', '-fps_mode', 'passthrough', '-vf', 'scale=16:16', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], {
    input: stream,
    maxBuffer: 64 * 1024 * 1024,
  });
  return r.stdout.length / 256;
}

describe('checkJpeg: random mutations of valid frames', () => {
  it('never throws, and refuses with a reason or passes with a sane size', () => {
    fc.assert(
      fc.property(mutant, ({ jpeg }) => {
        const r = checkJpeg(jpeg);
        if (r.ok) return r.width >= 1 && r.height >= 1 && r.width <= JPEG_MAX_SIDE && r.height <= JPEG_MAX_SIDE;
        return r.reason.length > 0 && (r.code === 'invalid_jpeg' || r.code === 'not_jpeg');
      }),
      { numRuns: 3000 },
    );
  });

  it('whatever passes decodes with FFmpeg, and never takes the next frame down with it', () => {
    const seed = Date.now() ^ (Math.random() * 0x7fffffff);
    const samples = fc.sample(mutant, { numRuns: 600, seed });
    const passing = samples.filter((s) => checkJpeg(s.jpeg).ok);
    console.log(`checkJpeg (seed ${seed}): ${passing.length}/${samples.length} mutants passed the walk (${((100 * passing.length) / samples.length).toFixed(1)}%); decoding them all`);
    // Each passing mutant followed by its valid original: exactly two pictures each, or the mutant broke the stream.
    const stream = Buffer.concat(passing.flatMap((s) => [s.jpeg, s.valid]));
    for (const demuxer of ['mjpeg', 'image2pipe'] as const) {
      const frames = decodedFrames(stream, demuxer);
      if (frames === 2 * passing.length) continue;
      // Find the culprit to make the failure useful.
      const bad = passing.find((s) => decodedFrames(Buffer.concat([s.jpeg, s.valid]), demuxer) !== 2);
      expect.fail(`seed ${seed}, ${demuxer}: ${frames} pictures from ${passing.length} passing mutants (+ originals); first culprit: ${bad?.jpeg.toString('base64')}`);
    }
    expect(passing.length).toBeGreaterThan(50);
  }, 120_000);
});
