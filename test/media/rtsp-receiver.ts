/**
 * The "engine RTSP role" for tests where MediaMTX cannot run: an FFmpeg in RTSP listen mode on 127.0.0.1
 * that ACCEPTS one publisher (ANNOUNCE/RECORD) and decodes what it receives to rgb24, so a test sees every
 * frame (average colour, size, pts) as it arrives. It cannot serve readers (FFmpeg refuses DESCRIBE in
 * listen mode); see rtsp-broker.ts for publisher-in, readers-out.
 */
import { classifyColor, type ColorClass } from './frames.js';
import { startDecoder, fpsFromPts, type DecodedFrame, type FrameDecoder, type Rgb } from './decoder.js';
import { isTcpListening } from './proc.js';
import { freePort, LOOPBACK } from '../support/ports.js';
import { Changes, sleep, waitFor } from '../support/wait.js';

export interface RtspReceiverOptions {
  /** Default: a free port. */
  port?: number;
  /** Path the publisher must use, e.g. `cam/front/main` or `/live` (leading slash optional). */
  path: string;
  /**
   * After a publisher disconnects, listen again on the same port for the next one (default true). Frames of
   * all publishers go to the same list; there is a short gap (~0.1-0.3 s) while FFmpeg restarts.
   */
  relisten?: boolean;
  /** Bound on waiting for FFmpeg to listen (default 5 s). */
  readyTimeoutMs?: number;
  /** Keep the pixels of the latest frame (default true). */
  keepLastPixels?: boolean;
}

export interface RtspReceiver {
  /** rtsp://127.0.0.1:port/path: where the publisher sends (`ffmpeg ... -f rtsp <url>`). */
  url: string;
  port: number;
  path: string;
  /** Every frame received so far, from all publishers, in order of arrival. */
  frames(): readonly DecodedFrame[];
  /** Resolves once `n` frames in total have arrived (with pts); rejects after `timeoutMs`. */
  waitForFrames(n: number, timeoutMs: number): Promise<readonly DecodedFrame[]>;
  /** Resolves with the first frame whose average colour classifies as `color` (searching from frame `from`). */
  waitForColor(color: ColorClass, timeoutMs: number, from?: number): Promise<DecodedFrame>;
  /** Average colour of the latest frame. */
  latest(): Rgb | undefined;
  /** Latest frame with its rgb24 pixels (unless keepLastPixels is false). */
  latestFrame(): (DecodedFrame & { pixels?: Buffer }) | undefined;
  /** Size of what the current (or last) publisher sends, from FFmpeg's stream line. */
  size(): { width: number; height: number } | undefined;
  /** Waits for the size of the current publisher (after a re-listen: of the next one). */
  waitForSize(timeoutMs: number): Promise<{ width: number; height: number }>;
  /** Codec of the current (or last) publisher as FFmpeg names it (h264, hevc, ...). */
  codec(): string | undefined;
  /** Frame rate from pts over the frames of the current listener's publisher (NaN with fewer than 2 frames). */
  fps(): number;
  /**
   * Resolves once FFmpeg listens for a publisher (at start, and again after a publisher left when
   * `relisten` is on). Start the next publisher after this, or it may hit the gap and be refused.
   */
  waitUntilListening(timeoutMs: number): Promise<void>;
  /**
   * Paths publishers used that differ from `path` (FFmpeg accepts them anyway and only warns), e.g.
   * `['/cam/other']`. Empty when every publisher used the expected path.
   */
  wrongPaths(): readonly string[];
  /** Publishers that sent at least one frame or stream header so far. */
  publishers(): number;
  /** FFmpeg's stderr tail of the current listener. */
  stderrTail(): string;
  /** Stops listening and waits for FFmpeg to exit. Idempotent. */
  stop(): Promise<void>;
}

async function listenOnce(
  port: number,
  path: string,
  readyTimeoutMs: number,
  onFrame: (f: DecodedFrame) => void,
  keepLastPixels: boolean,
  onStderrLine: (line: string) => void,
): Promise<FrameDecoder> {
  const url = `rtsp://${LOOPBACK}:${port}/${path}`;
  const dec = startDecoder(
    {
      input: url,
      // listen_timeout bounds how long a listener waiting for a publisher lingers if its test worker was
      // killed (stop() and execa's cleanup handle every other case).
      inputArgs: ['-rtsp_flags', 'listen', '-listen_timeout', '120'],
      fastProbe: true,
      keepLastPixels,
      onFrame,
      onStderrLine,
    },
    'rtsp-receiver',
  );
  try {
    // Connecting would consume FFmpeg's single accept(), so look at the socket table instead.
    await waitFor(`rtsp receiver listening on ${port}`, () => isTcpListening(port), readyTimeoutMs, {
      intervalMs: 15,
      abort: () => (dec.process.hasExited() ? `ffmpeg exited\n${dec.process.stderrTail()}` : undefined),
    });
  } catch (e) {
    await dec.stop();
    throw e;
  }
  return dec;
}

