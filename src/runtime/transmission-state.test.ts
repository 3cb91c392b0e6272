import { describe, expect, it } from 'vitest';
import { createRuntimeRegistry, MAX_CLOSED_WRITERS, TransmissionRuntimeState } from './transmission-state.js';

const jpeg = (n: number) => Buffer.from([0xff, 0xd8, 0xff, n, 0xff, 0xd9]);

function setup(sticky = 2_000, stale = 3_000) {
  let t = 10_000;
  const registry = createRuntimeRegistry({ stickyWindowMs: sticky, staleAfterMs: stale, now: () => t });
  const s = registry.ensure('tx');
  return {
    registry,
    s,
    advance: (ms: number) => (t += ms),
    get t() {
      return t;
    },
  };
}

describe('TransmissionRuntimeState lifecycle', () => {
  it('no writer -> warming_up -> live -> stale -> closed, with the reason the placeholder shows', () => {
    const { s, advance } = setup();
    expect(s.frame()).toEqual({ jpeg: null, writerId: null, ageMs: null, reason: 'no_writer', seq: 0 });
    s.open('w1', 0);
    expect(s.frame().reason).toBe('warming_up');
    advance(100);
    s.update('w1', jpeg(1));
    advance(50);
    const f = s.frame();
    expect(f.writerId).toBe('w1');
    expect(f.jpeg?.equals(jpeg(1))).toBe(true);
    expect(f.ageMs).toBe(50);
    expect(f.reason).toBeNull();
    advance(2_950);
    expect(s.frame().reason).toBe('writers_stale');
    s.update('w1', jpeg(2));
    expect(s.frame().writerId).toBe('w1');
    s.close('w1');
    advance(1_999);
    expect(s.frame().writerId).toBe('w1'); // sticky grace after a close
    advance(1);
    expect(s.frame()).toMatchObject({ jpeg: null, writerId: null, reason: 'all_writers_closed' });
  });

  it('the end-to-end story: high wins, a close hands over to low after the sticky window, both closed -> placeholder', () => {
    const { s, advance } = setup();
    s.open('low', 0);
    s.open('high', 10);
    for (let i = 0; i < 10; i++) {
      advance(100);
      s.update('low', jpeg(1));
      s.update('high', jpeg(2));
    }
    expect(s.select().selected).toBe('high');
    s.close('high');
    for (let i = 0; i < 19; i++) {
      advance(100);
      s.update('low', jpeg(1));
      expect(s.frame().writerId).toBe('high');
    }
    advance(100);
    s.update('low', jpeg(1));
    expect(s.frame().writerId).toBe('low');
    s.close('low');
    advance(2_000);
    expect(s.frame().reason).toBe('all_writers_closed');
    expect(s.health().switches).toBe(1);
  });

  it('a frame on a closed writer reopens it with its previous priority', () => {
    const { s, advance } = setup();
    s.open('w', 7);
    s.close('w');
    advance(10);
    s.update('w', jpeg(1));
    const h = s.health();
    expect(h.writers[0]).toMatchObject({ id: 'w', state: 'open', priority: 7 });
    expect(h.selected_writer_id).toBe('w');
  });

  it('a second open on an open writer only changes its priority', () => {
    const { s, advance } = setup();
    s.open('a', 0);
    advance(10);
    s.open('b', 0);
    s.update('a', jpeg(1));
    s.update('b', jpeg(2));
    advance(10);
    s.open('a', 0); // does not move "a" behind "b" in the tie
    expect(s.select().selected).toBe('a');
    s.open('b', 5);
    expect(s.health().writers.map((w) => [w.id, w.priority])).toEqual([
      ['b', 5],
      ['a', 0],
    ]);
  });

  it('heartbeats keep last_seen fresh but never make a writer fresh', () => {
    const { s, advance } = setup();
    s.open('w', 0);
    s.update('w', jpeg(1));
    for (let i = 0; i < 40; i++) {
      advance(100);
      s.heartbeat('w');
    }
    const h = s.health();
    expect(h.fallback_reason).toBe('writers_stale');
    expect(h.writers[0]).toMatchObject({ fresh: false, frame_age_ms: 4_000, last_seen_ms: 0, heartbeats: 40 });
  });

  it('a refused frame counts and tells why, keeps the writer seen, but is never selected nor makes it fresh', () => {
    const { s, advance } = setup();
    s.open('w', 0);
    s.update('w', jpeg(1));
    const before = s.frame();
    for (let i = 0; i < 40; i++) {
      advance(100);
      s.refuse('w', `bad frame ${i}`);
      // The last good frame is still the one shown, until it is stale: the refused ones never replace it.
      if (i === 10) expect(s.frame()).toMatchObject({ seq: before.seq, writerId: 'w', ageMs: 1_100 });
    }
    const h = s.health();
    expect(h.fallback_reason).toBe('writers_stale');
    expect(h.writers[0]).toMatchObject({ fresh: false, frames_received: 1, frames_refused: 40, last_seen_ms: 0, last_refusal: { reason: 'bad frame 39', age_ms: 0 } });
    advance(250);
    expect(s.health().writers[0]!.last_refusal).toEqual({ reason: 'bad frame 39', age_ms: 250 });
    // A refusal on a closed writer reopens it (it is alive), like a heartbeat.
    s.close('w');
    s.refuse('w', 'again');
    expect(s.health().writers[0]).toMatchObject({ state: 'open', frames_refused: 41 });
  });

  it('rejects a non-finite priority', () => {
    const { s } = setup();
    expect(() => s.open('w', Number.NaN)).toThrow(/priority/);
  });

  it('forgets the oldest closed writers beyond the cap', () => {
    const { s, advance } = setup();
    for (let i = 0; i < MAX_CLOSED_WRITERS + 5; i++) {
      s.open(`w${i}`, 0);
      advance(1);
      s.close(`w${i}`);
    }
    const ids = s.health().writers.map((w) => w.id);
    expect(ids).toHaveLength(MAX_CLOSED_WRITERS);
    expect(ids).not.toContain('w0');
    expect(ids).toContain(`w${MAX_CLOSED_WRITERS + 4}`);
  });
});

