import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { MediaScope } from './tokens.js';

/** The MSE relay's contract: its options, close codes and statistics (the relay itself: mse-relay.ts). */

export const CLOSE_VIEWER_TOO_SLOW = 4008;
export const CLOSE_UNKNOWN_PATH = 4404;
export const CLOSE_NO_REQUEST = 4408;
export const CLOSE_TOO_MANY_VIEWERS = 4429;
export const CLOSE_UPSTREAM_CLOSED = 4502;
export const CLOSE_SIDECAR_UNAVAILABLE = 4503;

/** What the relay needs of the go2rtc manager. */
interface MseSidecar {
  /** `ws://127.0.0.1:<port>/api/ws?src=<name>` when go2rtc runs and serves `path`, else null. */
  wsUrl(path: string): string | null;
  status(): { state: string; last_error: string | null; binary: { reason: string | null } };
}

export interface MseRelayOptions {
  sidecar: MseSidecar;
  /** The enabled output playing from an engine path (e.g. from `runtime.plan().outputs`), or null. */
  lookup: (path: string) => { transmission_id: string; output_id: string } | null;
  logger: Logger;
  /** `settings.streaming.mse.enabled`, read per connection. Default: always on. */
  enabled?: () => boolean;
  /** Registers demand for the output a viewer reads while connected; returns its release. */
  acquire?: (target: { transmission: string; output: string }) => () => void;
  /** Drop fragments above this many bytes queued for the browser. Default 4 MiB. */
  highWaterBytes?: number;
  /** Send again (from the next keyframe) below this. Default a quarter of `highWaterBytes`. */
  lowWaterBytes?: number;
  /** Never queue more than this for one browser (closes with 4008 instead). Default 16 MiB. */
  maxBufferedBytes?: number;
  /** A viewer that does not drain below `lowWaterBytes` this long while fragments are dropped for it is closed with 4008. Default 10 s. */
  stallTimeoutMs?: number;
  /** Concurrent MSE viewers; beyond it 4429. Default 64. */
  maxConnections?: number;
  /** go2rtc connection + handshake. Default 5 s. */
  connectTimeoutMs?: number;
  /** After sending a close frame, how long the peer gets to answer before the socket is destroyed. Default 3 s. */
  closeGraceMs?: number;
  /** A viewer that sends no valid `mse` request this long after connecting is closed with 4408. Default 30 s. */
  mseRequestTimeoutMs?: number;
  /** Largest message accepted from go2rtc (one fMP4 fragment); at most `maxBufferedBytes`. Default 16 MiB (or `maxBufferedBytes` when smaller). */
  maxUpstreamMessageBytes?: number;
  /** How long after connecting go2rtc's errors before its first `mse` answer are retried instead of passed on (a cold path starting). Default 30 s. */
  readyTimeoutMs?: number;
  /** The clock of the stall limit, the skip statistics and the ready timeout (tests drive it). Default Date.now. */
  now?: () => number;
}

export interface MseViewerStats {
  id: number;
  path: string;
  transmission_id: string;
  output_id: string;
  opened_at: string;
  state: 'connecting' | 'relaying' | 'closing' | 'closed';
  /** Bytes queued for the browser right now / the most ever queued. */
  buffered_bytes: number;
  peak_buffered_bytes: number;
  /** Fragments are being dropped for this viewer right now (it fell behind). */
  skipping: boolean;
  /** Times this viewer fell behind, fragments dropped for it, and the time spent dropping. */
  skips: number;
  dropped_fragments: number;
  skipped_ms: number;
  bytes_to_viewer: number;
  messages_to_viewer: number;
  /** go2rtc errors held back while the path was starting, each answered by asking again. */
  upstream_retries: number;
  messages_from_viewer: number;
  /** Set once closed: the code sent to the browser and why. */
  close_code: number | null;
  close_reason: string | null;
}

export interface MseRelay {
  /** Admits a viewer whose token the edge checked for this path (503 while shutting down); `open` takes its socket. */
  admit(viewer: { path: string; scope: MediaScope }): { open(ws: WebSocket): void };
  /** Closes every viewer (1001) and its go2rtc side, and waits until they are gone. */
  close(): Promise<void>;
  /** Open viewer sockets right now. */
  connections(): number;
  /** Per open viewer, plus the last closed ones (most recent last). */
  stats(): { open: MseViewerStats[]; recently_closed: MseViewerStats[] };
}
