import { access } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Supervisor } from '../process/types.js';
import { FALLBACK_REASONS, type FallbackReason } from './arbitration.js';
import { jpegSize } from './jpeg.js';

/**
 * Explicit placeholder frames: what a stream shows instead of a picture, with the reason written on
 * it (principle 4: never a silent black or frozen image). One JPEG of exactly the asked size per
 * (width, height, reason), rendered by FFmpeg (lavfi `color` + `drawtext`) through the supervisor's
 * `run()`, then cached: publishers ask for it on every tick that has no frame.
 *
 * - Text: a bilingual title (pt-BR · en) and one detail line in each language, in Debian's DejaVu
 *   Sans. Without the font file the placeholder is the plain background (never an error). Frames
 *   too small for legible text (under 96x54) are plain too.
 * - Exact size: even sizes are 4:2:0 (what cameras and writers send); odd ones are 4:4:4, the only
 *   way a JPEG keeps an odd width or height. The rendered size is checked before caching.
 * - Concurrency: one render at a time per key (callers share the in-flight promise), at most two at
 *   once overall. A failed render is not cached, so the next call tries again.
 */

export type PlaceholderReason = FallbackReason | 'engine_missing' | 'offline';
export const PLACEHOLDER_REASONS: readonly PlaceholderReason[] = [...FALLBACK_REASONS, 'engine_missing', 'offline'];

/** The text of each placeholder: a bilingual title, then the detail in Portuguese and in English. */
const PLACEHOLDER_TEXT: Record<PlaceholderReason, { title: string; pt: string; en: string }> = {
  no_writer: { title: 'Sem sinal · No signal', pt: 'Nenhuma pipeline está alimentando esta transmissão.', en: 'No pipeline is feeding this stream.' },
  warming_up: { title: 'Iniciando · Starting', pt: 'Aguardando o primeiro quadro.', en: 'Waiting for the first frame.' },
  writers_stale: { title: 'Sinal parado · Signal stalled', pt: 'Nenhum quadro novo recebido.', en: 'No new frames are arriving.' },
  all_writers_closed: { title: 'Transmissão encerrada · Stream ended', pt: 'Todas as fontes desta transmissão fecharam.', en: 'Every writer of this stream has closed.' },
  engine_missing: { title: 'Motor indisponível · Engine unavailable', pt: 'O servidor de mídia não está em execução.', en: 'The media engine is not running.' },
  offline: { title: 'Offline', pt: 'A câmera não está respondendo.', en: 'The camera is not responding.' },
};

export const DEFAULT_FONT_PATH = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
const BACKGROUND = '0x1c1c1c';
const MAX_WIDTH = 7680;
const MAX_HEIGHT = 4320;
const MIN_SIDE = 16;
const CACHE_ENTRIES = 64;
const MAX_CONCURRENT = 2;

export interface PlaceholderOptions {
  supervisor: Pick<Supervisor, 'run'>;
  ffmpegPath?: string;
  /** Font for the text; default Debian's DejaVu Sans. Missing file: no text. */
  fontPath?: string;
  logger?: Logger;
  /** Per render. Default 15 s. */
  timeoutMs?: number;
}

export interface Placeholders {
  get(width: number, height: number, reason: PlaceholderReason): Promise<Buffer>;
  /** Entries currently cached (finished or in flight). */
  size(): number;
}

