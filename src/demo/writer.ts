import { access } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { SettingsDoc } from '../domain/settings.js';
import { MEDIA_BACKOFF } from '../process/backoff.js';
import type { ChildHandle, Supervisor } from '../process/types.js';
import { publisherDecision } from '../runtime/demand.js';
import { generatedFramesArgs } from '../runtime/ffmpeg-args.js';
import { createJpegSplitter } from '../runtime/jpeg.js';
import { DEFAULT_FONT_PATH, escapeFilterValue } from '../runtime/placeholder.js';
import type { RuntimeRegistry } from '../runtime/transmission-state.js';
import { DEMO_FRAMES, DEMO_TRANSMISSION_ID, DEMO_WRITER_ID, DEMO_WRITER_PRIORITY } from './pipeline.js';

export const DEMO_CHILD_NAME = 'demo:frames';

/**
 * The demo's lavfi graph (pure): FFmpeg's moving test pattern with a wall clock, so a viewer sees
 * at a glance that the picture is live. Without the font file the pattern alone (it moves too).
 */
export function demoGraph(fontPath: string | null, { width, height, fps } = DEMO_FRAMES): string {
  const parts = [`testsrc2=size=${width}x${height}:rate=${fps}`];
  if (fontPath !== null) {
    const size = Math.max(12, Math.round(height / 12));
    parts.push(
      `drawtext=fontfile=${escapeFilterValue(fontPath)}:text=${escapeFilterValue('Demo · %{localtime:%T}')}:fontsize=${size}` +
        `:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=${Math.round(size / 3)}:x=w-text_w-${size}:y=h-text_h-${size}`,
    );
  }
  return parts.join(',');
}

export interface DemoWriterOptions {
  supervisor: Supervisor;
  logger: Logger;
  ffmpegPath: string;
  registry: RuntimeRegistry;
  /** The settings document: whether the demo transmission exists and is enabled, and `streaming.demand.debounce_s`. */
  doc: () => Pick<SettingsDoc, 'transmissions' | 'streaming'>;
  /** Whether the transmission has demand now: heartbeats, primes, in-process consumers (stills, fallback sessions), engine readers. */
  wanted: (transmissionId: string) => boolean;
  /** How often demand is looked at: a still or a fallback session waits up to this long for the source to start. Default 200 ms. */
  pollMs?: number;
  /** Font of the clock; default Debian's DejaVu Sans. Missing file: no clock. */
  fontPath?: string;
  now?: () => number;
}

/**
 * The demo stream's writer: one supervised FFmpeg rendering a test pattern into JPEG frames that
 * are pushed into the runtime registry as writer `demo`, exactly like frames from an external
 * writer, so everything downstream (arbitration, health, publisher, stills, fallback sessions) is
 * the real path. Encoding nothing while nobody watches: the FFmpeg runs only while the demo
 * transmission has demand, and stops after the same debounce as a publisher (at once when the
 * transmission is removed or disabled).
 */
export function createDemoWriter({ supervisor, logger, ffmpegPath, registry, doc, wanted, pollMs = 200, fontPath = DEFAULT_FONT_PATH, now = Date.now }: DemoWriterOptions) {
  const log = logger.child({ component: 'demo' });
  let font: Promise<string | null> | null = null;
  let handle: ChildHandle | null = null;
  let frames = 0;
  let lastWantedAt: number | null = null;
  let timer: NodeJS.Timeout | null = null;
  let polling: Promise<void> | null = null;
  let closed = false;

  async function start(): Promise<void> {
    if (handle) return;
    const fontFile = await (font ??= access(fontPath).then(
      () => fontPath,
      () => {
        log.warn({ font: fontPath }, 'demo font not found: the demo shows no clock');
        return null;
      },
    ));
    if (closed) return;
    const h = supervisor.start({
      name: DEMO_CHILD_NAME,
      command: ffmpegPath,
      args: generatedFramesArgs(demoGraph(fontFile)),
      stdout: 'pipe',
      restart: 'on-crash',
      // Viewers of the demo wait on it, and a lavfi graph is cheap to start again (MEDIA_BACKOFF).
      backoff: MEDIA_BACKOFF,
      stop: { signal: 'SIGTERM', timeoutMs: 2000 },
    });
    handle = h;
    // Open before the first frame: viewers see "starting", not "no writer", while FFmpeg starts.
    registry.ensure(DEMO_TRANSMISSION_ID).open(DEMO_WRITER_ID, DEMO_WRITER_PRIORITY);
    h.onStart(() => {
      const feed = createJpegSplitter((jpeg) => {
        h.markHealthy();
        frames++;
        registry.ensure(DEMO_TRANSMISSION_ID).update(DEMO_WRITER_ID, jpeg);
      });
      h.stdout()?.on('data', feed);
    });
    log.info({ transmission_id: DEMO_TRANSMISSION_ID }, 'demo frames started');
  }

  async function stop(): Promise<void> {
    const h = handle;
    if (!h) return;
    handle = null;
    await h.stop();
    registry.get(DEMO_TRANSMISSION_ID)?.close(DEMO_WRITER_ID);
    log.info({ transmission_id: DEMO_TRANSMISSION_ID, frames }, 'demo frames stopped');
  }

  async function poll(): Promise<void> {
    const d = doc();
    const t = d.transmissions.find((x) => x.id === DEMO_TRANSMISSION_ID);
    if (!t?.enabled) {
      lastWantedAt = null;
      return stop();
    }
    const decision = publisherDecision({ wanted: wanted(t.id), lastWantedAt, now: now(), debounceMs: d.streaming.demand.debounce_s * 1000 });
    lastWantedAt = decision.lastWantedAt;
    return decision.run ? start() : stop();
  }

  /** One poll at a time: a slow stop never overlaps the next start. */
  function tick(): void {
    if (polling || closed) return;
    polling = poll()
      .catch((err: unknown) => log.error({ err }, 'demo writer poll failed'))
      .finally(() => {
        polling = null;
      });
  }

  return {
    /** True for the transmission the demo feeds: its frames come only on demand (a still must ask and wait). */
    feeds: (transmissionId: string) => transmissionId === DEMO_TRANSMISSION_ID,
    running: () => handle !== null,
    frames: () => frames,
    start(): void {
      timer ??= setInterval(tick, pollMs);
    },
    /** Stops polling and the FFmpeg; resolves once it is gone. */
    async close(): Promise<void> {
      closed = true;
      if (timer) clearInterval(timer);
      timer = null;
      await polling;
      await stop();
    },
  };
}
export type DemoWriter = ReturnType<typeof createDemoWriter>;
