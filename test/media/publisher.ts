/**
 * A test publisher: FFmpeg pushing a synthetic live source (testsrc2 or a solid colour) to an RTSP URL,
 * like the product's per-camera publishers push to the engine.
 */
import { FFMPEG, spawnMedia, type ExitInfo, type MediaProcess } from './proc.js';

export interface PublisherOptions {
  /** rtsp://127.0.0.1:port/path to ANNOUNCE/RECORD to. */
  url: string;
  /** `testsrc2` (default) or an FFmpeg colour (`red`, `0x00ff00`, `#0000ff`). */
  source?: string;
  width?: number;
  height?: number;
  fps?: number;
  codec?: 'h264' | 'h265';
  /** RTSP transport for the RTP it sends (default tcp; the perl broker needs udp). */
  transport?: 'tcp' | 'udp';
  /** Keyframe interval in frames (default: fps). */
  gop?: number;
  /** Stop by itself after this many seconds. */
  durationSec?: number;
}

export interface Publisher {
  readonly process: MediaProcess;
  readonly args: readonly string[];
  readonly exited: Promise<ExitInfo>;
  stop(): Promise<void>;
}

function publisherArgs(o: PublisherOptions): string[] {
  const w = o.width ?? 320;
  const h = o.height ?? 240;
  const fps = o.fps ?? 10;
  const src = o.source ?? 'testsrc2';
  const lavfi = src === 'testsrc2' ? `testsrc2=s=${w}x${h}:r=${fps}` : `color=c=${src.startsWith('#') ? '0x' + src.slice(1) : src}:s=${w}x${h}:r=${fps}`;
  const codec = o.codec ?? 'h264';
  const enc =
    codec === 'h264'
      ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p']
      : ['-c:v', 'libx265', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-x265-params', 'log-level=error'];
  return [
    '-hide_banner',
    '-nostats',
    '-nostdin',
    '-loglevel',
    'warning',
    '-re',
    '-f',
    'lavfi',
    '-i',
    lavfi,
    ...(o.durationSec !== undefined ? ['-t', String(o.durationSec)] : []),
    ...enc,
    '-g',
    String(o.gop ?? fps),
    '-bf',
    '0',
    '-f',
    'rtsp',
    '-rtsp_transport',
    o.transport ?? 'tcp',
    o.url,
  ];
}

export function startPublisher(o: PublisherOptions): Publisher {
  const args = publisherArgs(o);
  const proc = spawnMedia('rtsp-publisher', FFMPEG, args, { stdin: 'ignore' });
  return {
    process: proc,
    args,
    exited: proc.exited,
    async stop() {
      await proc.stop();
    },
  };
}
