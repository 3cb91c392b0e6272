import { describe, expect, it } from 'vitest';
import { selectWriter, type FallbackReason, type WriterView } from './arbitration.js';

const opts = { stickyWindowMs: 2_000, staleAfterMs: 3_000 };
const NOW = 100_000;

/** An open writer that opened 60 s ago and has delivered frames ever since, the last one `age` ms ago. */
function w(id: string, priority: number, over: Partial<WriterView> & { age?: number | null } = {}): WriterView {
  const { age = 100, ...rest } = over;
  return { id, priority, state: 'open', openedAt: NOW - 60_000, lastFrameAt: age === null ? null : NOW - age, eligibleSince: NOW - 60_000, ...rest };
}
const closed = (view: WriterView, agoMs: number): WriterView => ({ ...view, state: 'closed', closedAt: NOW - agoMs });

interface Case {
  name: string;
  writers: WriterView[];
  current: string | null;
  selected: string | null;
  reason?: FallbackReason;
  options?: typeof opts;
}

const cases: Case[] = [
  // none
  { name: 'no writers at all -> no_writer', writers: [], current: null, selected: null, reason: 'no_writer' },
  { name: 'no writers, a stale current id is forgotten', writers: [], current: 'gone', selected: null, reason: 'no_writer' },
  { name: 'a current id that is not among the writers does not block a fresh choice', writers: [w('a', 0)], current: 'gone', selected: 'a' },
  // priorities
  { name: 'a single fresh writer is selected', writers: [w('a', 0)], current: null, selected: 'a' },
  { name: 'both fresh, the higher priority wins a fresh choice', writers: [w('low', 0), w('high', 10)], current: null, selected: 'high' },
  { name: 'negative priorities order too', writers: [w('a', -5), w('b', -1)], current: null, selected: 'b' },
  { name: 'both fresh, the current high writer stays', writers: [w('low', 0), w('high', 10)], current: 'high', selected: 'high' },
  { name: 'a lower-priority writer never displaces the current one', writers: [w('low', 0, { eligibleSince: NOW - 600_000 }), w('high', 10)], current: 'high', selected: 'high' },
  // ties
  { name: 'tie: the earliest opened wins a fresh choice', writers: [w('b', 5, { openedAt: NOW - 1_000 }), w('a2', 5, { openedAt: NOW - 9_000 })], current: null, selected: 'a2' },
  { name: 'tie and same open time: the smallest id wins (order independent)', writers: [w('zeta', 5), w('alpha', 5)], current: null, selected: 'alpha' },
  { name: 'tie: an equal-priority writer opened earlier does not displace the current one', writers: [w('early', 5, { openedAt: NOW - 90_000 }), w('late', 5)], current: 'late', selected: 'late' },
  // sticky window: switching up
  {
    name: 'switch up waits: a higher writer fresh for less than the sticky window does not displace the current',
    writers: [w('low', 0), w('high', 10, { openedAt: NOW - 500, eligibleSince: NOW - 500 })],
    current: 'low',
    selected: 'low',
  },
  {
    name: 'switch up happens once the higher writer has been fresh for the whole sticky window',
    writers: [w('low', 0), w('high', 10, { openedAt: NOW - 2_100, eligibleSince: NOW - 2_100 })],
    current: 'low',
    selected: 'high',
  },
  {
    name: 'a writer that just came back from a stall must prove itself again (eligibleSince, not openedAt)',
    writers: [w('low', 0), w('high', 10, { eligibleSince: NOW - 2_099 })],
    current: 'low',
    selected: 'low',
  },
  {
    name: 'without eligibleSince the open time counts as the start of eligibility',
    writers: [w('low', 0), { id: 'high', priority: 10, state: 'open', openedAt: NOW - 2_500, lastFrameAt: NOW - 10 }],
    current: 'low',
    selected: 'high',
  },
  { name: 'of several stable better writers the best one is taken', writers: [w('low', 0), w('mid', 5), w('top', 9)], current: 'low', selected: 'top' },
  { name: 'an unstable best does not hide a stable middle writer', writers: [w('low', 0), w('mid', 5), w('top', 9, { eligibleSince: NOW - 10, age: 5 })], current: 'low', selected: 'mid' },
  {
    name: 'frames delivered, not time passed, are the proof: a writer whose frames stopped 1 s after it came back is not stable',
    writers: [w('low', 0), w('high', 10, { eligibleSince: NOW - 2_500, age: 1_500 })],
    current: 'low',
    selected: 'low',
  },
  {
    name: 'sticky window 0: switch up is immediate',
    writers: [w('low', 0), w('high', 10, { openedAt: NOW, eligibleSince: NOW, age: 0 })],
    current: 'low',
    selected: 'high',
    options: { stickyWindowMs: 0, staleAfterMs: 3_000 },
  },
  {
    name: 'no current writer: the best writer is taken at once even if it is not stable',
    writers: [w('low', 0), w('high', 10, { openedAt: NOW - 10, eligibleSince: NOW - 10, age: 5 })],
    current: null,
    selected: 'high',
  },
  // close / disconnect and the sticky window
  { name: 'close: the current writer is held for the sticky window after its close', writers: [w('low', 0), closed(w('high', 10), 1_999)], current: 'high', selected: 'high' },
  { name: 'close: once the sticky window has passed the lower writer takes over', writers: [w('low', 0), closed(w('high', 10), 2_000)], current: 'high', selected: 'low' },
  { name: 'disconnect is a close: a lone writer is held for the window, then placeholder', writers: [closed(w('solo', 0), 500)], current: 'solo', selected: 'solo' },
  { name: 'a closed writer that was not current is never selected', writers: [closed(w('high', 10), 10), w('low', 0)], current: null, selected: 'low' },
  { name: 'a closed writer without closedAt gets no grace', writers: [{ ...w('high', 10), state: 'closed' }, w('low', 0)], current: 'high', selected: 'low' },
  { name: 'the close grace never outlives the frame freshness', writers: [w('low', 0), closed(w('high', 10, { age: 3_000 }), 100)], current: 'high', selected: 'low' },
  { name: 'during the close grace a stable higher writer still takes over', writers: [w('top', 20), closed(w('high', 10), 100)], current: 'high', selected: 'top' },
  { name: 'both closed beyond the window -> all_writers_closed', writers: [closed(w('a', 10), 5_000), closed(w('b', 0), 2_500)], current: 'a', selected: null, reason: 'all_writers_closed' },
  {
    name: 'reconnected within the window: the open writer is simply current again',
    writers: [w('low', 0), w('high', 10, { openedAt: NOW - 300, eligibleSince: NOW - 300 })],
    current: 'high',
    selected: 'high',
  },
  // stale
  { name: 'stale: the current writer is dropped as soon as its frame is stale', writers: [w('low', 0), w('high', 10, { age: 3_000 })], current: 'high', selected: 'low' },
  { name: 'stale boundary: a frame 2999 ms old is still fresh', writers: [w('low', 0), w('high', 10, { age: 2_999 })], current: 'high', selected: 'high' },
  { name: 'a stale higher writer is not eligible for a fresh choice', writers: [w('low', 0), w('high', 10, { age: 10_000 })], current: null, selected: 'low' },
  { name: 'all stale -> writers_stale', writers: [w('a', 0, { age: 4_000 }), w('b', 1, { age: 3_500 })], current: 'b', selected: null, reason: 'writers_stale' },
  { name: 'open but never sent a frame, opened long ago -> writers_stale', writers: [w('a', 0, { age: null })], current: null, selected: null, reason: 'writers_stale' },
  { name: 'open, first frame not yet due -> warming_up', writers: [w('a', 0, { age: null, openedAt: NOW - 200 })], current: null, selected: null, reason: 'warming_up' },
  {
    name: 'a warming writer beside a stale one -> warming_up',
    writers: [w('old', 0, { age: 9_000 }), w('new', 0, { age: null, openedAt: NOW - 200 })],
    current: 'old',
    selected: null,
    reason: 'warming_up',
  },
  { name: 'stale and closed writers -> writers_stale (one is still open)', writers: [closed(w('a', 0), 9_000), w('b', 0, { age: 9_000 })], current: null, selected: null, reason: 'writers_stale' },
];

