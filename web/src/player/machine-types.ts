/** The player machine's vocabulary: slots, phases, errors, candidates, attempts, options, state, events and effects (machine.ts moves between them). */
import type { PlaybackEventKind, Transport } from '../../../src/api/contract.js';

export type Slot = 'a' | 'b';
type Phase = 'idle' | 'planning' | 'starting' | 'playing' | 'error';

/** What the user is told; the view translates it. */
export type PlayerError =
  /** The transmission's writers input has no writer: the reference's "no pipeline is feeding" message. */
  | 'no_writer'
  /** The plan offers no transport this browser can use; `blocked` names why. */
  | 'nothing_available'
  /** Every available transport was tried and failed. */
  | 'all_failed'
  /** The plan request failed (network, server error). */
  | 'plan_failed'
  /** The plan says the transmission does not exist. */
  | 'not_found';

/** Why the controller or the plan rules a transport out (the plan's blocked reasons, and the browser's own). */
export type CandidateBlock = string;

export interface Candidate {
  transport: Transport;
  available: boolean;
  /** Root-relative media URL (HLS playlist, WebSocket path, WebRTC offer route); null when not available. */
  url: string | null;
  outputId: string | null;
  blocked: CandidateBlock | null;
}

export type AttemptRole = 'chosen' | 'fallback' | 'climb' | 'renew';

export interface Attempt {
  id: number;
  transport: Transport;
  url: string;
  outputId: string | null;
  slot: Slot;
  role: AttemptRole;
  startedAt: number;
  firstFrameAt: number | null;
  lastProgressAt: number;
  /** A `stalled` event was reported and no progress came since. */
  stalled: boolean;
  /** Times the attempt was pushed to the live edge, within `liveJumpWindowMs`. */
  liveJumps: number[];
}

export interface MachineOptions {
  /** A started transport must show a frame within this. */
  firstFrameMs: number;
  /** No progress this long: report `stalled` (the attempt keeps its chance). */
  stallNoticeMs: number;
  /** No progress this long: the attempt failed. */
  stallMs: number;
  /** After falling back, the first background retry of better transports comes this late... */
  climbInitialMs: number;
  /** ...and the wait doubles after each failed round, up to this. */
  climbMaxMs: number;
  /** After a final error (or a failed plan request), the plan is asked again this late, doubling... */
  retryInitialMs: number;
  /** ...up to this. */
  retryMaxMs: number;
  /** Seconds behind the buffered live edge that make the player jump forward. */
  maxLagS: number;
  /** More jumps than this within `liveJumpWindowMs`: the buffer keeps growing, the attempt failed. */
  maxLiveJumps: number;
  liveJumpWindowMs: number;
  /** A plan without `expiresInMs` is refreshed this often (tokens in its URLs expire). */
  planRefreshMs: number;
  /**
   * Health must say "no writer" this long before the message shows: writers that start on demand
   * (the demo) connect a moment after the first heartbeat, and health is polled every few seconds.
   */
  noWriterGraceMs: number;
}

export const DEFAULT_OPTIONS: MachineOptions = {
  firstFrameMs: 10_000,
  stallNoticeMs: 3_000,
  stallMs: 8_000,
  climbInitialMs: 15_000,
  climbMaxMs: 60_000,
  retryInitialMs: 5_000,
  retryMaxMs: 60_000,
  maxLagS: 6,
  maxLiveJumps: 3,
  liveJumpWindowMs: 60_000,
  planRefreshMs: 5 * 60_000,
  noWriterGraceMs: 8_000,
};

export interface MachineState {
  phase: Phase;
  candidates: Candidate[];
  /** The foreground attempt: in the visible slot. */
  current: Attempt | null;
  /** A background attempt in the hidden slot (a climb, or a renewal with a fresh URL). */
  probe: Attempt | null;
  visible: Slot;
  error: PlayerError | null;
  /** With `nothing_available`: the reason to name. */
  blocked: CandidateBlock | null;
  /** Since when health says nothing feeds the transmission (null while fed). */
  feedMissingSince: number | null;
  /** ...for at least `noWriterGraceMs`: the no-writer message shows. */
  feedMissing: boolean;
  climbAt: number | null;
  climbBackoffMs: number;
  retryAt: number | null;
  retryBackoffMs: number;
  refreshAt: number | null;
  /** A plan request is out (so a deadline does not ask twice). */
  planPending: boolean;
  lastFailure: { transport: Transport; reason: string } | null;
  nextId: number;
}

export type MachineEvent =
  | { type: 'start'; now: number }
  | { type: 'plan'; now: number; candidates: Candidate[]; expiresInMs?: number | null }
  | { type: 'plan_failed'; now: number; notFound: boolean }
  | { type: 'first_frame'; now: number; attempt: number }
  /** `currentTime` advanced; `lagS` is how far behind the buffered end it is. */
  | { type: 'progress'; now: number; attempt: number; lagS: number }
  | { type: 'error'; now: number; attempt: number; reason: string }
  | { type: 'feed'; now: number; missing: boolean }
  /** Replace the playing attempt with a fresh URL of the same transport (tokens that cannot be swapped in place). */
  | { type: 'renew'; now: number }
  | { type: 'tick'; now: number }
  | { type: 'shutdown' };

export type Effect =
  | { type: 'fetch_plan' }
  | { type: 'start'; attempt: number; slot: Slot; transport: Transport; url: string; outputId: string | null }
  | { type: 'stop'; attempt: number }
  | { type: 'show'; slot: Slot }
  | { type: 'seek_live'; attempt: number }
  | { type: 'report'; event: PlaybackEventKind; transport: Transport; outputId: string | null; from?: Transport; ttffMs?: number; reason?: string };

export interface Step {
  state: MachineState;
  effects: Effect[];
}

/** What the view shows, derived from the state. */
export interface MachineView {
  phase: Phase;
  /** The transport whose picture is on screen (had a first frame), or null. */
  playing: Transport | null;
  /** A foreground transport still waiting for its first frame. */
  trying: Transport | null;
  /** A background transport being tried for a climb. */
  probing: Transport | null;
  error: PlayerError | null;
  blocked: CandidateBlock | null;
  stalled: boolean;
  visible: Slot;
}
