import { describe, expect, it } from 'vitest';
import { createLineSplitter, createRedactor, looksLikeError, Tail } from './lines.js';

function split(chunks: Array<string | Buffer>, max?: number): string[] {
  const out: string[] = [];
  const s = createLineSplitter((l) => out.push(l), max);
  for (const c of chunks) s.push(c);
  s.end();
  return out;
}

describe('createLineSplitter', () => {
  it('splits on \\n, \\r\\n and lone \\r, across chunk boundaries', () => {
    expect(split(['a\nb', 'c\r\nd\re', '\r', '\nf'])).toEqual(['a', 'bc', 'd', 'e', 'f']);
  });

  it('keeps a multi-byte character split across chunks whole', () => {
    const bytes = Buffer.from('caméra ok\n');
    const cut = bytes.indexOf(0xa9); // second byte of é
    expect(split([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(['caméra ok']);
  });

  it('emits overlong lines in pieces and flushes the unterminated rest at end', () => {
    expect(split(['x'.repeat(25)], 10)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
  });
});

describe('createRedactor', () => {
  it('removes URL credentials and secrets (also percent-encoded)', () => {
    const redact = createRedactor(['p@ss/word', 'tok123']);
    expect(redact('open rtsp://admin:hunter2@10.0.0.1/x failed')).toBe('open rtsp://[redacted]@10.0.0.1/x failed');
    expect(redact('auth tok123 and p@ss/word and rtsp://u:p%40ss%2Fword@h/x')).toBe(
      'auth [redacted] and [redacted] and rtsp://[redacted]@h/x',
    );
    expect(redact('?pw=p%40ss%2Fword')).toBe('?pw=[redacted]');
  });

  it('ignores empty secrets', () => {
    expect(createRedactor([''])('nothing to hide')).toBe('nothing to hide');
  });
});

describe('looksLikeError', () => {
  it.each([
    ['[in#0 @ 0x55] Connection refused', true],
    ['2024/01/01 10:00:00 ERR [path cam] no one is publishing', true],
    ['rtsp://x/y: Invalid data found when processing input', true],
    ['Error opening input file', true],
    ['frame=  100 fps= 25 q=28.0 size= 100kB', false],
    ['Stream #0:0: Video: h264 (High), yuv420p', false],
    ['stderr chatter', false],
  ])('%s -> %s', (line, expected) => {
    expect(looksLikeError(line)).toBe(expected);
  });
});

describe('Tail', () => {
  it('keeps the last n items', () => {
    const t = new Tail(2);
    for (const s of ['a', 'b', 'c']) t.push(s);
    expect(t.toArray()).toEqual(['b', 'c']);
  });
});
