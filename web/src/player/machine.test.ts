import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialState, step } from './machine.js';
import { deadline, view } from './machine-view.js';
import { DEFAULT_OPTIONS, type Candidate, type Effect, type MachineEvent, type MachineState } from './machine-types.js';
import type { Transport } from '../../../src/api/contract.js';

const ok = (transport: Transport): Candidate => ({ transport, available: true, url: `/media/${transport}`, outputId: 'o1', blocked: null });
const no = (transport: Transport, blocked: string): Candidate => ({ transport, available: false, url: null, outputId: null, blocked });
const WEB = [ok('mse'), ok('hls'), ok('jsmpeg'), no('webrtc', 'webrtc_not_for_context')];

/** Runs events from the initial state; returns the final state and the effects of each step. */
function run(events: MachineEvent[], from: MachineState = initialState()) {
  let state = from;
  const steps: Effect[][] = [];
  for (const e of events) {
    const r = step(state, e);
    state = r.state;
    steps.push(r.effects);
  }
  return { state, steps, last: steps.at(-1) ?? [], all: steps.flat() };
}

const started = (effects: Effect[]) => effects.filter((e): e is Extract<Effect, { type: 'start' }> => e.type === 'start').map((e) => `${e.transport}@${e.slot}#${e.attempt}`);
const reports = (effects: Effect[]) =>
  effects.filter((e): e is Extract<Effect, { type: 'report' }> => e.type === 'report').map((e) => [e.event, e.from ? `${e.from}>${e.transport}` : e.transport, e.reason ?? e.ttffMs ?? null]);
const kinds = (effects: Effect[]) =>
  effects.map((e) =>
    e.type === 'report' ? `report:${e.event}` : e.type === 'start' || e.type === 'stop' || e.type === 'seek_live' ? `${e.type}#${e.attempt}` : e.type === 'show' ? `show:${e.slot}` : e.type,
  );

const begin: MachineEvent[] = [
  { type: 'start', now: 0 },
  { type: 'plan', now: 100, candidates: WEB },
];

describe('starting from the plan', () => {
  it('asks for the plan, then starts the best available candidate in the visible slot', () => {
    const r = run(begin);
    expect(r.steps[0]).toEqual([{ type: 'fetch_plan' }]);
    expect(started(r.last)).toEqual(['mse@a#1']);
    expect(reports(r.last)).toEqual([['chosen', 'mse', null]]);
    expect(view(r.state)).toMatchObject({ phase: 'starting', trying: 'mse', playing: null, error: null });
  });

  it.each([
    ['skips unavailable candidates', [no('mse', 'sidecar_missing'), ok('hls'), ok('jsmpeg')], 'hls@a#1'],
    ['skips an available candidate without a URL', [{ ...ok('mse'), url: null }, ok('jsmpeg')], 'jsmpeg@a#1'],
  ])('%s', (_name, candidates, expected) => {
    const r = run([
      { type: 'start', now: 0 },
      { type: 'plan', now: 0, candidates },
    ]);
    expect(started(r.last)).toEqual([expected]);
  });

  it('reports the first frame with its time to first frame and plays', () => {
    const r = run([...begin, { type: 'first_frame', now: 900, attempt: 1 }]);
    expect(reports(r.last)).toEqual([['first_frame', 'mse', 800]]);
    expect(view(r.state)).toMatchObject({ phase: 'playing', playing: 'mse', trying: null });
    // Playing the best candidate: nothing to climb to.
    expect(r.state.climbAt).toBeNull();
  });

  it('treats progress before a first-frame signal as the first frame', () => {
    const r = run([...begin, { type: 'progress', now: 500, attempt: 1, lagS: 0.5 }]);
    expect(view(r.state).playing).toBe('mse');
  });
});

