/**
 * The player's transport state machine. Pure: no DOM, no timers, no clock. Time comes in with every
 * event (`now`, any monotonic milliseconds), and what must happen comes out as effects (data) that
 * the controller carries out. `deadline()` says when the machine next needs a `tick`.
 *
 * Policy:
 * - Try the plan's available candidates in rank order. A foreground attempt fails on a transport
 *   error, no first frame within `firstFrameMs`, no progress for `stallMs`, or too many jumps to
 *   the live edge (the buffer keeps growing); the next candidate starts and a playback event says so.
 * - Every candidate failed: a final error, and the plan is fetched again on a capped backoff.
 * - Playing something worse than the best available candidate: better ones are retried in the
 *   background (the hidden slot) on a capped backoff; the first that shows a frame is swapped in
 *   (show its slot, then stop the old attempt), so the picture never goes black.
 * - The error shown stays until a frame plays, so retries do not make it flicker.
 */
import type { PlaybackEventKind, Transport } from '../../../src/api/contract.js';

import {
  DEFAULT_OPTIONS,
  type Slot,
  type PlayerError,
  type CandidateBlock,
  type Candidate,
  type AttemptRole,
  type Attempt,
  type MachineOptions,
  type MachineState,
  type MachineEvent,
  type Effect,
  type Step,
} from './machine-types.js';
export function initialState(opts: MachineOptions = DEFAULT_OPTIONS): MachineState {
  return {
    phase: 'idle',
    candidates: [],
    current: null,
    probe: null,
    visible: 'a',
    error: null,
    blocked: null,
    feedMissingSince: null,
    feedMissing: false,
    climbAt: null,
    climbBackoffMs: opts.climbInitialMs,
    retryAt: null,
    retryBackoffMs: opts.retryInitialMs,
    refreshAt: null,
    planPending: false,
    lastFailure: null,
    nextId: 1,
  };
}

const other = (s: Slot): Slot => (s === 'a' ? 'b' : 'a');
const usable = (c: Candidate): c is Candidate & { url: string } => c.available && c.url !== null;
const rankOf = (s: MachineState, t: Transport) => s.candidates.findIndex((c) => c.transport === t);

/** Fixes the reason named when nothing is available: a transmission-wide one first, else the best-ranked candidate's. */
const WIDE_BLOCKS = ['transmission_disabled', 'no_output', 'ha_entity_uses_camera_contract'];
function blockedReason(candidates: readonly Candidate[]): CandidateBlock | null {
  const wide = candidates.find((c) => c.blocked !== null && WIDE_BLOCKS.includes(c.blocked));
  return wide?.blocked ?? candidates.find((c) => c.blocked !== null)?.blocked ?? null;
}

/** Advances the machine by one event. Never mutates `state`. */
export function step(state: MachineState, event: MachineEvent, opts: MachineOptions = DEFAULT_OPTIONS): Step {
  const m = new Run(structuredClone(state), opts);
  m.handle(event);
  return { state: m.s, effects: m.effects };
}

/** One event's run: the state being built and the effects collected. */
class Run {
  effects: Effect[] = [];
  constructor(
    public s: MachineState,
    private o: MachineOptions,
  ) {}

  handle(e: MachineEvent): void {
    switch (e.type) {
      case 'start':
        if (this.s.phase !== 'idle') return;
        this.s.phase = 'planning';
        this.fetchPlan();
        return;
      case 'plan':
        return this.onPlan(e.now, e.candidates, e.expiresInMs ?? null);
      case 'plan_failed':
        return this.onPlanFailed(e.now, e.notFound);
      case 'first_frame':
        return this.onFrame(e.now, e.attempt);
      case 'progress':
        return this.onProgress(e.now, e.attempt, e.lagS);
      case 'error':
        if (this.s.current?.id === e.attempt) this.failCurrent(e.now, e.reason);
        else if (this.s.probe?.id === e.attempt) this.failProbe(e.now, e.reason);
        return;
      case 'feed':
        if (!e.missing) Object.assign(this.s, { feedMissingSince: null, feedMissing: false });
        else this.s.feedMissingSince ??= e.now;
        return this.checkFeed(e.now);
      case 'renew':
        return this.onRenew(e.now);
      case 'tick':
        return this.onTick(e.now);
      case 'shutdown':
        this.stopAttempt(this.s.probe);
        this.stopAttempt(this.s.current);
        Object.assign(this.s, { phase: 'idle', current: null, probe: null, climbAt: null, retryAt: null, refreshAt: null, planPending: false, feedMissingSince: null, feedMissing: false });
        return;
    }
  }

  private fetchPlan(): void {
    this.s.planPending = true;
    this.effects.push({ type: 'fetch_plan' });
  }

  private report(event: PlaybackEventKind, a: Attempt, extra: { from?: Transport; ttffMs?: number; reason?: string } = {}): void {
    this.effects.push({ type: 'report', event, transport: a.transport, outputId: a.outputId, ...extra });
  }

