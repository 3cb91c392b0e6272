import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { avcCodecString, Fmp4Splitter, fragmentStartsWithKeyframe, trexDefaultFlags } from './fmp4.js';

/** What the double's FFmpeg makes for an RTSP source (go2rtc would read it from MediaMTX). */
export interface MediaOptions {
  width: number;
  height: number;
  fps: number;
  /** Paced at the frame rate (`-re`), like a live source; false = as fast as FFmpeg encodes (a firehose for backpressure tests). */
  realtime: boolean;
  /** `-qp 0` (lossless, large frames) instead of a normal bitrate. */
  lossless: boolean;
  /** Keyframe interval in frames. */
  gop: number;
}

export const DEFAULT_MEDIA: MediaOptions = { width: 320, height: 240, fps: 15, realtime: true, lossless: false, gop: 15 };

function ffmpegArgs(o: MediaOptions): string[] {
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    ...(o.realtime ? ['-re'] : []),
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}`,
    '-an',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-pix_fmt',
    'yuv420p',
    '-g',
    String(o.gop),
    '-keyint_min',
    String(o.gop),
    '-sc_threshold',
    '0',
    '-bf',
    '0',
    ...(o.lossless ? ['-qp', '0'] : ['-b:v', '600k']),
    '-f',
    'mp4',
    // One moof+mdat per frame, like go2rtc's MSE muxer; no trailer: the stream is live.
    '-movflags',
    'empty_moov+default_base_moof+frag_every_frame+skip_trailer',
    'pipe:1',
  ];
}

export interface Subscriber {
  /** The init segment and the MSE codec string, once (before any fragment). */
  onReady(init: Buffer, codecs: string): void;
  /** One moof+mdat; the first one a subscriber gets starts with a keyframe. */
  onFragment(fragment: Buffer, keyframe: boolean): void;
  /** The source failed (FFmpeg exited): the message goes to the client as an `mse` error. */
  onError(message: string): void;
}

/**
 * One stream's producer: a single FFmpeg shared by every consumer of the stream (go2rtc likewise
 * pulls a source once), started with the first consumer and stopped with the last. A consumer gets
 * the init segment, then fragments from the next keyframe on.
 */
export class StreamProducer {
  private child: ChildProcessByStdio<null, Readable, Readable> | null = null;
  private init: Buffer | null = null;
  private codecs: string | null = null;
  private trexFlags = 0;
  private readonly subscribers = new Map<Subscriber, { started: boolean }>();
  private stderrTail = '';
  fragments = 0;

  constructor(
    readonly name: string,
    readonly source: string,
    private readonly media: () => MediaOptions,
    private readonly log: (line: string) => void,
  ) {}

  get consumers(): number {
    return this.subscribers.size;
  }

  get running(): boolean {
    return this.child !== null;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  subscribe(s: Subscriber): void {
    this.subscribers.set(s, { started: false });
    if (this.init && this.codecs) s.onReady(this.init, this.codecs);
    if (!this.child) this.start();
  }

  unsubscribe(s: Subscriber): void {
    this.subscribers.delete(s);
    if (this.subscribers.size === 0) this.stop();
  }

  private start(): void {
    const opts = this.media();
    this.init = null;
    this.codecs = null;
    this.stderrTail = '';
    const child = spawn('ffmpeg', ffmpegArgs(opts), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.log(`INF [rtsp] producer start name=${this.name} (double: FFmpeg testsrc2 ${opts.width}x${opts.height}@${opts.fps}${opts.realtime ? '' : ' unpaced'}) pid=${child.pid}`);
    const splitter = new Fmp4Splitter(
      (init) => {
        this.init = init;
        this.trexFlags = trexDefaultFlags(init);
        this.codecs = avcCodecString(init) ?? 'avc1.640029';
        for (const s of this.subscribers.keys()) s.onReady(init, this.codecs);
      },
      (fragment) => {
        this.fragments += 1;
        const key = fragmentStartsWithKeyframe(fragment, this.trexFlags);
        for (const [s, st] of this.subscribers) {
          if (!st.started) {
            if (!key) continue;
            st.started = true;
          }
          s.onFragment(fragment, key);
        }
      },
    );
    child.stdout.on('data', (chunk: Buffer) => {
      try {
        splitter.push(chunk);
      } catch (err) {
        this.fail(`mp4: ${(err as Error).message}`);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-2000);
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = null;
      if (this.subscribers.size > 0) this.fail(`streams: producer exited (${signal ?? code}): ${this.stderrTail.trim().split('\n').pop() ?? ''}`);
    });
    child.on('error', (err) => {
      if (this.child !== child) return;
      this.child = null;
      this.fail(`streams: ${err.message}`);
    });
  }

  private fail(message: string): void {
    this.log(`WRN [streams] ${this.name}: ${message}`);
    const subs = [...this.subscribers.keys()];
    this.subscribers.clear();
    this.stop();
    for (const s of subs) s.onError(message);
  }

  stop(): void {
    const child = this.child;
    this.child = null;
    this.init = null;
    this.codecs = null;
    if (!child) return;
    this.log(`INF [rtsp] producer stop name=${this.name} pid=${child.pid}`);
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 2000);
    t.unref();
    child.once('exit', () => clearTimeout(t));
  }
}