describe('a plan with nothing available', () => {
  it.each([
    ['names the best-ranked candidate reason', [no('mse', 'engine_missing'), no('hls', 'engine_missing'), no('jsmpeg', 'jsmpeg_disabled')], 'engine_missing'],
    ['prefers a transmission-wide reason', [no('mse', 'engine_missing'), no('hls', 'transmission_disabled')], 'transmission_disabled'],
    ['names the browser when it rules a transport out', [no('hls', 'browser_unsupported')], 'browser_unsupported'],
    ['an empty plan names nothing', [], null],
  ])('%s', (_name, candidates, blocked) => {
    const r = run([
      { type: 'start', now: 0 },
      { type: 'plan', now: 0, candidates },
    ]);
    expect(r.last).toEqual([]);
    expect(view(r.state)).toMatchObject({ phase: 'error', error: 'nothing_available', blocked });
    expect(r.state.retryAt).toBe(DEFAULT_OPTIONS.retryInitialMs);
  });

  it('asks the plan again on a doubling, capped backoff and plays once something is available', () => {
    const blocked = [no('hls', 'engine_starting')];
    const events: MachineEvent[] = [
      { type: 'start', now: 0 },
      { type: 'plan', now: 0, candidates: blocked },
    ];
    const retries: number[] = [];
    let r = run(events);
    for (let i = 0; i < 6; i++) {
      const at = deadline(r.state)!;
      retries.push(at);
      r = run([{ type: 'tick', now: at }], r.state);
      expect(r.last).toEqual([{ type: 'fetch_plan' }]);
      // While the request is out, no deadline asks again.
      expect(deadline(r.state)).toBeNull();
      r = run([{ type: 'plan', now: at, candidates: blocked }], r.state);
    }
    expect(retries).toEqual([5_000, 15_000, 35_000, 75_000, 135_000, 195_000]);
    r = run(
      [
        { type: 'tick', now: deadline(r.state)! },
        { type: 'plan', now: 200_000, candidates: [ok('hls')] },
      ],
      r.state,
    );
    expect(started(r.last)).toEqual(['hls@a#1']);
    // The error stays on screen until a frame shows (no flicker while retrying)...
    expect(view(r.state).error).toBe('nothing_available');
    r = run([{ type: 'first_frame', now: 200_500, attempt: 1 }], r.state);
    // ...and the backoff starts over after a success.
    expect(view(r.state).error).toBeNull();
    expect(r.state.retryBackoffMs).toBe(DEFAULT_OPTIONS.retryInitialMs);
  });
});

describe('the plan request failing', () => {
  it.each([
    [false, 'plan_failed'],
    [true, 'not_found'],
  ] as const)('notFound=%s -> %s, retried', (notFound, error) => {
    const r = run([
      { type: 'start', now: 0 },
      { type: 'plan_failed', now: 10, notFound },
    ]);
    expect(view(r.state)).toMatchObject({ phase: 'error', error });
    expect(deadline(r.state)).toBe(10 + DEFAULT_OPTIONS.retryInitialMs);
  });

  it('a failed refresh while playing keeps playing and asks again soon', () => {
    const refresh = 100 + DEFAULT_OPTIONS.planRefreshMs;
    const r = run([
      ...begin,
      { type: 'first_frame', now: 500, attempt: 1 },
      { type: 'progress', now: refresh - 1, attempt: 1, lagS: 1 },
      { type: 'tick', now: refresh },
      { type: 'plan_failed', now: refresh + 50, notFound: false },
    ]);
    expect(r.steps[4]).toEqual([{ type: 'fetch_plan' }]);
    expect(view(r.state)).toMatchObject({ phase: 'playing', playing: 'mse', error: null });
    expect(r.state.refreshAt).toBe(refresh + 50 + DEFAULT_OPTIONS.retryInitialMs);
  });
});