  private stopAttempt(a: Attempt | null): void {
    if (a) this.effects.push({ type: 'stop', attempt: a.id });
  }

  private launch(c: Candidate & { url: string }, slot: Slot, role: AttemptRole, now: number): Attempt {
    const a: Attempt = {
      id: this.s.nextId++,
      transport: c.transport,
      url: c.url,
      outputId: c.outputId,
      slot,
      role,
      startedAt: now,
      firstFrameAt: null,
      lastProgressAt: now,
      stalled: false,
      liveJumps: [],
    };
    this.effects.push({ type: 'start', attempt: a.id, slot, transport: a.transport, url: a.url, outputId: a.outputId });
    return a;
  }

  private onPlan(now: number, candidates: Candidate[], expiresInMs: number | null): void {
    const s = this.s;
    if (s.phase === 'idle') return;
    s.planPending = false;
    s.candidates = candidates;
    s.refreshAt = now + (expiresInMs !== null && expiresInMs > 0 ? expiresInMs / 2 : this.o.planRefreshMs);
    if (s.phase === 'planning' || s.phase === 'error') {
      s.retryAt = null;
      const first = candidates.find(usable);
      if (!first) return this.giveUp(now, 'nothing_available', blockedReason(candidates));
      s.blocked = null;
      s.phase = 'starting';
      s.current = this.launch(first, s.visible, 'chosen', now);
      this.report('chosen', s.current);
      return;
    }
    // A refreshed plan while something runs: keep it running; a transport that became available and
    // ranks better is climbed to on the usual schedule.
    const cur = s.current;
    if (s.phase === 'playing' && cur && s.climbAt === null && s.probe === null && this.betterThan(cur).length > 0) {
      s.climbAt = now + s.climbBackoffMs;
    }
  }

  private onPlanFailed(now: number, notFound: boolean): void {
    const s = this.s;
    if (s.phase === 'idle') return;
    s.planPending = false;
    if (s.phase === 'planning' || s.phase === 'error') return this.giveUp(now, notFound ? 'not_found' : 'plan_failed', null);
    // A refresh failed while playing: the picture goes on; ask again soon, before the tokens expire.
    s.refreshAt = now + this.o.retryInitialMs;
  }

  /** A final error: nothing plays; the plan is asked again on the retry backoff. */
  private giveUp(now: number, error: PlayerError, blocked: CandidateBlock | null): void {
    const s = this.s;
    s.phase = 'error';
    s.error = error;
    s.blocked = blocked;
    s.current = null;
    s.climbAt = null;
    s.refreshAt = null;
    s.retryAt = now + s.retryBackoffMs;
    s.retryBackoffMs = Math.min(s.retryBackoffMs * 2, this.o.retryMaxMs);
  }

  /** Usable candidates ranked better than `a`'s transport, best first. */
  private betterThan(a: Attempt): (Candidate & { url: string })[] {
    const rank = rankOf(this.s, a.transport);
    const limit = rank === -1 ? this.s.candidates.length : rank;
    return this.s.candidates.slice(0, limit).filter(usable);
  }

  private onFrame(now: number, id: number): void {
    const s = this.s;
    const cur = s.current;
    if (cur?.id === id && cur.firstFrameAt === null) {
      cur.firstFrameAt = now;
      cur.lastProgressAt = now;
      s.phase = 'playing';
      s.error = null;
      s.blocked = null;
      s.retryBackoffMs = this.o.retryInitialMs;
      this.report('first_frame', cur, { ttffMs: Math.round(now - cur.startedAt) });
      this.scheduleClimb(now);
      return;
    }
    const probe = s.probe;
    if (probe?.id === id && probe.firstFrameAt === null) {
      probe.firstFrameAt = now;
      probe.lastProgressAt = now;
      // Show the new picture first, then stop the old one: no black gap.
      this.effects.push({ type: 'show', slot: probe.slot });
      this.stopAttempt(cur);
      if (probe.role !== 'renew') {
        this.report('first_frame', probe, { ttffMs: Math.round(now - probe.startedAt) });
        if (cur) this.report('climbed', probe, { from: cur.transport });
        s.climbBackoffMs = this.o.climbInitialMs;
      }
      s.current = probe;
      s.probe = null;
      s.visible = probe.slot;
      s.phase = 'playing';
      s.error = null;
      s.climbAt = null;
      this.scheduleClimb(now);
    }
  }

  /** Playing something worse than the best available: retry better ones later. */
  private scheduleClimb(now: number): void {
    const s = this.s;
    if (!s.current || s.probe) return;
    if (this.betterThan(s.current).length === 0) {
      s.climbAt = null;
      s.climbBackoffMs = this.o.climbInitialMs;
    } else {
      s.climbAt ??= now + s.climbBackoffMs;
    }
  }

