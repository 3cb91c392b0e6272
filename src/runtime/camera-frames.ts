import type { Logger } from 'pino';
import { MEDIA_BACKOFF } from '../process/backoff.js';
import type { ChildHandle, Supervisor } from '../process/types.js';
import { cameraPublicationId } from '../domain/ids.js';
import { cameraFfconcat, frameDecoderArgs } from './ffmpeg-args.js';
import { createJpegSplitter } from './jpeg.js';
import type { CameraSourceRead } from './path-plan.js';
import { createSecretInputs, type SecretInput } from './secret-input.js';
import type { RuntimeRegistry } from './transmission-state.js';

export interface CameraFramesOptions {
  supervisor: Supervisor;
  logger: Logger;
  ffmpegPath: string;
  registry: RuntimeRegistry;
  /** Decoded frames per second: enough for stills, the fallback player and freshness in health. */
  fps: number;
  /** Frames wider than this are scaled down. */
  maxWidth: number;
  /** Where a decoder reading the camera itself finds the camera's URL (`secretInputDir(dataDir)`). */
  secretDir: string;
}

interface Decoder {
  handle: ChildHandle;
  input: string;
  fps: number;
  read: CameraSourceRead;
  frames: number;
  /** The file holding the camera's URL, for a decoder that reads the camera itself. */
  secret: SecretInput | null;
}

/**
 * The implicit camera pipeline's frames: one FFmpeg per camera source decoding a few JPEGs a second
 * into the runtime state of every transmission of that source, only while something needs them.
 * It reads the engine's path when the engine runs (the engine holds the one camera connection),
 * or the camera itself when the engine is missing (then it is that one connection). Reading the
 * camera itself, FFmpeg gets the camera's URL (credentials, and whatever its query holds) from a
 * 0600 file, never on its command line.
 */
export function createCameraFrames({ supervisor, logger, ffmpegPath, registry, fps, maxWidth, secretDir }: CameraFramesOptions) {
  if (!(fps > 0 && fps <= 30)) throw new Error('camera frames: fps must be in (0, 30]');
  const decoders = new Map<string, Decoder>();
  const secrets = createSecretInputs(secretDir);
  const writerId = (read: CameraSourceRead) => cameraPublicationId(read.camera_id, read.source_id);

  async function stop(path: string): Promise<void> {
    const d = decoders.get(path);
    if (!d) return;
    decoders.delete(path);
    await d.handle.stop();
    await d.secret?.remove();
    for (const tx of d.read.transmission_ids) registry.get(tx)?.close(writerId(d.read));
  }

  return {
    paths: () => [...decoders.keys()],
    frames: (path: string) => decoders.get(path)?.frames ?? 0,
    status: (path: string) => decoders.get(path)?.handle.status() ?? null,
    stop,

    /**
     * Starts (or, when the input or rate changed, restarts) the decoder of a camera source.
     * `rate` defaults to the configured fps; a fallback session asks for its own, higher one.
     * `input` is the engine's path, or `read.url` (the camera itself) while the engine is missing.
     */
    async ensure(read: CameraSourceRead, input: string, rate = fps): Promise<void> {
      const current = decoders.get(read.path);
      if (current?.input === input && current.fps === rate) {
        current.read = read;
        return;
      }
      if (current) await stop(read.path);
      const direct = input === read.url;
      const secret = direct ? await secrets.write(cameraFfconcat(input), '.ffconcat') : null;
      let handle: ChildHandle;
      try {
        handle = supervisor.start({
          name: `frames:${read.path}`,
          command: ffmpegPath,
          args: frameDecoderArgs(secret ? { ffconcat: secret.file } : { url: input }, rate, maxWidth),
          stdout: 'pipe',
          restart: 'on-crash',
          // Stills and fallback viewers wait on it; a camera that is down is the source's to report (MEDIA_BACKOFF).
          backoff: MEDIA_BACKOFF,
          stop: { signal: 'SIGTERM', timeoutMs: 2000 },
        });
      } catch (err) {
        await secret?.remove();
        throw err;
      }
      const decoder: Decoder = { handle, input, fps: rate, read, frames: 0, secret };
      decoders.set(read.path, decoder);
      const id = writerId(read);
      for (const tx of read.transmission_ids) registry.ensure(tx).open(id, 0);
      handle.onStart(() => {
        const feed = createJpegSplitter((jpeg) => {
          // A decoded frame proves this run works: a later kill restarts after the first delay.
          handle.markHealthy();
          decoder.frames++;
          // Each transmission keeps its own copy reference; the buffer is not reused by the splitter.
          for (const tx of decoder.read.transmission_ids) registry.ensure(tx).update(id, jpeg);
        });
        handle.stdout()?.on('data', feed);
      });
      logger.info({ path: read.path, direct }, 'camera frames started');
    },

    async stopAll(): Promise<void> {
      await Promise.all([...decoders.keys()].map(stop));
    },
  };
}
export type CameraFrames = ReturnType<typeof createCameraFrames>;
