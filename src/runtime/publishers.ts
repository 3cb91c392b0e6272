import type { Logger } from 'pino';
import { MEDIA_BACKOFF } from '../process/backoff.js';
import type { ChildHandle, ChildStatus, Supervisor } from '../process/types.js';
import { transcodeArgs, writerPublisherArgs } from './ffmpeg-args.js';
import type { PlannedOutput } from './path-plan.js';
import { startFramePump } from './frame-pump.js';
import { createOutputWatch, OUTPUT_STALL_MS, PROGRESS_ARGS, readProgress, type OutputActivity, type OutputWatch } from './output-watch.js';
import type { Placeholders } from './placeholder.js';
import type { RuntimeRegistry } from './transmission-state.js';

export interface PublisherOptions {
  supervisor: Supervisor;
  logger: Logger;
  ffmpegPath: string;
  registry: RuntimeRegistry;
  placeholders: Placeholders;
  /** `rtsp://127.0.0.1:<engine rtsp port>/<path>` */
  internalUrl: (path: string) => string;
  /** A writers publisher taking frames with no progress for this long is reported stalled. Default OUTPUT_STALL_MS. */
  outputStallMs?: number;
  now?: () => number;
}

interface PublisherCounters {
  started: number;
  stopped: number;
  frames_written: number;
  frames_skipped: number;
}

interface Running {
  handle: ChildHandle;
  planned: PlannedOutput;
  cleanup: (() => void) | null;
  /** Writers publishers only: frames in (the pump) against frames out (FFmpeg's progress). */
  watch: OutputWatch | null;
}

/** A viewer waits on a publisher that died (the OOM killer, a crash): back within a second (MEDIA_BACKOFF says why). */
const RESTART = { restart: 'on-crash', backoff: MEDIA_BACKOFF, stop: { signal: 'SIGTERM', timeoutMs: 3000 } } as const;

/** Output size and rate of a writers output: writers send any size, the output has a fixed one. */
const WRITER_DEFAULTS = { width: 1280, height: 720, fps: 15 };

/**
 * One FFmpeg publisher per output that needs encoding (a transcode of a camera, or the frames of
 * writers), started and stopped by the runtime as demand comes and goes.
 */
export function createPublishers({ supervisor, logger, ffmpegPath, registry, placeholders, internalUrl, outputStallMs = OUTPUT_STALL_MS, now = Date.now }: PublisherOptions) {
  const running = new Map<string, Running>();
  const counters: PublisherCounters = { started: 0, stopped: 0, frames_written: 0, frames_skipped: 0 };

  /**
   * Passes the selected writer's frames on as they arrive; when none has arrived for about a frame
   * interval it repeats the last one or sends the placeholder, so the stream never stalls.
   */
  function startPump(entry: Running, fps: number, width: number, height: number) {
    const state = registry.ensure(entry.planned.transmission_id);
    const pump = startFramePump({
      state,
      read: (t) => state.consume(t),
      fps,
      width,
      height,
      placeholders,
      stdin: () => {
        entry.watch?.input(); // every frame offered, written or skipped
        return entry.handle.stdin();
      },
      counters,
      now,
      onPlaceholderError: (err) => logger.warn({ err, path: entry.planned.path }, 'placeholder render failed'),
    });
    entry.cleanup = pump.stop;
  }

  async function stop(path: string): Promise<void> {
    const entry = running.get(path);
    if (!entry) return;
    running.delete(path);
    entry.cleanup?.();
    // FFmpeg reading a pipe ignores SIGTERM until input comes; end of input makes it finish cleanly.
    entry.handle.stdin()?.end();
    await entry.handle.stop();
    counters.stopped++;
    logger.info({ path }, 'publisher stopped');
  }

  return {
    counters,
    isRunning: (path: string) => running.has(path),
    paths: () => [...running.keys()],
    status: (path: string): ChildStatus | null => running.get(path)?.handle.status() ?? null,
    /** Output activity of a running writers publisher (null for others): is it producing anything? */
    activity: (path: string): OutputActivity | null => running.get(path)?.watch?.view() ?? null,

    ensure(planned: PlannedOutput): void {
      if (running.has(planned.path)) return;
      const o = planned.output;
      const codec = o.codec === 'h265' ? 'h265' : 'h264';
      let entry: Running;
      if (planned.feed.kind === 'transcode') {
        const args = transcodeArgs(internalUrl(planned.feed.from), internalUrl(planned.path), {
          width: o.width,
          height: o.height,
          fps: o.fps,
          codec,
          bitrateKbps: o.bitrate_kbps,
          copyAudio: planned.feed.copyAudio,
        });
        entry = { planned, cleanup: null, watch: null, handle: supervisor.start({ name: `publisher:${planned.path}`, command: ffmpegPath, args, ...RESTART }) };
      } else if (planned.feed.kind === 'writers') {
        const size = { width: o.width ?? WRITER_DEFAULTS.width, height: o.height ?? WRITER_DEFAULTS.height, fps: o.fps ?? WRITER_DEFAULTS.fps };
        // Progress on stdout: its frame count is the output (the real output goes to the engine over RTSP).
        const args = [...PROGRESS_ARGS, ...writerPublisherArgs(internalUrl(planned.path), { ...size, codec, bitrateKbps: o.bitrate_kbps })];
        const name = `publisher:${planned.path}`;
        const watch = createOutputWatch({ kind: 'publisher', name, stallMs: outputStallMs, now });
        const handle = supervisor.start({ name, command: ffmpegPath, args, stdin: 'pipe', stdout: 'pipe', ...RESTART });
        handle.onStart(() => {
          const out = handle.stdout();
          if (out) readProgress(out, () => watch.output());
        });
        entry = { planned, cleanup: null, watch, handle };
        startPump(entry, size.fps, size.width, size.height);
      } else {
        return; // the engine feeds camera pulls and aliases itself
      }
      running.set(planned.path, entry);
      counters.started++;
      logger.info({ path: planned.path, feed: planned.feed.kind }, 'publisher started');
    },

    stop,
    stopAll: () => Promise.all([...running.keys()].map(stop)).then(() => undefined),
  };
}
export type Publishers = ReturnType<typeof createPublishers>;
