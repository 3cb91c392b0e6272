/**
 * Multi-writer arbitration of one transmission: which writer's frames the stream shows. Pure: the
 * caller (TransmissionRuntimeState) passes every writer it knows, the writer selected last time and
 * the clock; nothing here remembers anything.
 *
 * Terms (times in ms, `now` from the same clock as the writer fields):
 * - fresh: the writer has a frame and `now - lastFrameAt < staleAfterMs`. Heartbeats without a frame
 *   never make a writer fresh: "live" means fresh frames, not a connected socket.
 * - eligible: `state === 'open'` and fresh. A closed writer is ineligible (a disconnect is a close).
 * - stable: eligible, and its frames have spanned at least `stickyWindowMs` without a stale gap:
 *   `lastFrameAt - eligibleSince >= stickyWindowMs`. Measured up to the last frame, not to `now`,
 *   so the freshness tail of a writer that stopped sending does not count as proof.
 * - best: among eligible writers, the highest priority; ties go to the earliest `openedAt`, then to
 *   the smallest id (so the answer never depends on the order of the input).
 *
 * Rules, in order:
 * 1. The current writer is HELD while its last frame is fresh and it is either open, or closed for
 *    less than `stickyWindowMs` (`closedAt`): a writer that disconnects and comes back within the
 *    window (a restart, a network blip) keeps the stream, and its last frame stays on screen for
 *    that short while instead of a flip to another writer and back. The hold never outlives the
 *    frame's freshness, so a selected frame is always fresh.
 * 2. A held writer is displaced only by a writer of STRICTLY higher priority that is stable: a
 *    switch up waits until the better writer has delivered frames without a stale gap across the
 *    whole sticky window. Equal or lower priorities never displace a held writer (ties only decide a
 *    fresh choice). So two writers that alternately stall cannot make the stream flap: the one that
 *    just came back must prove itself for `stickyWindowMs` first.
 * 3. Otherwise (no current writer, it went stale, or it closed more than `stickyWindowMs` ago) the
 *    best eligible writer is selected at once, stable or not: showing a live picture beats waiting.
 * 4. No eligible writer: nothing is selected and `reason` says which placeholder to show.
 *
 * The end-to-end story: writers H (priority 10) and L (0) both fresh -> H. H closes -> H is held
 * (its last frame) for the sticky window, then L takes over; if H reconnects and sends frames within
 * the window, nothing switches. L selected and H comes back -> L keeps the stream until H has been
 * fresh for a whole sticky window, then H. Both closed -> placeholder (`all_writers_closed`).
 * A writer that stops sending frames but stays connected is dropped as soon as it goes stale:
 * `staleAfterMs` already is its gap tolerance.
 */

/** Why nothing is selected (the placeholder to show). */
export type FallbackReason =
  /** No writer was ever known for this transmission (nothing is feeding it). */
  | 'no_writer'
  /** Writers were known, and every one of them is closed (disconnected or sent `close`). */
  | 'all_writers_closed'
  /** Some writer is open, but none has a fresh frame: frames stopped coming (or never came within `staleAfterMs` of opening). */
  | 'writers_stale'
  /** Some writer is open, has not sent its first frame yet and opened less than `staleAfterMs` ago. */
  | 'warming_up';

export const FALLBACK_REASONS: readonly FallbackReason[] = ['no_writer', 'all_writers_closed', 'writers_stale', 'warming_up'];

export interface WriterView {
  id: string;
  priority: number;
  state: 'open' | 'closed';
  /** When its latest frame arrived; null before its first frame. */
  lastFrameAt: number | null;
  /** When it (last) opened. */
  openedAt: number;
  /** When it closed, for a closed writer; without it a closed writer gets no grace (rule 1). */
  closedAt?: number | null;
  /**
   * Start of its current uninterrupted run of frames (reset by a stale gap or a reopen); defaults
   * to `openedAt` (rule 2).
   */
  eligibleSince?: number | null;
}

export interface ArbitrationOptions {
  stickyWindowMs: number;
  staleAfterMs: number;
}

export interface Selection {
  selected: string | null;
  /** Null exactly when a writer is selected. */
  reason: FallbackReason | null;
}

export function isFresh(w: Pick<WriterView, 'lastFrameAt'>, now: number, staleAfterMs: number): boolean {
  return w.lastFrameAt !== null && now - w.lastFrameAt < staleAfterMs;
}

function isEligible(w: WriterView, now: number, staleAfterMs: number): boolean {
  return w.state === 'open' && isFresh(w, now, staleAfterMs);
}

/** Priority first, then the earliest opened, then the id: a total order (negative when `a` is better). */
function compareWriters(a: WriterView, b: WriterView): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.openedAt !== b.openedAt) return a.openedAt - b.openedAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The best eligible writer ignoring stickiness (what a fresh choice would pick), or null. */
export function bestEligible(writers: readonly WriterView[], now: number, staleAfterMs: number): WriterView | null {
  let best: WriterView | null = null;
  for (const w of writers) {
    if (isEligible(w, now, staleAfterMs) && (best === null || compareWriters(w, best) < 0)) best = w;
  }
  return best;
}

function isHeld(w: WriterView, now: number, { stickyWindowMs, staleAfterMs }: ArbitrationOptions): boolean {
  if (!isFresh(w, now, staleAfterMs)) return false;
  if (w.state === 'open') return true;
  return w.closedAt !== undefined && w.closedAt !== null && now - w.closedAt < stickyWindowMs;
}

function isStable(w: WriterView, stickyWindowMs: number): boolean {
  const since = w.eligibleSince ?? w.openedAt;
  return w.lastFrameAt !== null && w.lastFrameAt - since >= stickyWindowMs;
}

function fallbackReason(writers: readonly WriterView[], now: number, staleAfterMs: number): FallbackReason {
  if (writers.length === 0) return 'no_writer';
  const open = writers.filter((w) => w.state === 'open');
  if (open.length === 0) return 'all_writers_closed';
  const warming = open.some((w) => w.lastFrameAt === null && now - w.openedAt < staleAfterMs);
  return warming ? 'warming_up' : 'writers_stale';
}

export function selectWriter(writers: readonly WriterView[], current: string | null, now: number, opts: ArbitrationOptions): Selection {
  const best = bestEligible(writers, now, opts.staleAfterMs);
  const held = current === null ? undefined : writers.find((w) => w.id === current && isHeld(w, now, opts));
  if (held) {
    // Only a stable writer of strictly higher priority displaces a held one (the best of those).
    let better: WriterView | null = null;
    for (const w of writers) {
      if (w.id === held.id || w.priority <= held.priority) continue;
      if (!isEligible(w, now, opts.staleAfterMs) || !isStable(w, opts.stickyWindowMs)) continue;
      if (better === null || compareWriters(w, better) < 0) better = w;
    }
    return { selected: (better ?? held).id, reason: null };
  }
  if (best) return { selected: best.id, reason: null };
  return { selected: null, reason: fallbackReason(writers, now, opts.staleAfterMs) };
}
