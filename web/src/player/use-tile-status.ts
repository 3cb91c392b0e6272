import { useStore } from '../stores/use-store.js';
import { tileKey, tileStatuses, type TileStatus } from './status-store.js';
import type { PlayContext } from './types.js';

/** The status of the Player showing `transmissionId` in `context`, or null while none is mounted. */
export function useTileStatus(transmissionId: string, context: PlayContext): TileStatus | null {
  return useStore(tileStatuses)[tileKey(transmissionId, context)] ?? null;
}
