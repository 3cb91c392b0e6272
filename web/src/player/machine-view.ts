/** What a machine state says without an event: when it next needs a `tick`, and what the view shows. */
import { DEFAULT_OPTIONS, type Attempt, type MachineOptions, type MachineState, type MachineView } from './machine-types.js';

/** The earliest time the machine needs a `tick`, or null when it waits only for events. */
export function deadline(s: MachineState, opts: MachineOptions = DEFAULT_OPTIONS): number | null {
  const times: number[] = [];
  const watch = (a: Attempt | null, foreground: boolean) => {
    if (!a) return;
    if (a.firstFrameAt === null) times.push(a.startedAt + opts.firstFrameMs);
    else if (foreground) times.push(a.lastProgressAt + (a.stalled ? opts.stallMs : opts.stallNoticeMs));
  };
  watch(s.current, true);
  watch(s.probe, false);
  if (s.feedMissingSince !== null && !s.feedMissing) times.push(s.feedMissingSince + opts.noWriterGraceMs);
  if (s.climbAt !== null && s.probe === null) times.push(s.climbAt);
  if (!s.planPending) {
    if (s.retryAt !== null) times.push(s.retryAt);
    if (s.refreshAt !== null) times.push(s.refreshAt);
  }
  return times.length ? Math.min(...times) : null;
}

export function view(s: MachineState): MachineView {
  const cur = s.current;
  return {
    phase: s.phase,
    playing: cur && cur.firstFrameAt !== null ? cur.transport : null,
    trying: cur?.firstFrameAt === null ? cur.transport : null,
    probing: s.probe?.transport ?? null,
    // No writer is the root cause whatever the transports do: the placeholder is all they can show.
    error: s.feedMissing ? 'no_writer' : s.error,
    blocked: s.feedMissing ? null : s.blocked,
    stalled: cur?.stalled ?? false,
    visible: s.visible,
  };
}
