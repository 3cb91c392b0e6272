import * as v from 'valibot';
import { bestEligible, isFresh, selectWriter, type FallbackReason, type Selection, type WriterView } from './arbitration.js';

/**
 * TransmissionRuntimeState: the writers of one transmission, their latest frame each, and the
 * arbitration result (see arbitration.ts for the selection rules).
 *
 * Memory: only the LATEST frame of each writer is kept. A writer faster than its consumer, or a
 * consumer that stalls, never makes anything buffer: the newer frame replaces the older one.
 *
 * Counters per writer:
 * - `frames_received`: every frame `update()` got from that writer.
 * - `dropped`: frames that were replaced before the consumer took them, counted only when somebody
 *   actually wanted them: the writer was the selected one and a consumer (the publisher tick, via
 *   `consume()`) had polled within the last `staleAfterMs`. Frames of writers that are not
 *   selected, or pushed while no publisher runs (no demand), are not drops: nobody asked for them.
 *   So `dropped` > 0 means "the writer sends faster than the publisher's fps" (harmless, expected
 *   with a 30 fps writer and a 10 fps output) or "the publisher tick is late" (a problem).
 * - `frames_refused`: frames that failed the JPEG check (jpeg.ts) and never reached the state; with
 *   `last_refusal` (why, and how long ago). A refused frame shows the writer alive (`last_seen`),
 *   like a heartbeat, but never makes it fresh: a writer sending only garbage goes stale.
 * `frame()` only peeks (stills, JSMpeg sessions); `consume()` is the one reader that marks the
 * frame taken. Every frame gets a transmission-wide sequence number (`seq`) so any reader can tell
 * a new frame from a repeat without consuming it.
 *
 * Health:
 * - `selected_writer_id`: the writer arbitration picked (whose frames are published). During the
 *   sticky grace after a close it may be a closed writer still showing its last, fresh frame.
 * - `active_writer_id`: the best open & fresh writer by priority (then earliest opened), i.e. what
 *   arbitration would pick with no stickiness. It differs from the selected one exactly while the
 *   sticky window holds a switch back (a higher writer proving itself, or a closed writer's grace).
 *   Null when no writer is open and fresh.
 * - `fallback_reason`: why the placeholder shows (null while a writer is selected).
 * - `frame_age_ms`: age of the selected writer's latest frame (null with no selection).
 */

export interface RuntimeOptions {
  /** How long a switch between writers is held back (see arbitration.ts). */
  stickyWindowMs: number;
  /** A frame older than this is stale; a writer without a fresh frame is not eligible. */
  staleAfterMs: number;
}

export interface FrameView {
  /** The selected writer's latest frame, or null when the placeholder must show. */
  jpeg: Buffer | null;
  writerId: string | null;
  ageMs: number | null;
  /** Null exactly when `jpeg` is set. */
  reason: FallbackReason | null;
  /** Transmission-wide sequence number of that frame (0 with no frame): a new number is a new frame. */
  seq: number;
}

interface WriterHealth {
  id: string;
  priority: number;
  state: 'open' | 'closed';
  /** Open and fresh. */
  fresh: boolean;
  frame_age_ms: number | null;
  /** Time since the writer's last frame or heartbeat. */
  last_seen_ms: number;
  frames_received: number;
  heartbeats: number;
  dropped: number;
  frames_refused: number;
  last_refusal: { reason: string; age_ms: number } | null;
}

export interface TransmissionHealth {
  active_writer_id: string | null;
  selected_writer_id: string | null;
  fallback_reason: FallbackReason | null;
  frame_age_ms: number | null;
  /** How long the current selection (or the placeholder) has lasted. */
  selected_for_ms: number;
  /** Changes of the selected writer from one writer to another since the state was created. */
  switches: number;
  writers: WriterHealth[];
}

interface WriterRecord {
  id: string;
  priority: number;
  state: 'open' | 'closed';
  openedAt: number;
  closedAt: number | null;
  lastFrameAt: number | null;
  eligibleSince: number;
  lastSeenAt: number;
  frame: Buffer | null;
  frameSeq: number;
  consumed: boolean;
  framesReceived: number;
  heartbeats: number;
  dropped: number;
  framesRefused: number;
  lastRefusal: { reason: string; at: number } | null;
}

/** Closed writers kept for diagnostics; older ones are forgotten (a client inventing ids cannot grow memory). */
export const MAX_CLOSED_WRITERS = 16;

const view = (w: WriterRecord): WriterView => ({
  id: w.id,
  priority: w.priority,
  state: w.state,
  lastFrameAt: w.lastFrameAt,
  openedAt: w.openedAt,
  closedAt: w.closedAt,
  eligibleSince: w.eligibleSince,
});

export class TransmissionRuntimeState {
  private readonly writers = new Map<string, WriterRecord>();
  private readonly opts: () => RuntimeOptions;
  private current: string | null = null;
  private currentSince: number;
  private switchCount = 0;
  private lastSelected: string | null = null;
  private seq = 0;
  private lastConsumeAt: number | null = null;
  private readonly listeners = new Set<(writerId: string) => void>();

