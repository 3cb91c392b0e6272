import { describe, expect, it } from 'vitest';
import { createChangeGate, createLineSplitter, createRedactor, createRepeatLimiter, looksLikeError, repeatKey, Tail } from './lines.js';

function split(chunks: (string | Buffer)[], max?: number): string[] {
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
    expect(redact('auth tok123 and p@ss/word and rtsp://u:p%40ss%2Fword@h/x')).toBe('auth [redacted] and [redacted] and rtsp://[redacted]@h/x');
    expect(redact('?pw=p%40ss%2Fword')).toBe('?pw=[redacted]');
  });

  it('removes the value of an Authorization header that an engine debug dump prints (MediaMTX pulling a camera)', () => {
    const redact = createRedactor();
    expect(redact('Authorization: Basic dXNlcjpwYXNz')).toBe('Authorization: [redacted]');
    expect(redact('  authorization: Digest username="admin", realm="cam", response="0a1b"')).toBe('  authorization: [redacted]');
    expect(redact('Proxy-Authorization: Basic dXNlcjpwYXNz')).toBe('Proxy-Authorization: [redacted]');
    expect(redact('WWW-Authenticate: Basic realm="cam"')).toBe('WWW-Authenticate: Basic realm="cam"');
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

describe('repeatKey', () => {
  it.each([
    ['[h264 @ 0x55d5c0a1b2c0] error while decoding MB 12 34, bytestream -5', '[h# @ x] error while decoding MB # #, bytestream -#'],
    ['[h264 @ 0x7f00] error while decoding MB 1 2, bytestream -17', '[h# @ x] error while decoding MB # #, bytestream -#'],
    ['2024/01/01 10:00:00 WAR [RTSP] [conn 127.0.0.1:4242] closed', '#/#/# #:#:# WAR [RTSP] [conn #.#.#.#:#] closed'],
    ['frame=  100 fps= 25 q=28.0', 'frame= # fps= # q=#.#'],
    ['  padded   line  ', 'padded line'],
  ])('%s', (line, key) => {
    expect(repeatKey(line)).toBe(key);
  });
});

describe('createRepeatLimiter', () => {
  // Each step: [clock ms, line]; expected: what is logged, as "count×line" (1× is the line itself).
  const run = (steps: [number, string][], opts: { intervalMs?: number; maxKeys?: number } = {}) => {
    let t = 0;
    const limiter = createRepeatLimiter({ now: () => t, ...opts });
    const logged: string[] = [];
    for (const [at, line] of steps) {
      t = at;
      for (const e of limiter.offer(line)) logged.push(`${e.count}×${e.line}`);
    }
    const flushed = limiter.flush().map((e) => `${e.count}×${e.line}`);
    return { logged, flushed };
  };

  it.each<[string, [number, string][], { intervalMs?: number; maxKeys?: number }, string[], string[]]>([
    [
      'distinct lines all pass',
      [
        [0, 'a'],
        [1, 'b'],
        [2, 'c'],
      ],
      {},
      ['1×a', '1×b', '1×c'],
      [],
    ],
    [
      'a per-frame warning: logged once, then one summary per interval, the rest at the flush',
      [
        [0, 'dup 1'],
        [40, 'dup 2'],
        [80, 'dup 3'],
        [29_999, 'dup 4'],
        [30_000, 'dup 5'],
        [30_040, 'dup 6'],
        [30_080, 'dup 7'],
      ],
      {},
      ['1×dup 1', '4×dup 5'],
      ['2×dup 7'],
    ],
    [
      'a line that comes back after a quiet interval is logged as itself',
      [
        [0, 'x'],
        [31_000, 'x'],
        [62_000, 'x'],
      ],
      {},
      ['1×x', '1×x', '1×x'],
      [],
    ],
    [
      'interleaved lines are counted apart',
      [
        [0, 'a 1'],
        [1, 'b 1'],
        [2, 'a 2'],
        [3, 'b 2'],
        [4, 'a 3'],
        [10, 'a 4'],
      ],
      { intervalMs: 10 },
      ['1×a 1', '1×b 1', '3×a 4'],
      ['1×b 2'],
    ],
    [
      'the least recently seen line is forgotten with its summary when too many are remembered',
      [
        [0, 'a'],
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ],
      { maxKeys: 2 },
      ['1×a', '1×b', '1×a', '1×c'],
      [],
    ],
    [
      'interval 0: nothing is suppressed',
      [
        [0, 'z'],
        [0, 'z'],
        [0, 'z'],
      ],
      { intervalMs: 0 },
      ['1×z', '1×z', '1×z'],
      [],
    ],
  ])('%s', (_name, steps, opts, logged, flushed) => {
    expect(run(steps, opts)).toEqual({ logged, flushed });
  });

  it('loses no occurrence: the counts of all entries add up to the lines offered', () => {
    let t = 0;
    const limiter = createRepeatLimiter({ now: () => t, intervalMs: 1000 });
    let total = 0;
    for (let i = 0; i < 5000; i++) {
      t = i * 7;
      for (const e of limiter.offer(`warn ${i % 3 === 0 ? 'alpha' : 'beta'} ${i}`)) total += e.count;
    }
    for (const e of limiter.flush()) total += e.count;
    expect(total).toBe(5000);
  });
});

describe('createChangeGate', () => {
  it.each([
    [
      ['missing: a', 'missing: a', 'missing: a'],
      [true, false, false],
    ],
    [
      ['missing: a', null, 'missing: a', 'missing: b', 'missing: b'],
      [true, true, true, true, false],
    ],
    [
      [null, null],
      [true, false],
    ],
  ])('%j -> %j', (values, expected) => {
    const gate = createChangeGate<string | null>();
    expect(values.map(gate)).toEqual(expected);
  });
});
