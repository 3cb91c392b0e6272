/**
 * "No viewer: no FFmpeg, no camera connection": how long after the last viewer leaves. A GStreamer
 * camera, a transcoded output of it watched over HLS through the server's proxy for a few seconds,
 * then nobody. Prints one JSON line per event (seconds after the viewer's last request) and a
 * summary line. Needs the real MediaMTX (TOPOSYNC_STREAMING_MEDIAMTX_PATH): the double pulls no camera.
 * BENCH_DEBOUNCE_S sets `demand.debounce_s` (default 15, the shipped default).
 */
import { measureIdleTimeline } from '../test/runtime/idle-timeline.js';

const debounceS = Number(process.env.BENCH_DEBOUNCE_S ?? 15);
const timeline = await measureIdleTimeline({ debounceS, onEvent: (e) => console.log(JSON.stringify({ bench: 'idle-timeline', ...e })) });
const at = (name: string) => timeline.events.find((e) => e.event === name)?.t_s ?? null;
console.log(
  JSON.stringify({
    bench: 'idle-timeline',
    debounce_s: debounceS,
    engine: process.env.TOPOSYNC_STREAMING_MEDIAMTX_PATH ? 'real mediamtx' : 'mediamtx double',
    no_ffmpeg_s: at('no_ffmpeg'),
    camera_closed_s: at('camera_closed'),
    beyond_debounce_s: Math.max(at('no_ffmpeg') ?? 0, at('camera_closed') ?? 0) - debounceS,
  }),
);
process.exit(0);