  constructor(
    readonly transmissionId: string,
    options: RuntimeOptions | (() => RuntimeOptions),
    private readonly now: () => number = Date.now,
  ) {
    this.opts = typeof options === 'function' ? options : () => options;
    this.currentSince = now();
  }

  /**
   * Opens (or reopens) a writer. On a writer that is already open it only changes the priority
   * (a repeated `open` message), so a reconnect-free priority change keeps its place in ties.
   */
  open(writerId: string, priority = 0, at = this.now()): void {
    if (!Number.isFinite(priority)) throw new RangeError('priority must be a finite number');
    const w = this.writers.get(writerId);
    if (w?.state === 'open') {
      w.priority = priority;
      w.lastSeenAt = at;
      return;
    }
    if (w) {
      Object.assign(w, { state: 'open', priority, openedAt: at, closedAt: null, eligibleSince: at, lastSeenAt: at });
      return;
    }
    this.writers.set(writerId, {
      id: writerId,
      priority,
      state: 'open',
      openedAt: at,
      closedAt: null,
      lastFrameAt: null,
      eligibleSince: at,
      lastSeenAt: at,
      frame: null,
      frameSeq: 0,
      consumed: true,
      framesReceived: 0,
      heartbeats: 0,
      dropped: 0,
      framesRefused: 0,
      lastRefusal: null,
    });
  }

  /** A frame from a writer; an unknown or closed writer is (re)opened with its last priority (0 when new). */
  update(writerId: string, jpeg: Buffer, at = this.now()): void {
    const w = this.reopenIfNeeded(writerId, at);
    const { staleAfterMs } = this.opts();
    if (w.frame !== null && !w.consumed && this.current === w.id && this.lastConsumeAt !== null && at - this.lastConsumeAt < staleAfterMs) {
      w.dropped += 1;
    }
    if (w.lastFrameAt === null || at - w.lastFrameAt >= staleAfterMs) w.eligibleSince = Math.max(w.eligibleSince, at);
    w.lastFrameAt = at;
    w.lastSeenAt = at;
    w.frame = jpeg;
    w.frameSeq = ++this.seq;
    w.consumed = false;
    w.framesReceived += 1;
    for (const listener of this.listeners) listener(writerId);
  }

