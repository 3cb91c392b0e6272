/**
 * HLS through the server's proxy. hls.js wherever MediaSource or ManagedMediaSource exists (it gives
 * error details, live sync and token renewal); the browser's own HLS only without either (iPhones
 * before iOS 17.1), or when forced.
 */
import Hls from 'hls.js';
import { base } from '../base.js';
import { browserCapabilities, type Capabilities } from './capabilities.js';
import type { HlsEngine } from './plan.js';
import { withTokenOf } from './plan.js';
import { emptyVideo, play, seekToLiveEdge, watchVideo, type Attach } from './transport.js';

/** The engine that plays HLS here, or null when this browser has none (or not the forced one). */
export function hlsEngine(forced: HlsEngine | null, caps: Capabilities = browserCapabilities()): HlsEngine | null {
  if (forced === 'native') return caps.nativeHls ? 'native' : null;
  if (caps.mse !== null && Hls.isSupported()) return 'hlsjs';
  return forced === null && caps.nativeHls ? 'native' : null;
}

export function attachHls(engine: HlsEngine): Attach {
  return engine === 'hlsjs' ? attachHlsJs : attachNative;
}

const attachHlsJs: Attach = (video, url, cb) => {
  // Every playlist and segment request carries the token it was rewritten with; after a plan
  // refresh the newest token replaces it, so a long session outlives the token's expiry.
  let latest = url;
  const hls = new Hls({
    lowLatencyMode: true,
    liveDurationInfinity: true,
    backBufferLength: 10,
    // Catches up with the live edge by playing slightly faster rather than jumping.
    maxLiveSyncPlaybackRate: 1.5,
    // MediaSource where it exists, ManagedMediaSource only where it does not: the MSE client's rule
    // (hls.js would otherwise take ManagedMediaSource on desktop Safari too).
    preferManagedMediaSource: false,
    xhrSetup: (xhr, requestUrl) => {
      const fresh = withTokenOf(requestUrl, latest, base().origin);
      if (fresh !== requestUrl) xhr.open('GET', fresh, true);
    },
  });
  let recovered = false;
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (!data.fatal) return;
    // One decoder hiccup is worth hls.js's own recovery before giving up the transport.
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !recovered) {
      recovered = true;
      hls.recoverMediaError();
      return;
    }
    cb.onError(`hls.js ${data.type}: ${data.details}`);
  });
  hls.on(Hls.Events.FRAG_LOADED, (_event, data) => cb.onBytes?.(data.payload.byteLength));
  const watch = watchVideo(video, cb);
  hls.loadSource(url);
  hls.attachMedia(video);
  play(video);
  return {
    detail: 'hlsjs',
    stop() {
      watch.stop();
      hls.destroy();
      emptyVideo(video);
    },
    seekLive() {
      const pos = hls.liveSyncPosition;
      if (pos !== null && pos > video.currentTime) video.currentTime = pos;
      else seekToLiveEdge(video);
    },
    updateUrl(next) {
      latest = next;
    },
    // hls.js measures from the playlist's live edge; 0 means it has not measured yet.
    latencyS: () => (hls.latency > 0 ? hls.latency : null),
  };
};

/** Safari fetches the playlists itself: a new token needs a new attempt (the machine renews). */
const attachNative: Attach = (video, url, cb) => {
  const watch = watchVideo(video, cb);
  video.src = url;
  play(video);
  return {
    detail: 'native',
    stop() {
      watch.stop();
      emptyVideo(video);
    },
    seekLive: () => seekToLiveEdge(video),
  };
};
