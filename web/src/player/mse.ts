/**
 * go2rtc's MSE protocol over the server's signed WebSocket relay: send `{"type":"mse","value":"<codecs>"}`,
 * receive `{"type":"mse","value":"video/mp4; codecs=..."}`, then binary fMP4 (init segment, then
 * fragments from a keyframe on). Fragments go through an append queue (a SourceBuffer takes one
 * append at a time), and what lies well behind the playhead is removed so the buffer stays small.
 * Where MediaSource is missing (iPhone, iOS 17.1 and later) the same runs on ManagedMediaSource.
 */
import { browserCapabilities, type AudioCodec, type Capabilities, type VideoCodec } from './capabilities.js';
import { emptyVideo, play, seekToLiveEdge, watchVideo, type Attach, type TransportCallbacks, type TransportHandle } from './transport.js';

/** Codecs in go2rtc's spelling (it matches them by name, not by profile). */
const GO2RTC_VIDEO: Record<VideoCodec, string[]> = { h264: ['avc1.640029', 'avc1.64002A', 'avc1.640033'], h265: ['hvc1.1.6.L153.B0'] };
const GO2RTC_AUDIO: Record<AudioCodec, string> = { aac: 'mp4a.40.2', opus: 'opus' };

/** Seconds kept behind the playhead; older media is removed. */
const KEEP_BEHIND_S = 10;
/** Bytes waiting for the SourceBuffer beyond which the browser is not keeping up. */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;

/**
 * What the player asks go2rtc for: every video codec this browser decodes, and the output's audio
 * codec only when the plan says the output has one and the browser decodes it. Without audio the
 * request stays video only: an audio track go2rtc opened in the same buffer would make live playback
 * wait for audio data that never comes.
 */
export function mseCodecs(caps: Capabilities, audio: string | null): string {
  const video = caps.video.flatMap((c) => GO2RTC_VIDEO[c]);
  const sound = caps.audio.find((c) => c === audio);
  return [...video, ...(sound ? [GO2RTC_AUDIO[sound]] : [])].join(',');
}

export const mseSupported = (caps: Capabilities = browserCapabilities()): boolean => caps.mse !== null && caps.video.length > 0;

/** ManagedMediaSource is a MediaSource with streaming hints; TypeScript's DOM library does not have it yet. */
const mediaSourceClass = (caps: Capabilities): typeof MediaSource => {
  const g = globalThis as { MediaSource?: typeof MediaSource; ManagedMediaSource?: typeof MediaSource };
  const cls = caps.mse === 'ManagedMediaSource' ? g.ManagedMediaSource : g.MediaSource;
  if (!cls) throw new Error('mse_unavailable');
  return cls;
};

/**
 * Attaches the source to the element; returns what undoes it. ManagedMediaSource opens only with
 * remote playback (AirPlay) off or an alternative source, and takes `srcObject` where the browser
 * accepts a MediaSource there (Safari); elsewhere, and for MediaSource, an object URL.
 */
function attachSource(video: HTMLVideoElement, ms: MediaSource, managed: boolean): () => void {
  if (managed) {
    video.disableRemotePlayback = true;
    try {
      video.srcObject = ms;
      return () => undefined;
    } catch {
      // Chromium's srcObject takes a MediaStream only.
    }
  }
  const objectUrl = URL.createObjectURL(ms);
  video.src = objectUrl;
  return () => URL.revokeObjectURL(objectUrl);
}

/** MSE for an output whose audio codec the plan names (`null`: none); `caps` is this browser's unless given (tests). */
export function mseAttach(audio: string | null, caps: Capabilities = browserCapabilities()): Attach {
  return (video, url, cb) => playMse(video, url, cb, mseCodecs(caps, audio), mediaSourceClass(caps), caps.mse === 'ManagedMediaSource');
}