describe('selectWriter', () => {
  it.each(cases)('$name', ({ writers, current, selected, reason, options }) => {
    const result = selectWriter(writers, current, NOW, options ?? opts);
    expect(result).toEqual({ selected, reason: selected === null ? reason : null });
  });

  it('has at least 15 table cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  it('does not depend on the order of the writers', () => {
    for (const c of cases) {
      const reversed = selectWriter([...c.writers].reverse(), c.current, NOW, c.options ?? opts);
      expect(reversed, c.name).toEqual(selectWriter(c.writers, c.current, NOW, c.options ?? opts));
    }
  });
});

/** The end-to-end story, stepping a clock and feeding frames every 100 ms, as the runtime would. */
describe('selectWriter over time', () => {
  function sim() {
    const writers = new Map<string, WriterView>();
    let t = 0;
    let current: string | null = null;
    const log: (string | null)[] = [];
    return {
      open(id: string, priority: number) {
        const prev = writers.get(id);
        writers.set(id, { id, priority, state: 'open', openedAt: t, lastFrameAt: prev?.lastFrameAt ?? null, closedAt: null, eligibleSince: t });
      },
      close(id: string) {
        const x = writers.get(id)!;
        writers.set(id, { ...x, state: 'closed', closedAt: t });
      },
      /** Advance `ms` in 100 ms steps; `feeding` writers send a frame at every step. */
      run(ms: number, feeding: string[]) {
        for (let i = 0; i < ms; i += 100) {
          t += 100;
          for (const id of feeding) {
            const x = writers.get(id)!;
            const gap = x.lastFrameAt === null || t - x.lastFrameAt >= opts.staleAfterMs;
            writers.set(id, { ...x, lastFrameAt: t, eligibleSince: gap ? t : x.eligibleSince });
          }
          const r = selectWriter([...writers.values()], current, t, opts);
          current = r.selected;
          log.push(r.selected ?? r.reason);
        }
      },
      get current() {
        return current;
      },
      switches() {
        return log.filter((x, i) => i > 0 && x !== log[i - 1]).length;
      },
      log,
    };
  }

  it('high wins, a close keeps it for the sticky window, then low, then the placeholder', () => {
    const s = sim();
    s.open('low', 0);
    s.open('high', 10);
    s.run(1_000, ['low', 'high']);
    expect(s.current).toBe('high');
    s.close('high');
    s.run(1_900, ['low']);
    expect(s.current).toBe('high'); // held: no flap for a brief gap
    s.run(100, ['low']);
    expect(s.current).toBe('low');
    s.close('low');
    s.run(5_000, []);
    expect(s.log.at(-1)).toBe('all_writers_closed');
  });

  it('a high writer that reconnects within the window never lets the stream switch', () => {
    const s = sim();
    s.open('low', 0);
    s.open('high', 10);
    s.run(1_000, ['low', 'high']);
    s.close('high');
    s.run(800, ['low']);
    s.open('high', 10);
    s.run(5_000, ['low', 'high']);
    expect(s.log.every((x) => x === 'high')).toBe(true);
  });

  it('two writers that alternately stall do not flap: the returning high writer must stay fresh for the window', () => {
    const s = sim();
    s.open('low', 0);
    s.open('high', 10);
    s.run(1_000, ['low', 'high']);
    // high stalls for 3.5 s and comes back for 1.5 s, five times over
    for (let i = 0; i < 5; i++) {
      s.run(3_500, ['low']);
      s.run(1_500, ['low', 'high']);
    }
    expect(s.current).toBe('low');
    expect(s.switches()).toBe(1);
    // once it stays, it takes over after exactly the sticky window of continuous frames
    // (first frame 100 ms into the last 1.5 s run, so 600 ms more make a 2 s span)
    s.run(500, ['low', 'high']);
    expect(s.current).toBe('low');
    s.run(100, ['low', 'high']);
    expect(s.current).toBe('high');
  });
});
