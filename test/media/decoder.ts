/**
 * One FFmpeg process that decodes any input (RTSP pull, RTSP listen, HLS, file, stdin) to rawvideo rgb24
 * on stdout, so a test sees every frame: its average colour, its size and its pts (from `showinfo`).
 */
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { FFMPEG, spawnMedia, type ExitInfo, type MediaProcess } from './proc.js';
import { Changes } from '../support/wait.js';

export type Rgb = [number, number, number];

export interface DecodedFrame {
  /** 0-based order of arrival. */
  index: number;
  /** Presentation time in seconds as FFmpeg saw it (`showinfo` pts_time); NaN until its log line is read. */
  pts: number;
  /** performance.now() when the last byte of the frame arrived. */
  receivedAtMs: number;
  /** Average colour of the frame. */
  avg: Rgb;
}

export interface DecoderOptions {
  /** Anything FFmpeg reads: rtsp://..., http://.../index.m3u8, a file path, or `pipe:0` (with `stdin`). */
  input: string;
  /** Extra input options placed before `-i` (e.g. `['-f', 'mpegts']`, `['-rtsp_flags', 'listen']`). */
  inputArgs?: readonly string[];
  /** RTSP pull transport (ignored for other inputs). Default tcp. */
  transport?: 'tcp' | 'udp';
  /** Stop after this many frames (`-frames:v`). */
  maxFrames?: number;
  /** Stop after this much output time in seconds (`-t`). */
  durationSec?: number;
  /** Force a size (`scale=W:H`); by default frames keep the source size. */
  scale?: { width: number; height: number };
  /** Fed to FFmpeg's stdin when input is `pipe:0` / `-`. */
  stdin?: Buffer | Readable;
  /**
   * `-fflags nobuffer -flags low_delay` (default false). Beware: nobuffer drops the packets read while
   * probing, so decoding starts mid-GOP (HEVC then yields gray frames with missing references).
   */
  lowDelay?: boolean;
  /**
   * `-analyzeduration 0 -probesize 32` (default true for rtsp:// inputs, whose SDP carries the parameter
   * sets): first frame about 0.6 s after start instead of 2.5-3 s. Set false for cameras whose SDP lacks them.
   */
  fastProbe?: boolean;
  /** Keep the pixels of the latest frame (default true). */
  keepLastPixels?: boolean;
  /** Every stderr line of FFmpeg (showinfo lines included). */
  onStderrLine?: (line: string) => void;
  /** Called for each frame as it completes (its `pts` may be filled in a moment later, on the same object). */
  onFrame?: (frame: DecodedFrame) => void;
}

export interface FrameDecoder {
  readonly process: MediaProcess;
  readonly startedAtMs: number;
  /** Decoded (output) size, known once FFmpeg has printed its output stream line. */
  size(): { width: number; height: number } | undefined;
  /** Input video codec as FFmpeg reports it (h264, hevc, ...). */
  codec(): string | undefined;
  frames(): readonly DecodedFrame[];
  /** Latest frame and, unless disabled, its rgb24 pixels. */
  latest(): (DecodedFrame & { pixels?: Buffer }) | undefined;
  /** Resolves when `n` frames have arrived (with their pts); rejects on timeout or if FFmpeg exits first. */
  waitForFrames(n: number, timeoutMs: number): Promise<readonly DecodedFrame[]>;
  waitForSize(timeoutMs: number): Promise<{ width: number; height: number }>;
  readonly exited: Promise<ExitInfo>;
  stop(): Promise<void>;
}

/** Average RGB of an rgb24 buffer (sampled: at most ~40k pixels). */
export function averageRgb(rgb: Uint8Array): Rgb {
  const pixels = Math.floor(rgb.length / 3);
  if (pixels === 0) return [0, 0, 0];
  const step = Math.max(1, Math.floor(pixels / 40_000));
  let r = 0;
  let g = 0;
  let b = 0;
  let n = 0;
  for (let p = 0; p < pixels; p += step) {
    const o = p * 3;
    r += rgb[o] ?? 0;
    g += rgb[o + 1] ?? 0;
    b += rgb[o + 2] ?? 0;
    n++;
  }
  return [Math.round(r / n), Math.round(g / n), Math.round(b / n)];
}