describe('falling back to the next candidate', () => {
  const playing: MachineEvent[] = [...begin, { type: 'first_frame', now: 1_000, attempt: 1 }];

  it.each<[string, MachineEvent[], string]>([
    ['a transport error', [...begin, { type: 'error', now: 2_000, attempt: 1, reason: 'ws closed 4503' }], 'ws closed 4503'],
    ['no first frame in time', [...begin, { type: 'tick', now: 100 + DEFAULT_OPTIONS.firstFrameMs }], 'first_frame_timeout'],
    ['no progress for the stall time', [...playing, { type: 'tick', now: 1_000 + DEFAULT_OPTIONS.stallMs }], 'stalled'],
  ])('on %s: stop it, start the next in the same slot, report failed and fell_back', (_name, events, reason) => {
    const r = run(events);
    expect(kinds(r.last).filter((k) => k !== 'report:stalled')).toEqual(['report:failed', 'stop#1', 'start#2', 'report:fell_back']);
    expect(started(r.last)).toEqual(['hls@a#2']);
    expect(reports(r.last).filter((x) => x[0] !== 'stalled')).toEqual([
      ['failed', 'mse', reason],
      ['fell_back', 'mse>hls', null],
    ]);
    expect(r.state.lastFailure).toEqual({ transport: 'mse', reason });
    expect(view(r.state)).toMatchObject({ phase: 'starting', trying: 'hls', error: null });
  });

  it('does not fire the first-frame timer a moment early', () => {
    const r = run([...begin, { type: 'tick', now: 100 + DEFAULT_OPTIONS.firstFrameMs - 1 }]);
    expect(r.last).toEqual([]);
    expect(deadline(r.state)).toBe(100 + DEFAULT_OPTIONS.firstFrameMs);
  });

  it('reports a stall early, a recovery when progress returns, and fails only after the stall time', () => {
    const notice = 1_000 + DEFAULT_OPTIONS.stallNoticeMs;
    let r = run([...playing, { type: 'tick', now: notice }]);
    expect(reports(r.last)).toEqual([['stalled', 'mse', null]]);
    expect(view(r.state).stalled).toBe(true);
    expect(deadline(r.state)).toBe(1_000 + DEFAULT_OPTIONS.stallMs);
    r = run([{ type: 'progress', now: notice + 500, attempt: 1, lagS: 1 }], r.state);
    expect(reports(r.last)).toEqual([['recovered', 'mse', null]]);
    expect(view(r.state).stalled).toBe(false);
    expect(deadline(r.state)).toBe(notice + 500 + DEFAULT_OPTIONS.stallNoticeMs);
  });

  it('reports one stall when the stall time passes without an earlier notice', () => {
    const r = run([...playing, { type: 'tick', now: 1_000 + DEFAULT_OPTIONS.stallMs }]);
    expect(reports(r.last).filter((x) => x[0] === 'stalled')).toHaveLength(1);
  });

  it('jumps to the live edge when the buffer grows, and fails when it keeps growing', () => {
    const lag = DEFAULT_OPTIONS.maxLagS + 1;
    let r = run(playing);
    for (let i = 1; i <= DEFAULT_OPTIONS.maxLiveJumps; i++) {
      r = run([{ type: 'progress', now: 1_000 + i * 1_000, attempt: 1, lagS: lag }], r.state);
      expect(r.last).toEqual([{ type: 'seek_live', attempt: 1 }]);
    }
    r = run([{ type: 'progress', now: 5_000, attempt: 1, lagS: lag }], r.state);
    expect(reports(r.last)).toEqual([
      ['failed', 'mse', 'buffer_growing'],
      ['fell_back', 'mse>hls', null],
    ]);
  });

  it('forgets jumps older than the window', () => {
    const lag = DEFAULT_OPTIONS.maxLagS + 1;
    const events: MachineEvent[] = [...playing];
    for (let i = 0; i < 10; i++) events.push({ type: 'progress', now: 2_000 + i * (DEFAULT_OPTIONS.liveJumpWindowMs / 2), attempt: 1, lagS: lag });
    const r = run(events);
    expect(r.all.filter((e) => e.type === 'report' && e.event === 'failed')).toEqual([]);
    expect(r.all.filter((e) => e.type === 'seek_live')).toHaveLength(10);
  });

  it('ignores events of attempts that were stopped', () => {
    const r = run([...begin, { type: 'error', now: 2_000, attempt: 1, reason: 'x' }]);
    const late = run(
      [
        { type: 'error', now: 2_100, attempt: 1, reason: 'again' },
        { type: 'first_frame', now: 2_200, attempt: 1 },
        { type: 'progress', now: 2_300, attempt: 99, lagS: 0 },
      ],
      r.state,
    );
    expect(late.all).toEqual([]);
    expect(view(late.state)).toMatchObject({ trying: 'hls', playing: null });
  });

  it('gives up with all_failed when the last candidate fails, and retries from the top', () => {
    let r = run([...begin, { type: 'error', now: 200, attempt: 1, reason: 'a' }, { type: 'error', now: 300, attempt: 2, reason: 'b' }, { type: 'error', now: 400, attempt: 3, reason: 'c' }]);
    expect(kinds(r.last)).toEqual(['report:failed', 'stop#3']);
    expect(view(r.state)).toMatchObject({ phase: 'error', error: 'all_failed', playing: null, trying: null });
    expect(deadline(r.state)).toBe(400 + DEFAULT_OPTIONS.retryInitialMs);
    r = run(
      [
        { type: 'tick', now: 5_400 },
        { type: 'plan', now: 5_500, candidates: WEB },
      ],
      r.state,
    );
    expect(r.steps[0]).toEqual([{ type: 'fetch_plan' }]);
    expect(started(r.last)).toEqual(['mse@a#4']);
    expect(reports(r.last)).toEqual([['chosen', 'mse', null]]);
    expect(view(r.state).error).toBe('all_failed');
  });
});