/** `url` is the relay's absolute ws:/wss: URL. */
function playMse(video: HTMLVideoElement, url: string, cb: TransportCallbacks, codecs: string, MS: typeof MediaSource, managed: boolean): TransportHandle {
  const ms = new MS();
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const watch = watchVideo(video, cb);
  let sb: SourceBuffer | null = null;
  const queue: Uint8Array[] = [];
  let queued = 0;
  let stopped = false;
  let quotaHit = false;

  const fail = (reason: string) => {
    if (stopped) return;
    cb.onError(reason);
  };

  const trim = () => {
    if (!sb || sb.updating || !sb.buffered.length) return;
    const cut = video.currentTime - KEEP_BEHIND_S;
    if (cut > sb.buffered.start(0) + 1) sb.remove(sb.buffered.start(0), cut);
  };

  const pump = () => {
    if (stopped || !sb || sb.updating || ms.readyState !== 'open') return;
    if (queue.length === 0) {
      trim();
      return;
    }
    const data = new Uint8Array(queued);
    let at = 0;
    for (const part of queue) {
      data.set(part, at);
      at += part.byteLength;
    }
    queue.length = 0;
    queued = 0;
    try {
      sb.appendBuffer(data);
      quotaHit = false;
    } catch (e) {
      // A full buffer once: drop what is behind the playhead and append again; twice in a row: give up.
      if (e instanceof DOMException && e.name === 'QuotaExceededError' && !quotaHit) {
        quotaHit = true;
        queue.unshift(data);
        queued = data.byteLength;
        if (sb.buffered.length) sb.remove(sb.buffered.start(0), Math.max(sb.buffered.start(0) + 0.1, video.currentTime - 1));
        return;
      }
      fail(`mse_append: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  const openBuffer = (mime: string) => {
    if (sb) return;
    if (!MS.isTypeSupported(mime)) {
      fail(`mse_codec_unsupported: ${mime}`);
      return;
    }
    try {
      sb = ms.addSourceBuffer(mime);
    } catch (e) {
      fail(`mse_source_buffer: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    sb.mode = 'segments';
    sb.addEventListener('updateend', pump);
    sb.addEventListener('error', () => fail('mse_source_buffer_error'));
    pump();
  };

  // Sent once, by whichever of the two comes last. Both may be ready before either event runs (a busy
  // page): the second handler must not ask go2rtc again.
  let requested = false;
  const sendRequest = () => {
    if (requested || ws.readyState !== WebSocket.OPEN || ms.readyState !== 'open') return;
    requested = true;
    ws.send(JSON.stringify({ type: 'mse', value: codecs }));
  };

  ms.addEventListener('sourceopen', sendRequest, { once: true });
  // ManagedMediaSource says when it wants data (`startstreaming`) and when it has enough
  // (`endstreaming`): hints for fetching a file ahead. A live stream cannot pause, so neither event
  // changes anything here: fragments are appended as they come and trimmed as usual.
  ws.onopen = sendRequest;
  ws.onmessage = (ev: MessageEvent<string | ArrayBuffer>) => {
    if (typeof ev.data === 'string') {
      let msg: { type?: unknown; value?: unknown };
      try {
        msg = JSON.parse(ev.data) as typeof msg;
      } catch {
        fail('mse_bad_message');
        return;
      }
      if (msg.type === 'mse' && typeof msg.value === 'string') openBuffer(msg.value);
      else if (msg.type === 'error') fail(`mse_server: ${String(msg.value)}`);
      return;
    }
    queue.push(new Uint8Array(ev.data));
    queued += ev.data.byteLength;
    cb.onBytes?.(ev.data.byteLength);
    if (queued > MAX_QUEUED_BYTES) {
      fail('mse_queue_overflow');
      return;
    }
    pump();
  };
  // The relay says why it closed (4503 sidecar unavailable, 4404 unknown path, 4429, 4502, 4008...).
  ws.onclose = (ev) => fail(`mse_ws_closed_${ev.code}${ev.reason ? `: ${ev.reason}` : ''}`);

  const detach = attachSource(video, ms, managed);
  play(video);

  return {
    stop() {
      stopped = true;
      watch.stop();
      ws.onmessage = null;
      ws.onclose = null;
      // Closing a socket that is still connecting makes the browser log an error: close it once open.
      if (ws.readyState === WebSocket.CONNECTING) ws.onopen = () => ws.close(1000);
      else {
        ws.onopen = null;
        ws.close(1000);
      }
      sb?.removeEventListener('updateend', pump);
      queue.length = 0;
      emptyVideo(video);
      detach();
    },
    seekLive: () => seekToLiveEdge(video),
  };
}
