/**
 * go2rtc's MSE protocol over the server's signed WebSocket relay: send `{"type":"mse","value":"<codecs>"}`,
 * receive `{"type":"mse","value":"video/mp4; codecs=..."}`, then binary fMP4 (init segment, then
 * fragments from a keyframe on). Fragments go through an append queue (a SourceBuffer takes one
 * append at a time), and what lies well behind the playhead is removed so the buffer stays small.
 */
import { emptyVideo, play, seekToLiveEdge, watchVideo, type Attach } from './transport.js';

/**
 * Video codecs only, in go2rtc's spelling: the player is muted, and an audio track in the same
 * buffer makes live playback wait for audio data that cameras send irregularly.
 */
const VIDEO_CODECS = ['avc1.640029', 'avc1.64002A', 'avc1.640033', 'hvc1.1.6.L153.B0'];

/** Seconds kept behind the playhead; older media is removed. */
const KEEP_BEHIND_S = 10;
/** Bytes waiting for the SourceBuffer beyond which the browser is not keeping up. */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;

const mseCodecs = (): string => VIDEO_CODECS.filter((c) => MediaSource.isTypeSupported(`video/mp4; codecs="${c}"`)).join(',');

export const mseSupported = (): boolean => typeof MediaSource !== 'undefined' && mseCodecs() !== '';

/** `url` is the relay's absolute ws:/wss: URL. */
export const attachMse: Attach = (video, url, cb) => {
  const ms = new MediaSource();
  const objectUrl = URL.createObjectURL(ms);
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
    if (!MediaSource.isTypeSupported(mime)) {
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

  const sendRequest = () => {
    if (ws.readyState === WebSocket.OPEN && ms.readyState === 'open') ws.send(JSON.stringify({ type: 'mse', value: mseCodecs() }));
  };

  ms.addEventListener('sourceopen', sendRequest, { once: true });
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
    if (queued > MAX_QUEUED_BYTES) {
      fail('mse_queue_overflow');
      return;
    }
    pump();
  };
  // The relay says why it closed (4503 sidecar unavailable, 4404 unknown path, 4429, 4502, 4008...).
  ws.onclose = (ev) => fail(`mse_ws_closed_${ev.code}${ev.reason ? `: ${ev.reason}` : ''}`);

  video.src = objectUrl;
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
      URL.revokeObjectURL(objectUrl);
    },
    seekLive: () => seekToLiveEdge(video),
  };
};