describe('latest frame only and dropped counting', () => {
  it('keeps only the latest frame per writer: a slow consumer never makes it buffer', () => {
    const { s } = setup();
    s.open('w', 0);
    const frames = Array.from({ length: 1_000 }, (_, i) => jpeg(i % 256));
    for (const f of frames) s.update('w', f);
    const f = s.consume();
    expect(f.jpeg).toBe(frames.at(-1));
    expect(f.seq).toBe(1_000);
    expect(s.health().writers[0]!.frames_received).toBe(1_000);
  });

  it('counts as dropped a selected frame replaced before an active consumer took it', () => {
    const { s, advance } = setup();
    s.open('w', 0);
    s.update('w', jpeg(1));
    s.update('w', jpeg(2)); // nobody consumes yet: not a drop
    expect(s.health().writers[0]!.dropped).toBe(0);
    expect(s.consume().jpeg?.equals(jpeg(2))).toBe(true);
    advance(100);
    s.update('w', jpeg(3));
    s.update('w', jpeg(4)); // replaces 3, which the consumer never saw
    s.update('w', jpeg(5)); // replaces 4
    expect(s.health().writers[0]!.dropped).toBe(2);
    expect(s.consume().jpeg?.equals(jpeg(5))).toBe(true);
    s.update('w', jpeg(6)); // 5 was consumed: not a drop
    expect(s.health().writers[0]).toMatchObject({ dropped: 2, frames_received: 6 });
  });

  it('peeking with frame() does not mark the frame taken', () => {
    const { s } = setup();
    s.open('w', 0);
    s.update('w', jpeg(1));
    s.consume();
    s.update('w', jpeg(2));
    s.frame();
    s.update('w', jpeg(3));
    expect(s.health().writers[0]!.dropped).toBe(1);
  });

  it('frames of a writer that is not selected, or pushed long after the last consume, are not drops', () => {
    const { s, advance } = setup();
    s.open('high', 10);
    s.open('low', 0);
    s.update('high', jpeg(1));
    s.update('low', jpeg(2));
    s.consume();
    s.update('low', jpeg(3));
    s.update('low', jpeg(4));
    advance(3_000); // the consumer stopped (no demand): high is stale now, low too
    s.update('high', jpeg(5));
    s.update('high', jpeg(6));
    const byId = Object.fromEntries(s.health().writers.map((w) => [w.id, w.dropped]));
    expect(byId).toEqual({ high: 0, low: 0 });
  });

  it('gives each frame a new sequence number so readers tell a new frame from a repeat', () => {
    const { s } = setup();
    s.open('w', 0);
    s.update('w', jpeg(1));
    const a = s.frame().seq;
    expect(s.frame().seq).toBe(a);
    s.update('w', jpeg(2));
    expect(s.frame().seq).toBeGreaterThan(a);
  });
});