describe('climbing back to a better transport', () => {
  // mse failed at 200, hls plays from 1 000.
  const degraded: MachineEvent[] = [...begin, { type: 'error', now: 200, attempt: 1, reason: 'x' }, { type: 'first_frame', now: 1_000, attempt: 2 }];

  it('schedules a background retry after falling back', () => {
    const r = run(degraded);
    expect(r.state.climbAt).toBe(1_000 + DEFAULT_OPTIONS.climbInitialMs);
    expect(deadline(r.state)).toBe(1_000 + DEFAULT_OPTIONS.stallNoticeMs);
  });

  it('starts the better one in the hidden slot, then shows it, then stops the old one', () => {
    let r = run([...degraded, { type: 'progress', now: 15_999, attempt: 2, lagS: 1 }, { type: 'tick', now: 16_000 }]);
    expect(started(r.last)).toEqual(['mse@b#3']);
    expect(r.last.some((e) => e.type === 'show')).toBe(false);
    expect(view(r.state)).toMatchObject({ playing: 'hls', probing: 'mse', visible: 'a' });
    r = run([{ type: 'first_frame', now: 16_800, attempt: 3 }], r.state);
    expect(kinds(r.last)).toEqual(['show:b', 'stop#2', 'report:first_frame', 'report:climbed']);
    expect(reports(r.last)).toEqual([
      ['first_frame', 'mse', 800],
      ['climbed', 'hls>mse', null],
    ]);
    expect(view(r.state)).toMatchObject({ phase: 'playing', playing: 'mse', probing: null, visible: 'b' });
    expect(r.state.climbAt).toBeNull();
  });

  it('backs off 15 s, 30 s, 60 s, 60 s while the better one keeps failing', () => {
    let r = run(degraded);
    const waits: number[] = [];
    let now = 1_000;
    for (let i = 0; i < 4; i++) {
      const at = r.state.climbAt!;
      waits.push(at - now);
      // Keep the playing attempt alive while waiting.
      r = run(
        [
          { type: 'progress', now: at - 1, attempt: 2, lagS: 1 },
          { type: 'tick', now: at },
        ],
        r.state,
      );
      const probe = r.state.probe!;
      expect(probe.transport).toBe('mse');
      now = at + 100;
      r = run([{ type: 'error', now, attempt: probe.id, reason: 'still down' }], r.state);
      expect(kinds(r.last)).toEqual(['report:failed', `stop#${probe.id}`]);
    }
    expect(waits).toEqual([15_000, 30_000, 60_000, 60_000]);
    expect(view(r.state).playing).toBe('hls');
  });

  it('tries every better candidate in one round, best first', () => {
    // Playing jsmpeg (mse and hls failed).
    let r = run([
      ...begin,
      { type: 'error', now: 200, attempt: 1, reason: 'x' },
      { type: 'error', now: 300, attempt: 2, reason: 'y' },
      { type: 'first_frame', now: 500, attempt: 3 },
      { type: 'progress', now: 15_000, attempt: 3, lagS: 0 },
      { type: 'tick', now: 15_500 },
    ]);
    expect(started(r.last)).toEqual(['mse@b#4']);
    r = run([{ type: 'error', now: 15_600, attempt: 4, reason: 'x' }], r.state);
    expect(started(r.last)).toEqual(['hls@b#5']);
    r = run([{ type: 'first_frame', now: 16_000, attempt: 5 }], r.state);
    expect(reports(r.last).at(-1)).toEqual(['climbed', 'jsmpeg>hls', null]);
    // Still below mse: the next round is scheduled from the initial wait.
    expect(r.state.climbAt).toBe(16_000 + DEFAULT_OPTIONS.climbInitialMs);
  });

  it('a background attempt that shows no frame in time counts as failed', () => {
    let r = run([...degraded, { type: 'progress', now: 15_999, attempt: 2, lagS: 1 }, { type: 'tick', now: 16_000 }]);
    r = run(
      [
        { type: 'progress', now: 25_000, attempt: 2, lagS: 1 },
        { type: 'tick', now: 26_000 },
      ],
      r.state,
    );
    expect(reports(r.last)).toEqual([['failed', 'mse', 'first_frame_timeout']]);
    expect(r.state.probe).toBeNull();
    expect(r.state.climbAt).toBe(26_000 + 2 * DEFAULT_OPTIONS.climbInitialMs);
  });

  it('when the playing one fails during a climb, the better one on its way takes the foreground', () => {
    let r = run([...degraded, { type: 'progress', now: 15_999, attempt: 2, lagS: 1 }, { type: 'tick', now: 16_000 }]);
    r = run([{ type: 'error', now: 16_100, attempt: 2, reason: 'hls died' }], r.state);
    expect(kinds(r.last)).toEqual(['report:failed', 'stop#2', 'show:b', 'report:fell_back']);
    expect(view(r.state)).toMatchObject({ phase: 'starting', trying: 'mse', probing: null, visible: 'b' });
    r = run([{ type: 'first_frame', now: 16_300, attempt: 3 }], r.state);
    expect(reports(r.last)).toEqual([['first_frame', 'mse', 300]]);
  });

  it('a refreshed plan that makes a better transport available schedules a climb', () => {
    const only = [no('mse', 'sidecar_stopped'), ok('hls'), ok('jsmpeg')];
    let r = run([
      { type: 'start', now: 0 },
      { type: 'plan', now: 0, candidates: only, expiresInMs: 600_000 },
      { type: 'first_frame', now: 400, attempt: 1 },
    ]);
    expect(r.state.climbAt).toBeNull();
    expect(r.state.refreshAt).toBe(300_000);
    r = run(
      [
        { type: 'progress', now: 299_999, attempt: 1, lagS: 1 },
        { type: 'tick', now: 300_000 },
      ],
      r.state,
    );
    expect(r.last).toEqual([{ type: 'fetch_plan' }]);
    r = run([{ type: 'plan', now: 300_050, candidates: WEB, expiresInMs: 600_000 }], r.state);
    expect(r.last).toEqual([]);
    expect(r.state.climbAt).toBe(300_050 + DEFAULT_OPTIONS.climbInitialMs);
  });
});