  /** Calls `listener` after every frame, so a publisher can pass frames on as they arrive instead of sampling. */
  onFrame(listener: (writerId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** An `update` without a frame: the writer is alive. It does not make the writer fresh. */
  heartbeat(writerId: string, at = this.now()): void {
    const w = this.reopenIfNeeded(writerId, at);
    w.lastSeenAt = at;
    w.heartbeats += 1;
  }

  /** A frame that failed the JPEG check: counted with its reason; the writer's last good frame stays. */
  refuse(writerId: string, reason: string, at = this.now()): void {
    const w = this.reopenIfNeeded(writerId, at);
    w.lastSeenAt = at;
    w.framesRefused += 1;
    w.lastRefusal = { reason, at };
  }

  /** Closes a writer (a disconnect is a close). Returns false when it was not open. */
  close(writerId: string, at = this.now()): boolean {
    const w = this.writers.get(writerId);
    if (!w || w.state === 'closed') return false;
    w.state = 'closed';
    w.closedAt = at;
    this.pruneClosed();
    return true;
  }

  /** Applies arbitration at `now` and remembers the selected writer and since when. */
  select(now = this.now()): Selection {
    const { staleAfterMs, stickyWindowMs } = this.opts();
    const views = [...this.writers.values()].map(view);
    const result = selectWriter(views, this.current, now, { staleAfterMs, stickyWindowMs });
    if (result.selected !== this.current) {
      if (result.selected !== null && this.lastSelected !== null && result.selected !== this.lastSelected) this.switchCount += 1;
      if (result.selected !== null) this.lastSelected = result.selected;
      this.current = result.selected;
      this.currentSince = now;
    }
    // A closed writer's frame is useless once stale: a reopen needs a new frame to be eligible anyway.
    for (const w of this.writers.values()) {
      if (w.state === 'closed' && w.frame !== null && !isFresh(w, now, staleAfterMs)) w.frame = null;
    }
    return result;
  }

  /** The selected writer's latest frame (a peek: it does not mark the frame taken). */
  frame(now = this.now()): FrameView {
    const { selected, reason } = this.select(now);
    const w = selected === null ? undefined : this.writers.get(selected);
    if (!w?.frame || w.lastFrameAt === null) {
      return { jpeg: null, writerId: null, ageMs: null, reason: reason ?? 'writers_stale', seq: 0 };
    }
    return { jpeg: w.frame, writerId: w.id, ageMs: Math.max(0, now - w.lastFrameAt), reason: null, seq: w.frameSeq };
  }

  /** `frame()` for the publisher tick: marks the frame taken, so replacing it later is not a drop. */
  consume(now = this.now()): FrameView {
    const f = this.frame(now);
    this.lastConsumeAt = now;
    if (f.writerId !== null) {
      const w = this.writers.get(f.writerId);
      if (w) w.consumed = true;
    }
    return f;
  }

  health(now = this.now()): TransmissionHealth {
    const { selected, reason } = this.select(now);
    const { staleAfterMs } = this.opts();
    const views = [...this.writers.values()].map(view);
    const sel = selected === null ? undefined : this.writers.get(selected);
    const age = (t: number | null) => (t === null ? null : Math.max(0, now - t));
    return {
      active_writer_id: bestEligible(views, now, staleAfterMs)?.id ?? null,
      selected_writer_id: selected,
      fallback_reason: reason,
      frame_age_ms: sel ? age(sel.lastFrameAt) : null,
      selected_for_ms: Math.max(0, now - this.currentSince),
      switches: this.switchCount,
      writers: [...this.writers.values()]
        .sort((a, b) => b.priority - a.priority || a.openedAt - b.openedAt || (a.id < b.id ? -1 : 1))
        .map((w) => ({
          id: w.id,
          priority: w.priority,
          state: w.state,
          fresh: w.state === 'open' && isFresh(w, now, staleAfterMs),
          frame_age_ms: age(w.lastFrameAt),
          last_seen_ms: Math.max(0, now - w.lastSeenAt),
          frames_received: w.framesReceived,
          heartbeats: w.heartbeats,
          dropped: w.dropped,
          frames_refused: w.framesRefused,
          last_refusal: w.lastRefusal && { reason: w.lastRefusal.reason, age_ms: Math.max(0, now - w.lastRefusal.at) },
        })),
    };
  }

  /** Ids of the writers currently open. */
  openWriters(): string[] {
    return [...this.writers.values()].filter((w) => w.state === 'open').map((w) => w.id);
  }

  private reopenIfNeeded(writerId: string, at: number): WriterRecord {
    let w = this.writers.get(writerId);
    if (!w || w.state === 'closed') {
      this.open(writerId, w?.priority ?? 0, at);
      w = this.writers.get(writerId)!;
    }
    return w;
  }

  private pruneClosed(): void {
    const closed = [...this.writers.values()].filter((w) => w.state === 'closed' && w.id !== this.current);
    if (closed.length <= MAX_CLOSED_WRITERS) return;
    closed.sort((a, b) => (a.closedAt ?? 0) - (b.closedAt ?? 0));
    for (const w of closed.slice(0, closed.length - MAX_CLOSED_WRITERS)) this.writers.delete(w.id);
  }
}

const optionsSchema = v.object({
  stickyWindowMs: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(600_000)),
  staleAfterMs: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(600_000)),
});

function validateOptions(value: unknown): RuntimeOptions {
  const result = v.safeParse(optionsSchema, value);
  if (!result.success) {
    const issue = result.issues[0];
    const field = v.getDotPath(issue) ?? 'options';
    const range = field === 'stickyWindowMs' ? 'an integer from 0 to 600000' : 'an integer from 1 to 600000';
    throw new RangeError(`runtime registry: ${field} must be ${range}`);
  }
  return { stickyWindowMs: result.output.stickyWindowMs, staleAfterMs: result.output.staleAfterMs };
}

export interface RuntimeRegistryOptions extends RuntimeOptions {
  now?: () => number;
}

export interface RuntimeRegistry {
  get(transmissionId: string): TransmissionRuntimeState | undefined;
  /** The state of a transmission, created on first use. */
  ensure(transmissionId: string): TransmissionRuntimeState;
  delete(transmissionId: string): boolean;
  /** Ids of the transmissions that have a state (in creation order). */
  list(): string[];
  /** New tunables (settings changed), validated; every state sees them at once. Invalid: throws, nothing changes. */
  configure(options: Partial<RuntimeOptions>): RuntimeOptions;
  options(): RuntimeOptions;
  now(): number;
}

/** The runtime states of all transmissions, keyed by transmission id, sharing one clock and one set of tunables. */
export function createRuntimeRegistry(opts: RuntimeRegistryOptions): RuntimeRegistry {
  if (opts.now !== undefined && typeof opts.now !== 'function') throw new TypeError('runtime registry: now must be a function');
  let current = validateOptions({ stickyWindowMs: opts.stickyWindowMs, staleAfterMs: opts.staleAfterMs });
  const now = opts.now ?? Date.now;
  const states = new Map<string, TransmissionRuntimeState>();
  const getOptions = () => current;
  return {
    get: (id) => states.get(id),
    ensure(id) {
      let s = states.get(id);
      if (!s) states.set(id, (s = new TransmissionRuntimeState(id, getOptions, now)));
      return s;
    },
    delete: (id) => states.delete(id),
    list: () => [...states.keys()],
    configure(partial) {
      current = validateOptions({ ...current, ...partial });
      return current;
    },
    options: () => current,
    now: () => now(),
  };
}
