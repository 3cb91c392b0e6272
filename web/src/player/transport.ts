/**
 * What every transport client has in common: `attach(video, url, callbacks)` starts playing into a
 * <video> and returns a handle whose `stop()` releases everything it opened (sockets, MediaSource,
 * players, peer connections) and empties the element. Progress is read from the element itself,
 * the same way for all transports (`watchVideo`).
 */
export interface TransportCallbacks {
  /** The first decoded frame is on screen (`currentTime` moved). */
  onFirstFrame(): void;
  /** `currentTime` moved again; `lagS`: seconds behind the buffered end. At most every `PROGRESS_EVERY_MS`. */
  onProgress(lagS: number): void;
  /** The transport cannot go on; `reason` is for playback events and diagnostics, not for users. */
  onError(reason: string): void;
  /** Media bytes arrived (for the stats overlay's bitrate). */
  onBytes?(n: number): void;
}

export interface TransportHandle {
  stop(): void;
  /** Jumps to the live edge (the buffer grew). */
  seekLive(): void;
  /** Takes a fresh media token without restarting; absent when the transport cannot (the machine then renews). */
  updateUrl?(url: string): void;
  /** A detail for diagnostics and `data-hls-engine` (e.g. `hlsjs` or `native`). */
  detail?: string;
  /** Seconds behind live as the transport itself knows it (hls.js, WebRTC's jitter buffer); absent: the buffered end tells. */
  latencyS?(): number | null;
}

export type Attach = (video: HTMLVideoElement, url: string, callbacks: TransportCallbacks) => TransportHandle;

/** Progress is reported this often at most: the machine's timers count seconds, not frames. */
const PROGRESS_EVERY_MS = 500;

/** How far behind the buffered end `seekLive` lands: a little margin so playback does not starve at once. */
const LIVE_MARGIN_S = 0.3;

export const bufferedEnd = (video: HTMLVideoElement): number | null => (video.buffered.length ? video.buffered.end(video.buffered.length - 1) : null);

export function seekToLiveEdge(video: HTMLVideoElement): void {
  const end = bufferedEnd(video);
  if (end !== null && end - LIVE_MARGIN_S > video.currentTime) video.currentTime = end - LIVE_MARGIN_S;
}

/** Starts playback, ignoring the rejection a stop() during play() causes. */
export function play(video: HTMLVideoElement): void {
  video.play().catch(() => undefined);
}

/** Leaves a <video> empty (transparent again, so the still underneath shows) and releases its decoder. */
export function emptyVideo(video: HTMLVideoElement): void {
  video.pause();
  video.srcObject = null;
  video.removeAttribute('src');
  video.load();
}

/**
 * Reads first frame, progress and media errors from the element. Also steps over the gap when the
 * first buffered range starts after `currentTime` (live fMP4/TS streams rarely start at 0, and the
 * element would wait there forever).
 */
export function watchVideo(video: HTMLVideoElement, cb: TransportCallbacks, now: () => number = () => performance.now()): { stop(): void } {
  let last = video.currentTime;
  let first = true;
  let reportedAt = -Infinity;
  const onTime = () => {
    const t = video.currentTime;
    if (t <= last) return;
    last = t;
    if (first) {
      first = false;
      cb.onFirstFrame();
      return;
    }
    const at = now();
    if (at - reportedAt < PROGRESS_EVERY_MS) return;
    reportedAt = at;
    const end = bufferedEnd(video);
    cb.onProgress(end === null ? 0 : Math.max(0, end - t));
  };
  const onData = () => {
    if (video.buffered.length && video.currentTime < video.buffered.start(0)) video.currentTime = video.buffered.start(0);
    if (video.paused) play(video);
  };
  const onError = () => cb.onError(`media_error_${video.error?.code ?? 0}${video.error?.message ? `: ${video.error.message}` : ''}`);
  video.addEventListener('timeupdate', onTime);
  video.addEventListener('loadeddata', onData);
  video.addEventListener('progress', onData);
  video.addEventListener('error', onError);
  return {
    stop() {
      video.removeEventListener('timeupdate', onTime);
      video.removeEventListener('loadeddata', onData);
      video.removeEventListener('progress', onData);
      video.removeEventListener('error', onError);
    },
  };
}