describe('renewing the playing transport', () => {
  it('starts the same transport with the fresh URL in the hidden slot and swaps silently', () => {
    let r = run([
      ...begin,
      { type: 'first_frame', now: 500, attempt: 1 },
      { type: 'plan', now: 1_000, candidates: [{ ...ok('mse'), url: '/media/mse?fresh' }, ok('hls')] },
      { type: 'renew', now: 1_000 },
    ]);
    expect(r.last).toEqual([{ type: 'start', attempt: 2, slot: 'b', transport: 'mse', url: '/media/mse?fresh', outputId: 'o1' }]);
    r = run([{ type: 'first_frame', now: 1_300, attempt: 2 }], r.state);
    expect(kinds(r.last)).toEqual(['show:b', 'stop#1']);
    expect(view(r.state)).toMatchObject({ playing: 'mse', visible: 'b' });
  });

  it('is ignored unless something plays', () => {
    const r = run([...begin, { type: 'renew', now: 200 }]);
    expect(r.last).toEqual([]);
  });
});

describe('the feed', () => {
  const grace = DEFAULT_OPTIONS.noWriterGraceMs;

  it('shows the no-writer error over anything else once health has said so for the grace time, until a writer feeds it again', () => {
    let r = run([...begin, { type: 'feed', now: 200, missing: true }]);
    expect(view(r.state).error).toBeNull();
    expect(deadline(r.state)).toBe(200 + grace);
    r = run(
      [
        { type: 'feed', now: 5_200, missing: true },
        { type: 'tick', now: 200 + grace },
      ],
      r.state,
    );
    expect(view(r.state)).toMatchObject({ error: 'no_writer', trying: 'mse' });
    r = run(
      [
        { type: 'error', now: 9_000, attempt: 1, reason: 'x' },
        { type: 'error', now: 9_050, attempt: 2, reason: 'x' },
        { type: 'error', now: 9_100, attempt: 3, reason: 'x' },
      ],
      r.state,
    );
    expect(view(r.state).error).toBe('no_writer');
    r = run([{ type: 'feed', now: 9_200, missing: false }], r.state);
    expect(view(r.state).error).toBe('all_failed');
  });

  it('a writer that connects within the grace time never shows the message', () => {
    const r = run([...begin, { type: 'feed', now: 200, missing: true }, { type: 'feed', now: 5_200, missing: false }, { type: 'tick', now: 200 + grace }]);
    expect(view(r.state).error).toBeNull();
    expect(r.state.feedMissingSince).toBeNull();
  });
});

