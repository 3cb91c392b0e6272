import type { PlayContext } from '../../../src/api/contract.js';

/** The contract between the player and the views that place it (grid, fullscreen, settings). */

export interface PlayerProps {
  transmissionId: string;
  context: PlayContext;
  /** False when the view hides the tile (another page, a closed panel): the player stops and stops heartbeating. */
  active?: boolean;
  /** Diagnostics (chosen transport, warnings, timings) are drawn only when asked for. */
  showDiagnostics?: boolean;
  /** The live stats overlay (transport, resolution, fps, bitrate, latency, frames, fallback history) over the picture. */
  showStats?: boolean;
}
