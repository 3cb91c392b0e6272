/**
 * What each player shows, for the views around it (a tile's badge, a fullscreen header): keyed by
 * transmission and context, published by the Player, read with `useTileStatus`.
 */
import { createStore } from '../stores/store.js';
import type { MachineView, PlayerError } from './machine.js';
import type { PlayContext, Transport } from './types.js';

/** The player's `data-state`. */
export type DataState = 'idle' | 'loading' | 'still' | 'playing' | 'error';

export interface TileStatus {
  state: DataState;
  /** The transport on screen. */
  transport: Transport | null;
  error: PlayerError | null;
}

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

export const tileKey = (transmissionId: string, context: PlayContext) => `${transmissionId}|${context}`;

export const tileStatuses = createStore<Readonly<Record<string, TileStatus>>>({});

const same = (a: TileStatus | undefined, b: TileStatus | null) =>
  a === undefined ? b === null : b !== null && a.state === b.state && a.transport === b.transport && a.error === b.error;

/** Publishes (or, with null, removes) a tile's status; unchanged statuses do not notify. */
export function setTileStatus(key: string, status: TileStatus | null): void {
  tileStatuses.set((prev) => {
    if (same(prev[key], status)) return prev;
    const next = { ...prev };
    if (status === null) delete next[key];
    else next[key] = status;
    return next;
  });
}
