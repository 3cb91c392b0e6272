import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createOutputWatch, readProgress } from './output-watch.js';

function setup(stallMs = 1_000) {
  let t = 50_000;
  const watch = createOutputWatch({ kind: 'jsmpeg', name: 'jsmpeg:p:1', stallMs, now: () => t });
  return { watch, advance: (ms: number) => (t += ms) };
}

describe('output watch', () => {
  it('an encoder that keeps producing output is never stalled', () => {
    const { watch, advance } = setup();
    for (let i = 0; i < 50; i++) {
      watch.input();
      advance(100);
      watch.output();
    }
    expect(watch.view()).toEqual({ kind: 'jsmpeg', name: 'jsmpeg:p:1', last_output_ms: 0, no_output_for_ms: 0, stalled: false, stalls: 0 });
    expect(watch.due()).toBe(false);
  });

  it('without input nothing is owed: an idle encoder is not stalled', () => {
    const { watch, advance } = setup();
    advance(10_000);
    expect(watch.view()).toMatchObject({ last_output_ms: null, no_output_for_ms: 0, stalled: false });
  });

  it('input without output for stallMs is a stall that lasts until output, across restarts; action is due once per stallMs', () => {
    const { watch, advance } = setup();
    watch.output();
    advance(100);
    watch.input();
    advance(899);
    expect(watch.view()).toMatchObject({ stalled: false, no_output_for_ms: 999 });
    expect(watch.due()).toBe(false);
    advance(1);
    expect(watch.view()).toMatchObject({ stalled: true, no_output_for_ms: 1_000, last_output_ms: 1_000, stalls: 1 });
    expect(watch.due()).toBe(true); // e.g. the encoder is restarted
    advance(500);
    watch.input();
    expect(watch.due()).toBe(false); // the restarted encoder gets its own stallMs
    expect(watch.view()).toMatchObject({ stalled: true, no_output_for_ms: 1_500, stalls: 1 });
    advance(500);
    expect(watch.due()).toBe(true);
    watch.output();
    expect(watch.view()).toMatchObject({ stalled: false, no_output_for_ms: 0, last_output_ms: 0, stalls: 1 });
    // A second episode is counted as such.
    watch.input();
    advance(1_000);
    expect(watch.view()).toMatchObject({ stalled: true, stalls: 2 });
  });

  it('output held back on purpose (a paused reader) is not owed', () => {
    const { watch, advance } = setup();
    watch.input();
    advance(900);
    watch.hold();
    advance(900);
    expect(watch.view()).toMatchObject({ stalled: false, no_output_for_ms: 0 });
    watch.input();
    advance(1_000);
    expect(watch.view().stalled).toBe(true);
  });

  it('rejects a stall threshold that is not positive', () => {
    expect(() => createOutputWatch({ kind: 'publisher', name: 'x', stallMs: 0 })).toThrow(/stallMs/);
  });
});

describe('FFmpeg -progress', () => {
  it('reports each growth of the frame count, across chunk boundaries, and ignores repeats', async () => {
    const out = new PassThrough();
    const seen: number[] = [];
    readProgress(out, (n) => seen.push(n));
    out.write('frame=1\nfps=0.00\nprogress=continue\nfra');
    out.write('me=7\r\ntotal_size=N/A\nprogress=continue\nframe=7\nprogress=continue\nframe=12\n');
    out.end('frame=oops\n');
    await new Promise((r) => out.once('end', r));
    expect(seen).toEqual([1, 7, 12]);
  });
});