describe('shutdown', () => {
  it('stops both attempts and goes idle; later events do nothing', () => {
    let r = run([
      ...begin,
      { type: 'error', now: 200, attempt: 1, reason: 'x' },
      { type: 'first_frame', now: 1_000, attempt: 2 },
      { type: 'progress', now: 15_999, attempt: 2, lagS: 1 },
      { type: 'tick', now: 16_000 },
      { type: 'shutdown' },
    ]);
    expect(r.last).toEqual([
      { type: 'stop', attempt: 3 },
      { type: 'stop', attempt: 2 },
    ]);
    expect(view(r.state).phase).toBe('idle');
    expect(deadline(r.state)).toBeNull();
    r = run(
      [
        { type: 'plan', now: 20_000, candidates: WEB },
        { type: 'tick', now: 99_999 },
        { type: 'first_frame', now: 1, attempt: 3 },
      ],
      r.state,
    );
    expect(r.all).toEqual([]);
  });
});

describe('purity', () => {
  it('never changes the state it is given', () => {
    const s = run(begin).state;
    const copy = structuredClone(s);
    step(s, { type: 'error', now: 1, attempt: 1, reason: 'x' });
    step(s, { type: 'tick', now: 1e9 });
    expect(s).toEqual(copy);
  });

  const event = fc.oneof(
    fc.record({ type: fc.constant('plan' as const), candidates: fc.subarray(WEB.concat([no('webrtc', 'x')]), { minLength: 0 }) }),
    fc.record({ type: fc.constant('plan_failed' as const), notFound: fc.boolean() }),
    fc.record({ type: fc.constant('first_frame' as const), attempt: fc.integer({ min: 1, max: 12 }) }),
    fc.record({ type: fc.constant('progress' as const), attempt: fc.integer({ min: 1, max: 12 }), lagS: fc.double({ min: 0, max: 20, noNaN: true }) }),
    fc.record({ type: fc.constant('error' as const), attempt: fc.integer({ min: 1, max: 12 }), reason: fc.constant('x') }),
    fc.record({ type: fc.constant('feed' as const), missing: fc.boolean() }),
    fc.record({ type: fc.constant('renew' as const) }),
    fc.record({ type: fc.constant('tick' as const) }),
  );

  it('keeps at most two attempts running, in different slots, with the foreground one visible, never spins its timer, and stops all on shutdown', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(event, fc.integer({ min: 0, max: 20_000 })), { maxLength: 60 }), (list) => {
        let state = initialState();
        let now = 0;
        const running = new Map<number, string>();
        const apply = (e: MachineEvent) => {
          const r = step(state, e);
          state = r.state;
          for (const fx of r.effects) {
            if (fx.type === 'start') {
              expect(running.has(fx.attempt)).toBe(false);
              running.set(fx.attempt, fx.slot);
            }
            if (fx.type === 'stop') expect(running.delete(fx.attempt)).toBe(true);
          }
          expect(running.size).toBeLessThanOrEqual(2);
          expect(new Set(running.values()).size).toBe(running.size);
          if (state.current) expect(state.current.slot).toBe(state.visible);
          if (state.current && state.probe) expect(state.probe.slot).not.toBe(state.current.slot);
          const ids = [state.current?.id, state.probe?.id].filter((x) => x !== undefined).sort();
          expect([...running.keys()].sort()).toEqual(ids);
          // A tick at the deadline always moves the deadline on: the controller's timer never spins.
          const at = deadline(state);
          if (at !== null) {
            const after = deadline(step(state, { type: 'tick', now: at }).state);
            if (after !== null) expect(after).toBeGreaterThan(at);
          }
        };
        apply({ type: 'start', now });
        for (const [e, dt] of list) {
          now += dt;
          apply({ ...e, now });
        }
        apply({ type: 'shutdown' });
        expect(running.size).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
