/**
 * WebRTC (WHEP) through the server's offer route: the browser's SDP offer goes to
 * `POST .../webrtc/offer` (application/sdp), which relays it to the engine and returns the answer.
 * The route relays neither trickle ICE nor teardown, so the offer waits for ICE gathering and the
 * session ends when the peer connection closes.
 */
import { emptyVideo, play, watchVideo, type Attach } from './transport.js';

/** ICE gathering on a LAN takes milliseconds; past this the offer goes with what was gathered. */
const GATHER_MS = 2_000;
/** getStats is read this often for the stats overlay's bytes and jitter-buffer delay. */
const STATS_EVERY_MS = 1_000;

export const webrtcSupported = (): boolean => typeof RTCPeerConnection !== 'undefined';

function gathered(pc: RTCPeerConnection, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === 'complete') done();
    };
    const timer = setTimeout(done, GATHER_MS);
    pc.addEventListener('icegatheringstatechange', check);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** `url` is the plan's root-relative offer route. */
export const attachWebrtc: Attach = (video, url, cb) => {
  // No STUN/TURN: the plan offers WebRTC only where the add-on's UDP port is reachable.
  const pc = new RTCPeerConnection({ iceServers: [] });
  const abort = new AbortController();
  const stream = new MediaStream();
  const watch = watchVideo(video, cb);
  const fail = (reason: string) => {
    if (!abort.signal.aborted) cb.onError(reason);
  };
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.ontrack = (ev) => {
    stream.addTrack(ev.track);
    if (video.srcObject !== stream) {
      video.srcObject = stream;
      play(video);
    }
  };
  // inbound-rtp counters are cumulative: the bytes since the last read go out, and the jitter buffer's
  // delay per emitted frame since then is how far behind the sender the picture is (network aside).
  let lastBytes = 0;
  let lastDelay = { s: 0, count: 0 };
  let latency: number | null = null;
  const statsTimer = setInterval(() => {
    pc.getStats()
      .then((report) => {
        let bytes = 0;
        const delay = { s: 0, count: 0 };
        report.forEach((r: { type: string; kind?: string; bytesReceived?: number; jitterBufferDelay?: number; jitterBufferEmittedCount?: number }) => {
          if (r.type !== 'inbound-rtp') return;
          bytes += r.bytesReceived ?? 0;
          if (r.kind === 'video') Object.assign(delay, { s: r.jitterBufferDelay ?? 0, count: r.jitterBufferEmittedCount ?? 0 });
        });
        if (bytes > lastBytes) cb.onBytes?.(bytes - lastBytes);
        lastBytes = bytes;
        if (delay.count > lastDelay.count) latency = (delay.s - lastDelay.s) / (delay.count - lastDelay.count);
        lastDelay = delay;
      })
      .catch(() => undefined);
  }, STATS_EVERY_MS);
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === 'failed') fail('webrtc_connection_failed');
  };

  (async () => {
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc, abort.signal);
    if (abort.signal.aborted) return;
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription?.sdp ?? '', signal: abort.signal });
    const text = await res.text();
    if (!res.ok) {
      fail(`webrtc_offer_${res.status}: ${text.slice(0, 200)}`);
      return;
    }
    await pc.setRemoteDescription({ type: 'answer', sdp: text });
  })().catch((e: unknown) => fail(`webrtc: ${e instanceof Error ? e.message : String(e)}`));

  return {
    stop() {
      abort.abort();
      clearInterval(statsTimer);
      watch.stop();
      pc.ontrack = null;
      pc.onconnectionstatechange = null;
      pc.close();
      emptyVideo(video);
    },
    // A peer connection plays what arrives: there is no buffer to skip.
    seekLive: () => undefined,
    latencyS: () => latency,
  };
};