/** Escapes a value for a filter option inside a filtergraph (both levels of FFmpeg's quoting). */
export function escapeFilterValue(value: string): string {
  const optionLevel = value.replace(/[\\':]/g, '\\$&');
  return optionLevel.replace(/[\\'[\],;]/g, '\\$&');
}

/** The lavfi graph of one placeholder (pure: exported for tests and diagnostics). */
export function placeholderGraph({ width, height, reason, fontPath }: { width: number; height: number; reason: PlaceholderReason; fontPath: string | null }): string {
  const pixfmt = width % 2 === 0 && height % 2 === 0 ? 'yuvj420p' : 'yuvj444p';
  const parts = [`color=c=${BACKGROUND}:s=${width}x${height}:r=1:d=1`, `format=${pixfmt}`];
  if (fontPath !== null && width >= 96 && height >= 54) {
    const text = PLACEHOLDER_TEXT[reason];
    // DejaVu Sans averages about 0.55 em per character: size each line to fit 90% of the width.
    // eslint-disable-next-line @typescript-eslint/no-misused-spread -- code points: the texts are Portuguese and English, a glyph each
    const fit = (s: string, byHeight: number) => Math.max(6, Math.floor(Math.min(byHeight, (width * 0.9) / (0.55 * [...s].length))));
    const titleSize = fit(text.title, height / 11);
    const detailSize = Math.min(fit(text.pt, height / 22), fit(text.en, height / 22));
    const gap = Math.max(2, Math.round(height / 40));
    const line = (s: string, size: number, color: string, y: string) =>
      `drawtext=fontfile=${escapeFilterValue(fontPath)}:expansion=none:text=${escapeFilterValue(s)}:fontsize=${size}:fontcolor=${color}:x=(w-text_w)/2:y=${escapeFilterValue(y)}`;
    parts.push(
      line(text.title, titleSize, 'white', `h/2-${titleSize + gap}`),
      line(text.pt, detailSize, '0xb4b4b4', `h/2+${gap}`),
      line(text.en, detailSize, '0x8c8c8c', `h/2+${gap * 2 + detailSize}`),
    );
  }
  return parts.join(',');
}

export function createPlaceholders({ supervisor, ffmpegPath = 'ffmpeg', fontPath = DEFAULT_FONT_PATH, logger, timeoutMs = 15_000 }: PlaceholderOptions): Placeholders {
  const cache = new Map<string, Promise<Buffer>>();
  let font: Promise<string | null> | null = null;
  const fontReady = () =>
    (font ??= access(fontPath).then(
      () => fontPath,
      () => {
        logger?.warn({ font: fontPath }, 'placeholder font not found: placeholders will have no text');
        return null;
      },
    ));

  let running = 0;
  const queue: (() => void)[] = [];
  async function slot<T>(fn: () => Promise<T>): Promise<T> {
    if (running >= MAX_CONCURRENT) await new Promise<void>((resolve) => queue.push(resolve));
    running += 1;
    try {
      return await fn();
    } finally {
      running -= 1;
      queue.shift()?.();
    }
  }

  async function render(width: number, height: number, reason: PlaceholderReason): Promise<Buffer> {
    const graph = placeholderGraph({ width, height, reason, fontPath: await fontReady() });
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'lavfi', '-i', graph, '-frames:v', '1', '-q:v', '3', '-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1'];
    const result = await slot(() => supervisor.run({ name: `placeholder:${width}x${height}:${reason}`, command: ffmpegPath, args, timeoutMs, maxStdoutBytes: 16 * 1024 * 1024 }));
    if (result.exit.kind !== 'expected') {
      throw new Error(`placeholder ${width}x${height} ${reason}: ffmpeg ${result.exit.kind} (${result.stderrTail.slice(-3).join(' | ') || `code ${String(result.exit.code)}`})`);
    }
    const size = jpegSize(result.stdout);
    if (size?.width !== width || size.height !== height) {
      throw new Error(`placeholder ${width}x${height} ${reason}: ffmpeg produced ${size ? `${size.width}x${size.height}` : 'no JPEG'}`);
    }
    return result.stdout;
  }

  return {
    get(width, height, reason) {
      if (!Number.isInteger(width) || width < MIN_SIDE || width > MAX_WIDTH) {
        return Promise.reject(new RangeError(`placeholder width must be an integer from ${MIN_SIDE} to ${MAX_WIDTH}`));
      }
      if (!Number.isInteger(height) || height < MIN_SIDE || height > MAX_HEIGHT) {
        return Promise.reject(new RangeError(`placeholder height must be an integer from ${MIN_SIDE} to ${MAX_HEIGHT}`));
      }
      if (!PLACEHOLDER_REASONS.includes(reason)) return Promise.reject(new TypeError(`unknown placeholder reason "${reason}"`));
      const key = `${width}x${height}:${reason}`;
      const hit = cache.get(key);
      if (hit) {
        // Most recently used last, so the oldest entry is the first one evicted.
        cache.delete(key);
        cache.set(key, hit);
        return hit;
      }
      const p = render(width, height, reason);
      cache.set(key, p);
      p.catch((err: unknown) => {
        if (cache.get(key) === p) cache.delete(key);
        logger?.warn({ err: err instanceof Error ? err.message : String(err), key }, 'placeholder render failed');
      });
      while (cache.size > CACHE_ENTRIES) {
        const oldest = cache.keys().next().value;
        if (oldest === undefined) break;
        cache.delete(oldest);
      }
      return p;
    },
    size: () => cache.size,
  };
}
