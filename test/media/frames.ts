/**
 * Frame helpers backed by the real FFmpeg: make solid JPEGs, decode any source to frames, classify colours,
 * probe streams and measure frame rates.
 */
import type { Readable } from 'node:stream';
import { averageRgb, fpsFromPts, startDecoder, type Rgb } from './decoder.js';
import { FFMPEG, FFPROBE, runToBuffer } from './proc.js';

export { averageRgb, startDecoder };
export type { Rgb } from './decoder.js';

export type ColorClass = 'red' | 'green' | 'blue' | 'black' | 'white' | 'gray' | 'other';

const jpegCache = new Map<string, Promise<Buffer>>();

/** A one-frame JPEG of a solid FFmpeg colour (`red`, `0x00ff00`, `#0000ff`, ...). Cached per (colour, size). */
export function solidJpeg(color: string, width: number, height: number): Promise<Buffer> {
  const key = `${color}|${width}x${height}`;
  let p = jpegCache.get(key);
  if (!p) {
    const c = color.startsWith('#') ? '0x' + color.slice(1) : color;
    p = runToBuffer(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `color=c=${c}:s=${width}x${height}`, '-frames:v', '1', '-f', 'mjpeg', '-q:v', '3', 'pipe:1'], {
      timeoutMs: 10_000,
    }).then((r) => {
      if (r.exitCode !== 0 || r.stdout.length < 4 || r.stdout[0] !== 0xff || r.stdout[1] !== 0xd8) {
        throw new Error(`solidJpeg(${color}, ${width}x${height}) failed: ${r.stderr}`);
      }
      return r.stdout;
    });
    p.catch(() => jpegCache.delete(key));
    jpegCache.set(key, p);
  }
  return p;
}

function isEncodedImage(b: Uint8Array): boolean {
  const jpeg = b[0] === 0xff && b[1] === 0xd8;
  const png = b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
  return jpeg || png;
}