describe('health', () => {
  it('reports active vs selected while a higher writer proves itself, frame ages and counters', () => {
    const { s, advance } = setup();
    s.open('low', 0);
    s.update('low', jpeg(1));
    expect(s.select().selected).toBe('low'); // the publisher tick selects as soon as a frame exists
    advance(500);
    s.open('high', 10);
    s.update('high', jpeg(2));
    advance(40);
    s.update('low', jpeg(3));
    advance(10);
    const h = s.health();
    expect(h).toEqual({
      active_writer_id: 'high',
      selected_writer_id: 'low',
      fallback_reason: null,
      frame_age_ms: 10,
      selected_for_ms: 550,
      switches: 0,
      writers: [
        { id: 'high', priority: 10, state: 'open', fresh: true, frame_age_ms: 50, last_seen_ms: 50, frames_received: 1, heartbeats: 0, dropped: 0, frames_refused: 0, last_refusal: null },
        { id: 'low', priority: 0, state: 'open', fresh: true, frame_age_ms: 10, last_seen_ms: 10, frames_received: 2, heartbeats: 0, dropped: 0, frames_refused: 0, last_refusal: null },
      ],
    });
    for (let i = 0; i < 20; i++) {
      advance(100);
      s.update('high', jpeg(4));
    }
    expect(s.health()).toMatchObject({ active_writer_id: 'high', selected_writer_id: 'high', switches: 1, selected_for_ms: 0 });
  });

  it('with nothing selected: null ids, the reason and no frame age', () => {
    const { s } = setup();
    expect(s.health()).toMatchObject({ active_writer_id: null, selected_writer_id: null, fallback_reason: 'no_writer', frame_age_ms: null, writers: [] });
  });

  it('during the close grace the selected writer is closed and active names the one that will take over', () => {
    const { s, advance } = setup();
    s.open('high', 10);
    s.open('low', 0);
    s.update('high', jpeg(1));
    s.update('low', jpeg(2));
    s.select();
    s.close('high');
    advance(100);
    expect(s.health()).toMatchObject({ active_writer_id: 'low', selected_writer_id: 'high', fallback_reason: null, frame_age_ms: 100 });
  });
});

describe('createRuntimeRegistry', () => {
  it('get / ensure / delete / list keyed by transmission id', () => {
    const registry = createRuntimeRegistry({ stickyWindowMs: 0, staleAfterMs: 1_000 });
    expect(registry.get('a')).toBeUndefined();
    const a = registry.ensure('a');
    expect(registry.ensure('a')).toBe(a);
    expect(a).toBeInstanceOf(TransmissionRuntimeState);
    registry.ensure('b');
    expect(registry.list()).toEqual(['a', 'b']);
    expect(registry.delete('a')).toBe(true);
    expect(registry.delete('a')).toBe(false);
    expect(registry.list()).toEqual(['b']);
    expect(registry.get('b')!.transmissionId).toBe('b');
  });

  it.each([
    [{ stickyWindowMs: -1, staleAfterMs: 1_000 }, /stickyWindowMs/],
    [{ stickyWindowMs: 1.5, staleAfterMs: 1_000 }, /stickyWindowMs/],
    [{ stickyWindowMs: 0, staleAfterMs: 0 }, /staleAfterMs/],
    [{ stickyWindowMs: 0, staleAfterMs: Number.NaN }, /staleAfterMs/],
    [{ stickyWindowMs: 0, staleAfterMs: 600_001 }, /staleAfterMs/],
    [{ stickyWindowMs: '5', staleAfterMs: 1_000 }, /stickyWindowMs/],
  ])('refuses invalid options at creation: %o', (opts, re) => {
    expect(() => createRuntimeRegistry(opts as never)).toThrow(re);
  });

  it('configure validates, keeps the old options on error, and every state sees new ones at once', () => {
    let t = 0;
    const registry = createRuntimeRegistry({ stickyWindowMs: 0, staleAfterMs: 1_000, now: () => t });
    const s = registry.ensure('tx');
    s.open('w', 0);
    s.update('w', jpeg(1));
    t = 1_500;
    expect(s.frame().reason).toBe('writers_stale');
    expect(() => registry.configure({ staleAfterMs: -5 })).toThrow(/staleAfterMs/);
    expect(registry.options()).toEqual({ stickyWindowMs: 0, staleAfterMs: 1_000 });
    expect(registry.configure({ staleAfterMs: 2_000 })).toEqual({ stickyWindowMs: 0, staleAfterMs: 2_000 });
    expect(s.frame().writerId).toBe('w');
  });
});