const SHOWINFO = /Parsed_showinfo.*\bn:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:\s*(-?[\d.e+-]+)/;
const SIZE = /, (\d{1,5})x(\d{1,5})(?=[ ,[]|$)/;

function buildDecoderArgs(o: DecoderOptions): string[] {
  const args = ['-hide_banner', '-nostats', '-nostdin', '-loglevel', 'info'];
  if (o.stdin) args.splice(args.indexOf('-nostdin'), 1);
  const extra = o.inputArgs ?? [];
  const rtsp = /^rtsp:/i.test(o.input);
  if (o.lowDelay) args.push('-fflags', 'nobuffer', '-flags', 'low_delay');
  if ((o.fastProbe ?? rtsp) && !extra.includes('-analyzeduration') && !extra.includes('-probesize')) {
    args.push('-analyzeduration', '0', '-probesize', '32');
  }
  if (rtsp && !extra.includes('-rtsp_flags')) args.push('-rtsp_transport', o.transport ?? 'tcp');
  args.push(...extra, '-i', o.input === '-' ? 'pipe:0' : o.input);
  args.push('-map', '0:v:0', '-an', '-sn', '-dn');
  const filters = ['showinfo'];
  if (o.scale) filters.push(`scale=${o.scale.width}:${o.scale.height}`);
  args.push('-vf', filters.join(','), '-fps_mode', 'passthrough');
  if (o.maxFrames !== undefined) args.push('-frames:v', String(o.maxFrames));
  if (o.durationSec !== undefined) args.push('-t', String(o.durationSec));
  args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
  return args;
}

export function startDecoder(o: DecoderOptions, name = 'ffmpeg-decoder'): FrameDecoder {
  const startedAtMs = performance.now();
  const frames: DecodedFrame[] = [];
  const ptsByIndex = new Map<number, number>();
  let size: { width: number; height: number } | undefined;
  let codec: string | undefined;
  let inOutput = false;
  let lastPixels: Buffer | undefined;
  const changes = new Changes();
  const notify = () => changes.notify();

  const onStderrLine = (line: string) => {
    o.onStderrLine?.(line);
    const m = SHOWINFO.exec(line);
    if (m) {
      const n = Number(m[1]);
      const pts = Number(m[3]);
      const f = frames[n];
      if (f) f.pts = pts;
      else ptsByIndex.set(n, pts);
      notify();
      return;
    }
    if (line.startsWith('Output #0')) inOutput = true;
    if (/^\s*Stream #\d+:\d+.*: Video: /.test(line)) {
      if (!inOutput) {
        codec ??= /Video: (\w+)/.exec(line)?.[1];
      } else if (!size) {
        const s = SIZE.exec(line);
        if (s) {
          size = { width: Number(s[1]), height: Number(s[2]) };
          drain();
          notify();
        }
      }
    }
  };

  const proc = spawnMedia(name, FFMPEG, buildDecoderArgs(o), {
    stdin: o.stdin ? 'pipe' : 'ignore',
    onStderrLine,
    keepStderrLine: (l) => !l.includes('Parsed_showinfo'),
  });

  let pending: Buffer[] = [];
  let pendingBytes = 0;
  function drain() {
    if (!size) return;
    const frameBytes = size.width * size.height * 3;
    while (pendingBytes >= frameBytes) {
      const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      const pix = all.subarray(0, frameBytes);
      const rest = all.subarray(frameBytes);
      pending = rest.length ? [rest] : [];
      pendingBytes = rest.length;
      const index = frames.length;
      const frame: DecodedFrame = { index, pts: ptsByIndex.get(index) ?? Number.NaN, receivedAtMs: performance.now(), avg: averageRgb(pix) };
      frames.push(frame);
      ptsByIndex.delete(index);
      if (o.keepLastPixels ?? true) lastPixels = Buffer.from(pix);
      o.onFrame?.(frame);
    }
    notify();
  }
  proc.child.stdout?.on('data', (chunk: Buffer | Uint8Array) => {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    pending.push(b);
    pendingBytes += b.length;
    drain();
  });

  if (o.stdin && proc.child.stdin) {
    const sink = proc.child.stdin;
    if (Buffer.isBuffer(o.stdin)) sink.end(o.stdin);
    else o.stdin.pipe(sink);
  }

  const exitedFlag = { v: false };
  void proc.exited.then(() => {
    exitedFlag.v = true;
    notify();
  });

  const why = (): string | undefined => (exitedFlag.v ? ` (ffmpeg exited after ${frames.length} frames)\n${proc.stderrTail()}` : undefined);
  function waitForChange(timeoutMs: number, cond: () => boolean, what: string): Promise<void> {
    // The timeout message carries the frame count and FFmpeg's stderr too.
    return changes
      .wait(what, cond, timeoutMs, () => why())
      .catch((e: unknown) => {
        if (!exitedFlag.v && e instanceof Error && e.message.includes('timed out')) {
          throw new Error(`${e.message} (${frames.length} frames)\n${proc.stderrTail()}`, { cause: e });
        }
        throw e;
      });
  }

  return {
    process: proc,
    startedAtMs,
    size: () => size,
    codec: () => codec,
    frames: () => frames,
    latest() {
      const f = frames[frames.length - 1];
      return f && { ...f, ...(lastPixels ? { pixels: lastPixels } : {}) };
    },
    async waitForFrames(n, timeoutMs) {
      await waitForChange(timeoutMs, () => frames.length >= n && frames.slice(0, n).every((f) => !Number.isNaN(f.pts)), `waiting for ${n} frames from ${o.input}`);
      return frames.slice(0, n);
    },
    async waitForSize(timeoutMs) {
      await waitForChange(timeoutMs, () => size !== undefined, `waiting for the decoded size of ${o.input}`);
      return size!;
    },
    exited: proc.exited,
    async stop() {
      await proc.stop();
    },
  };
}

/** Frames per second from pts over a list of frames (duplicate leading pts are ignored). */
export function fpsFromPts(frames: readonly DecodedFrame[]): number {
  const pts = frames.map((f) => f.pts).filter((p) => Number.isFinite(p));
  // RTSP inputs often give the first two frames the same pts; start from the last frame sharing the first pts.
  let start = 0;
  while (start + 1 < pts.length && pts[start + 1] === pts[0]) start++;
  const used = pts.slice(start);
  if (used.length < 2) return Number.NaN;
  const span = used[used.length - 1]! - used[0]!;
  return span > 0 ? (used.length - 1) / span : Number.NaN;
}