/** Decodes a JPEG/PNG to rgb24 with FFmpeg. */
export async function decodeImage(image: Buffer): Promise<{ width: number; height: number; rgb: Buffer }> {
  const r = await runToBuffer(FFMPEG, ['-hide_banner', '-loglevel', 'info', '-nostats', '-f', 'image2pipe', '-i', 'pipe:0', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], {
    timeoutMs: 10_000,
    input: image,
  });
  const out = r.stderr.split('\n').filter((l) => /Stream #.*Video: rawvideo/.test(l));
  const m = /, (\d+)x(\d+)/.exec(out[0] ?? '');
  if (r.exitCode !== 0 || !m) throw new Error(`decodeImage failed: ${r.stderr.slice(-2000)}`);
  return { width: Number(m[1]), height: Number(m[2]), rgb: r.stdout };
}

/**
 * Average colour of a decoded frame: raw rgb24 bytes (returned at once) or an encoded JPEG/PNG
 * (decoded with FFmpeg first).
 */
export async function dominantColor(rgbOrJpeg: Uint8Array): Promise<Rgb> {
  if (isEncodedImage(rgbOrJpeg)) {
    const { rgb } = await decodeImage(Buffer.from(rgbOrJpeg));
    return averageRgb(rgb);
  }
  return averageRgb(rgbOrJpeg);
}

/** Mean absolute difference per byte of two same-sized rgb24 frames: about 0 for the same picture. */
export function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length || a.length === 0) throw new Error(`meanAbsDiff: frames of ${a.length} and ${b.length} bytes`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/**
 * Coarse name for an average colour. Thresholds leave room for YUV 4:2:0 round trips and lossy codecs
 * (FFmpeg's `green` is 0,128,0 and `gray` 128,128,128; both classify as expected).
 */
export function classifyColor(avg: readonly [number, number, number]): ColorClass {
  const [r, g, b] = avg;
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  if (max < 48) return 'black';
  if (min > 200) return 'white';
  if (max - min < 32) return 'gray';
  // A primary: its channel leads the others by 64+ and the others stay at or below half of it (so purple,
  // orange, teal are 'other').
  const primary = (c: number, o1: number, o2: number) => c - Math.max(o1, o2) >= 64 && Math.max(o1, o2) <= 0.5 * c;
  if (primary(r, g, b)) return 'red';
  if (primary(g, r, b)) return 'green';
  if (primary(b, r, g)) return 'blue';
  return 'other';
}

export interface GrabOptions {
  count: number;
  timeoutMs: number;
  /** RTSP transport (default tcp). */
  transport?: 'tcp' | 'udp';
  /** Extra input options before `-i` (e.g. `['-f', 'mpegts']` for a pipe). */
  inputArgs?: readonly string[];
  /** Force the decoded size instead of keeping the source size. */
  scale?: { width: number; height: number };
  /** Source bytes when `url` is `pipe:0` or `-`. */
  stdin?: Buffer | Readable;
}

export interface GrabResult {
  width: number;
  height: number;
  codec: string | undefined;
  frames: { pts: number; avg: Rgb }[];
  /** ms from spawning FFmpeg to the first decoded frame. */
  firstFrameMs: number;
}

/**
 * Decodes the first `count` frames of an RTSP/HLS/file/pipe source (rgb24, source size unless `scale`).
 * Rejects (with FFmpeg's stderr) on timeout or if FFmpeg ends with fewer frames; the process is always gone
 * when this settles.
 */
export async function grabFrames(url: string, opts: GrabOptions): Promise<GrabResult> {
  const dec = startDecoder(
    {
      input: url,
      maxFrames: opts.count,
      ...(opts.transport ? { transport: opts.transport } : {}),
      ...(opts.inputArgs ? { inputArgs: opts.inputArgs } : {}),
      ...(opts.scale ? { scale: opts.scale } : {}),
      ...(opts.stdin ? { stdin: opts.stdin } : {}),
      keepLastPixels: false,
    },
    'grabFrames',
  );
  try {
    const frames = await dec.waitForFrames(opts.count, opts.timeoutMs);
    const size = dec.size()!;
    return {
      width: size.width,
      height: size.height,
      codec: dec.codec(),
      frames: frames.map((f) => ({ pts: f.pts, avg: f.avg })),
      firstFrameMs: frames[0]!.receivedAtMs - dec.startedAtMs,
    };
  } finally {
    await dec.stop();
  }
}

export interface ProbeResult {
  codecName: string;
  width: number;
  height: number;
  pixFmt: string | undefined;
  profile: string | undefined;
  /** `avg_frame_rate` as a number (NaN for 0/0). */
  avgFrameRate: number;
  /** `r_frame_rate` as a number (NaN for 0/0). */
  rFrameRate: number;
  /** The raw ffprobe stream object. */
  raw: Record<string, unknown>;
}

function parseRate(rate: unknown): number {
  if (typeof rate !== 'string') return Number.NaN;
  const [n, d] = rate.split('/').map(Number);
  if (n === undefined || !Number.isFinite(n)) return Number.NaN;
  if (d === undefined) return n;
  return d === 0 ? Number.NaN : n / d;
}

/**
 * ffprobe of the first video stream (RTSP over TCP unless told otherwise). For rtsp:// the analysis window
 * defaults to 0.5 s (about 0.9 s per probe instead of 2 s; both frame rates still filled in); with
 * `analyzeDurationUs: 0` it takes about 0.25 s but `avg_frame_rate` comes back 0/0 (NaN).
 */
export async function probe(urlOrFile: string, opts: { timeoutMs?: number; transport?: 'tcp' | 'udp'; analyzeDurationUs?: number } = {}): Promise<ProbeResult> {
  const args = ['-hide_banner', '-v', 'error'];
  const rtsp = /^rtsp:/i.test(urlOrFile);
  const ad = opts.analyzeDurationUs ?? (rtsp ? 500_000 : undefined);
  if (ad !== undefined) args.push('-analyzeduration', String(ad), ...(ad === 0 ? ['-probesize', '32'] : []));
  if (rtsp) args.push('-rtsp_transport', opts.transport ?? 'tcp');
  args.push('-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,pix_fmt,profile,avg_frame_rate,r_frame_rate', '-of', 'json', urlOrFile);
  const r = await runToBuffer(FFPROBE, args, { timeoutMs: opts.timeoutMs ?? 15_000 });
  if (r.timedOut) throw new Error(`probe(${urlOrFile}) timed out`);
  if (r.exitCode !== 0) throw new Error(`probe(${urlOrFile}) failed (${r.exitCode}): ${r.stderr.slice(-2000)}`);
  const json = JSON.parse(r.stdout.toString('utf8')) as { streams?: Record<string, unknown>[] };
  const s = json.streams?.[0];
  if (!s) throw new Error(`probe(${urlOrFile}): no video stream`);
  return {
    codecName: String(s.codec_name),
    width: Number(s.width),
    height: Number(s.height),
    pixFmt: typeof s.pix_fmt === 'string' ? s.pix_fmt : undefined,
    profile: typeof s.profile === 'string' ? s.profile : undefined,
    avgFrameRate: parseRate(s.avg_frame_rate),
    rFrameRate: parseRate(s.r_frame_rate),
    raw: s,
  };
}

export interface FpsMeasurement {
  /** Frames per second from pts over the window. */
  fps: number;
  frames: number;
  /** Frames per second of arrival (wall clock) over the same frames; low for slow sources, high for files. */
  wallFps: number;
  width: number;
  height: number;
}

/**
 * Decodes `seconds` of output time (`-t`) from a source and returns the decoded frame rate from pts.
 * Bounded by `seconds * 1000 + startupMs`.
 */
export async function measureFpsDetailed(url: string, seconds: number, opts: { transport?: 'tcp' | 'udp'; startupMs?: number; inputArgs?: readonly string[] } = {}): Promise<FpsMeasurement> {
  const dec = startDecoder(
    {
      input: url,
      durationSec: seconds,
      ...(opts.transport ? { transport: opts.transport } : {}),
      ...(opts.inputArgs ? { inputArgs: opts.inputArgs } : {}),
      keepLastPixels: false,
    },
    'measureFps',
  );
  const limit = seconds * 1000 + (opts.startupMs ?? 10_000);
  const timer = setTimeout(() => void dec.stop(), limit);
  try {
    const exit = await dec.exited;
    const frames = dec.frames();
    if (frames.length < 2) {
      throw new Error(`measureFps(${url}): ${frames.length} frames (exit ${exit.code ?? exit.signal})\n${dec.process.stderrTail()}`);
    }
    const size = dec.size()!;
    const first = frames[0]!;
    const last = frames[frames.length - 1]!;
    const wall = (last.receivedAtMs - first.receivedAtMs) / 1000;
    return {
      fps: fpsFromPts(frames),
      frames: frames.length,
      wallFps: wall > 0 ? (frames.length - 1) / wall : Number.NaN,
      width: size.width,
      height: size.height,
    };
  } finally {
    clearTimeout(timer);
    await dec.stop();
  }
}

/** Frames decoded per second (from pts) over a window of `seconds`. */
export async function measureFps(url: string, seconds: number, opts: { transport?: 'tcp' | 'udp' } = {}): Promise<number> {
  return (await measureFpsDetailed(url, seconds, opts)).fps;
}