export async function startRtspReceiver(opts: RtspReceiverOptions): Promise<RtspReceiver> {
  const path = opts.path.replace(/^\/+/, '');
  const readyTimeoutMs = opts.readyTimeoutMs ?? 5_000;
  const keepLastPixels = opts.keepLastPixels ?? true;
  const all: DecodedFrame[] = [];
  const changes = new Changes();
  const onFrame = (f: DecodedFrame) => {
    all.push(f);
    changes.notify();
  };
  const wrongPaths: string[] = [];
  // FFmpeg accepts any path in listen mode and only warns about it.
  const onStderrLine = (line: string) => {
    const m = /Path (\S+) differs from expected/.exec(line);
    if (m) wrongPaths.push(m[1]!);
  };

  let port = opts.port ?? 0;
  let dec: FrameDecoder | undefined;
  for (let attempt = 0; !dec; attempt++) {
    const p = opts.port ?? (await freePort());
    try {
      dec = await listenOnce(p, path, readyTimeoutMs, onFrame, keepLastPixels, onStderrLine);
      port = p;
    } catch (e) {
      // Another process may have taken the port between freePort() and FFmpeg's bind: try another.
      if (opts.port !== undefined || attempt >= 3) throw e;
    }
  }

  let current: FrameDecoder = dec;
  const sessions: FrameDecoder[] = [dec];
  let stopped = false;
  let relistening: Promise<void> | undefined;
  let relistenFailure: string | undefined;

  const relisten = async () => {
    for (let attempt = 0; attempt < 5 && !stopped; attempt++) {
      try {
        const next = await listenOnce(port, path, readyTimeoutMs, onFrame, keepLastPixels, onStderrLine);
        if (stopped) {
          await next.stop();
          return;
        }
        current = next;
        sessions.push(next);
        watch(next);
        return;
      } catch (e) {
        relistenFailure = String(e);
        await sleep(100);
      }
    }
  };
  const watch = (d: FrameDecoder) => {
    void d.exited.then(() => {
      changes.notify();
      if (stopped || opts.relisten === false) return;
      relistening = relisten().finally(() => changes.notify());
    });
  };
  watch(dec);

  const abort = () =>
    relistenFailure
      ? ` (listening again failed: ${relistenFailure})`
      : opts.relisten === false && current.process.hasExited()
        ? ` (receiver ended after its publisher left)\n${current.process.stderrTail()}`
        : undefined;

  /** The newest session for which `get` gives a value (the current publisher's, else the last one's). */
  const newest = <T>(get: (d: FrameDecoder) => T | undefined): T | undefined => {
    for (let i = sessions.length - 1; i >= 0; i--) {
      const v = get(sessions[i]!);
      if (v !== undefined) return v;
    }
    return undefined;
  };

  const url = `rtsp://${LOOPBACK}:${port}/${path}`;
  return {
    url,
    port,
    path,
    frames: () => all,
    async waitForFrames(n, timeoutMs) {
      await changes
        .wait(`receiver ${url}: waiting for ${n} frames (have ${all.length})`, () => all.length >= n, timeoutMs, abort)
        .catch((e: unknown) => {
          throw new Error(`${(e as Error).message}\n${current.process.stderrTail()}`, { cause: e });
        });
      // pts comes from FFmpeg's stderr, a moment after the pixels at most.
      await waitFor('pts of received frames', () => all.slice(0, n).every((f) => !Number.isNaN(f.pts)), 1_000).catch(() => {});
      return all.slice(0, n);
    },
    async waitForColor(color, timeoutMs, from = 0) {
      let found: DecodedFrame | undefined;
      let next = from;
      const scan = () => {
        for (; next < all.length && !found; next++) if (classifyColor(all[next]!.avg) === color) found = all[next];
        return found !== undefined;
      };
      await changes.wait(`receiver ${url}: waiting for a ${color} frame`, scan, timeoutMs, abort).catch((e: unknown) => {
        throw new Error(`${(e as Error).message} (latest ${String(all[all.length - 1]?.avg)}, ${all.length} frames)`, { cause: e });
      });
      return found!;
    },
    latest: () => all[all.length - 1]?.avg,
    latestFrame: () => newest((d) => d.latest()),
    size: () => newest((d) => d.size()),
    waitForSize(timeoutMs) {
      return waitFor(`receiver ${url}: waiting for a publisher's stream size`, () => current.size(), timeoutMs, { abort });
    },
    codec: () => newest((d) => d.codec()),
    fps: () => fpsFromPts(current.frames()),
    async waitUntilListening(timeoutMs) {
      await waitFor(`receiver ${url}: listening for a publisher`, async () => !current.process.hasExited() && (await isTcpListening(port)), timeoutMs, { intervalMs: 15, abort });
    },
    wrongPaths: () => wrongPaths,
    publishers: () => sessions.filter((d) => d.codec() !== undefined || d.frames().length > 0).length,
    stderrTail: () => current.process.stderrTail(),
    async stop() {
      stopped = true;
      await current.stop();
      // A re-listen may have been starting while we stopped the old one: it stops what it started.
      await relistening;
      await Promise.all(sessions.map((d) => d.stop()));
    },
  };
}