  private onProgress(now: number, id: number, lagS: number): void {
    const s = this.s;
    if (s.probe?.id === id && s.probe.firstFrameAt === null) return this.onFrame(now, id);
    const cur = s.current;
    if (cur?.id !== id) return;
    if (cur.firstFrameAt === null) this.onFrame(now, id);
    cur.lastProgressAt = now;
    if (cur.stalled) {
      cur.stalled = false;
      this.report('recovered', cur);
    }
    if (lagS > this.o.maxLagS) {
      cur.liveJumps = cur.liveJumps.filter((t) => now - t < this.o.liveJumpWindowMs);
      cur.liveJumps.push(now);
      if (cur.liveJumps.length > this.o.maxLiveJumps) return this.failCurrent(now, 'buffer_growing');
      this.effects.push({ type: 'seek_live', attempt: cur.id });
    }
  }

  private onRenew(now: number): void {
    const s = this.s;
    const cur = s.current;
    if (s.phase !== 'playing' || !cur || s.probe) return;
    const c = s.candidates.find((x) => x.transport === cur.transport);
    if (!c || !usable(c)) return;
    s.probe = this.launch(c, other(s.visible), 'renew', now);
  }

  private failCurrent(now: number, reason: string): void {
    const s = this.s;
    const cur = s.current;
    if (!cur) return;
    this.report('failed', cur, { reason });
    this.stopAttempt(cur);
    s.lastFailure = { transport: cur.transport, reason };
    s.climbAt = null;
    const probe = s.probe;
    if (probe && probe.role !== 'renew') {
      // A better transport is already on its way: it takes the foreground instead of a worse one.
      this.effects.push({ type: 'show', slot: probe.slot });
      probe.role = 'fallback';
      s.current = probe;
      s.probe = null;
      s.visible = probe.slot;
      s.phase = 'starting';
      this.report('fell_back', probe, { from: cur.transport });
      return;
    }
    this.stopAttempt(probe);
    s.probe = null;
    const rank = rankOf(s, cur.transport);
    const next = s.candidates.find((c, i) => i > rank && usable(c) && c.transport !== cur.transport);
    if (!next || !usable(next)) {
      s.current = null;
      return this.giveUp(now, 'all_failed', null);
    }
    s.current = this.launch(next, s.visible, 'fallback', now);
    s.phase = 'starting';
    this.report('fell_back', s.current, { from: cur.transport });
  }

  private failProbe(now: number, reason: string): void {
    const s = this.s;
    const probe = s.probe;
    if (!probe) return;
    this.report('failed', probe, { reason });
    this.stopAttempt(probe);
    s.probe = null;
    s.lastFailure = { transport: probe.transport, reason };
    const cur = s.current;
    if (probe.role === 'renew' || !cur) return;
    // The rest of this round: better candidates ranked below the one that failed.
    const next = this.betterThan(cur).find((c) => rankOf(s, c.transport) > rankOf(s, probe.transport));
    if (next) {
      s.probe = this.launch(next, other(s.visible), 'climb', now);
      return;
    }
    s.climbBackoffMs = Math.min(s.climbBackoffMs * 2, this.o.climbMaxMs);
    s.climbAt = now + s.climbBackoffMs;
  }

  private checkFeed(now: number): void {
    const since = this.s.feedMissingSince;
    if (since !== null && now - since >= this.o.noWriterGraceMs) this.s.feedMissing = true;
  }

  private onTick(now: number): void {
    const s = this.s;
    const o = this.o;
    this.checkFeed(now);
    const cur = s.current;
    if (cur) {
      if (cur.firstFrameAt === null) {
        if (now >= cur.startedAt + o.firstFrameMs) this.failCurrent(now, 'first_frame_timeout');
      } else {
        const quiet = now - cur.lastProgressAt;
        if (quiet >= o.stallMs) {
          if (!cur.stalled) this.report('stalled', cur);
          this.failCurrent(now, 'stalled');
        } else if (quiet >= o.stallNoticeMs && !cur.stalled) {
          cur.stalled = true;
          this.report('stalled', cur);
        }
      }
    }
    const probe = s.probe;
    if (probe?.firstFrameAt === null && now >= probe.startedAt + o.firstFrameMs) this.failProbe(now, 'first_frame_timeout');
    if (s.phase === 'playing' && s.current && !s.probe && s.climbAt !== null && now >= s.climbAt) {
      s.climbAt = null;
      const target = this.betterThan(s.current)[0];
      if (target) s.probe = this.launch(target, other(s.visible), 'climb', now);
    }
    if (!s.planPending && s.retryAt !== null && now >= s.retryAt) {
      s.retryAt = null;
      this.fetchPlan();
    }
    if (!s.planPending && s.refreshAt !== null && now >= s.refreshAt) {
      s.refreshAt = null;
      this.fetchPlan();
    }
  }
}
