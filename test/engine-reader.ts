/**
 * What a publisher sends into the engine, as a test sees it come back out. Against the real MediaMTX
 * an FFmpeg reader pulls the path from the engine's RTSP listener (dialling again while the path has
 * no publisher: MediaMTX answers 404 then). The MediaMTX double has no RTSP server, so there an FFmpeg
 * receiver listens on the engine's RTSP port in its place and takes the publisher itself
 * (test/media/rtsp-receiver.ts). Either way the test reads the same frames.
 *
 * One difference a test must allow for: the real engine counts this reader as a reader of the path,
 * which is demand; the stand-in receiver is not. `countsAsReader` says which.
 */
import { REAL_ENGINES } from './engines.js';
import { classifyColor, type ColorClass } from './media/frames.js';
import { fpsFromPts, startDecoder, type DecodedFrame, type FrameDecoder } from './media/decoder.js';
import { Changes, sleep, waitFor } from './support/wait.js';
import { LOOPBACK } from './support/ports.js';
import { startRtspReceiver, type RtspReceiver } from './media/rtsp-receiver.js';

export type EngineReader = Pick<RtspReceiver, 'url' | 'frames' | 'waitForFrames' | 'waitForColor' | 'latest' | 'size' | 'waitForSize' | 'fps' | 'stop'> & {
  /** True against the real engine: this reader keeps the path demanded while it reads. */
  countsAsReader: boolean;
  /** Paths a publisher used other than the expected one (the stand-in receiver accepts any; the real engine serves only the path read, so none). */
  wrongPaths(): readonly string[];
};

/** On the reader's command line (and in the engine's log): how a test tells it from the server's FFmpeg processes. */
export const READER_AGENT = 'toposync-test-engine-reader';

export async function readEnginePath(opts: { port: number; path: string }): Promise<EngineReader> {
  if (!REAL_ENGINES.mediamtx) return { ...(await startRtspReceiver(opts)), countsAsReader: false };
  const url = `rtsp://${LOOPBACK}:${opts.port}/${opts.path.replace(/^\/+/, '')}`;
  const all: DecodedFrame[] = [];
  const changes = new Changes();
  let current: FrameDecoder | undefined;
  let stopped = false;
  const dial = () => {
    const dec = startDecoder({ input: url, inputArgs: ['-user_agent', READER_AGENT], transport: 'tcp', onFrame: (f) => (all.push(f), changes.notify()) }, 'engine-reader');
    current = dec;
    void dec.exited.then(async () => {
      // No publisher yet (404), or it left: dial again, as a player would.
      if (stopped) return;
      await sleep(200);
      if (!stopped) dial();
    });
  };
  dial();
  const tail = () => current?.process.stderrTail() ?? '';
  return {
    url,
    countsAsReader: true,
    frames: () => all,
    async waitForFrames(n, timeoutMs) {
      await changes
        .wait(`engine reader ${url}: waiting for ${n} frames (have ${all.length})`, () => all.length >= n, timeoutMs)
        .catch((e: unknown) => {
          throw new Error(`${(e as Error).message}\n${tail()}`, { cause: e });
        });
      await waitFor('pts of read frames', () => all.slice(0, n).every((f) => !Number.isNaN(f.pts)), 1_000).catch(() => {});
      return all.slice(0, n);
    },
    async waitForColor(color: ColorClass, timeoutMs: number, from = 0) {
      let found: DecodedFrame | undefined;
      let next = from;
      const scan = () => {
        for (; next < all.length && !found; next++) if (classifyColor(all[next]!.avg) === color) found = all[next];
        return found !== undefined;
      };
      await changes.wait(`engine reader ${url}: waiting for a ${color} frame`, scan, timeoutMs).catch((e: unknown) => {
        throw new Error(`${(e as Error).message} (latest ${String(all[all.length - 1]?.avg)}, ${all.length} frames)\n${tail()}`, { cause: e });
      });
      return found!;
    },
    latest: () => all[all.length - 1]?.avg,
    size: () => current?.size(),
    waitForSize: (timeoutMs) => waitFor(`engine reader ${url}: stream size`, () => current?.size(), timeoutMs),
    fps: () => fpsFromPts(current?.frames() ?? []),
    wrongPaths: () => [],
    async stop() {
      stopped = true;
      await current?.stop();
    },
  };
}
