import type { MachineView } from './machine-types.js';

/** The player's `data-state`. */
export type DataState = 'idle' | 'loading' | 'still' | 'playing' | 'error';

/**
 * idle: not running (hidden, off-screen, inactive); error: the message is up (it wins over a picture:
 * with no writer, the picture is only a placeholder); playing: a transport shows frames; still: the
 * still image shows while transports start; loading: nothing to show yet.
 */
export function dataState(running: boolean, view: MachineView | null, stillShown: boolean): DataState {
  if (!running || !view) return 'idle';
  if (view.error) return 'error';
  if (view.playing) return 'playing';
  return stillShown ? 'still' : 'loading';
}
