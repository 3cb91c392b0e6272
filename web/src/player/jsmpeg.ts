/**
 * The JSMpeg fallback: H.264 in MPEG-TS over the server's signed WebSocket, played by mpegts.js
 * (MSE). Video only, low rate: the last resort that works without the engine.
 */
import mpegtsModule from 'mpegts.js';
import { emptyVideo, play, seekToLiveEdge, watchVideo, type Attach } from './transport.js';

// The package's module.exports IS the player API, while its typings declare it as `export default`,
// which an ES module (this one) sees one level deeper: the cast states what the bundle really gets.
const mpegts = mpegtsModule as unknown as typeof mpegtsModule.default;

// mpegts.js logs every step to the console; failures reach the player through its events instead.
mpegts.LoggingControl.applyConfig({ enableAll: false, enableDebug: false, enableVerbose: false, enableInfo: false, enableWarn: false, enableError: false });

export const jsmpegSupported = (): boolean => mpegts.isSupported() && mpegts.getFeatureList().mseLivePlayback && typeof WebSocket !== 'undefined';

/** `url` is the session's absolute ws:/wss: URL. */
export const attachJsmpeg: Attach = (video, url, cb) => {
  const player = mpegts.createPlayer(
    { type: 'mpegts', isLive: true, url, hasAudio: false, hasVideo: true },
    {
      enableWorker: false,
      // Small, steady chunks arrive as FFmpeg flushes them: no stash, play as soon as data comes.
      enableStashBuffer: false,
      lazyLoad: false,
      liveBufferLatencyChasing: true,
      liveBufferLatencyMaxLatency: 1.5,
      liveBufferLatencyMinRemain: 0.3,
      autoCleanupSourceBuffer: true,
      autoCleanupMaxBackwardDuration: 10,
      autoCleanupMinBackwardDuration: 5,
    },
  );
  let stopped = false;
  const onError = (type: string, detail: string) => {
    if (!stopped) cb.onError(`mpegts ${type}: ${detail}`);
  };
  // The server closes the socket at a session limit (4429) or when its encoder dies; mpegts.js calls that the end of the stream.
  const onComplete = () => {
    if (!stopped) cb.onError('jsmpeg_stream_ended');
  };
  // mpegts.js reports its loader's speed (KB/s over the last second), not bytes: the bytes are that speed over the time since its last report.
  let statsAt: number | null = null;
  const onStats = (info: { speed?: number }) => {
    const at = performance.now();
    if (statsAt !== null && info.speed !== undefined) cb.onBytes?.((info.speed * 1024 * (at - statsAt)) / 1000);
    statsAt = at;
  };
  player.on(mpegts.Events.ERROR, onError);
  player.on(mpegts.Events.LOADING_COMPLETE, onComplete);
  player.on(mpegts.Events.STATISTICS_INFO, onStats);
  const watch = watchVideo(video, cb);
  player.attachMediaElement(video);
  player.load();
  play(video);
  return {
    stop() {
      stopped = true;
      watch.stop();
      player.off(mpegts.Events.ERROR, onError);
      player.off(mpegts.Events.LOADING_COMPLETE, onComplete);
      player.off(mpegts.Events.STATISTICS_INFO, onStats);
      player.unload();
      player.detachMediaElement();
      player.destroy();
      emptyVideo(video);
    },
    seekLive: () => seekToLiveEdge(video),
  };
};
