/**
 * The HLS plane of the MediaMTX double: MediaMTX v1.20.1's HLS server (`internal/servers/hls`,
 * gohlslib v2 muxer, `hlsVariant: mpegts`) over media that real FFmpeg writes.
 *
 * A test starts a source with `POST /_double/paths/{name}/hls` (API port): FFmpeg encodes a test
 * pattern with libx264 into HLS in a temporary folder. The double never serves FFmpeg's own
 * playlist: like MediaMTX's muxer it renames the segments (`<prefix>_main_seg<N>.ts`), writes its
 * own multivariant and media playlists, and runs MediaMTX's cookie check and sessions. See README.md.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { open, readFile, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { DoubleHlsConfig } from './config.js';
import { pathNameError } from './go.js';
import { createFmp4Muxer, createFmp4Splitter, parseInit, type Fmp4Muxer, type Fragment, type InitInfo } from './hls-fmp4.js';

/** MediaMTX constants (internal/servers/hls/muxer_instance.go). */
const SESSION_COOKIE_NAME = 'hlsSession';
const SESSION_QUERY_PARAM = 'session';
const SESSION_CLOSE_AFTER_MS = 30_000;
const SESSION_CLEANUP_PERIOD_MS = SESSION_CLOSE_AFTER_MS / 3;

interface Reply {
  status: number;
  body: unknown;
}

export interface HlsLoggedRequest {
  at: string;
  method: string;
  /** Raw path as received. */
  path: string;
  query: Record<string, string>;
  /** Names of the cookies the request carried. */
  cookies: string[];
  remote: string;
  range: string | null;
  /** Names of the request headers (lower case), to check what a proxy forwards. */
  headers: string[];
  status: number;
}

export interface HlsSourceOptions {
  /** `rtsp`: FFmpeg pulls `url` (a camera) and remuxes its video (fMP4 variants only). */
  source: 'testsrc' | 'rtsp';
  url?: string;
  /** The camera has an audio stream (found by ffprobe): remuxed as MediaMTX's `audio2` rendition. */
  audio?: boolean;
  /** `WxH`, default 320x240. */
  size?: string;
  /** Default 25. */
  fps?: number;
}

interface FfSegment {
  seq: number;
  file: string;
  durationS: number;
  size: number;
  /** Wall clock of its first frame (EXT-X-PROGRAM-DATE-TIME). */
  startedAt: number;
}

interface Source {
  name: string;
  dir: string;
  /** The watchdog shell. */
  child: ChildProcess;
  ffmpegPid: number | null;
  width: number;
  height: number;
  fps: number;
  segments: FfSegment[];
  codec: string | null;
  /** fMP4 variants: the init segment FFmpeg wrote, what it says, and the muxers fed by fragments. */
  init: Buffer | null;
  initInfo: InitInfo | null;
  /** A remuxed camera's audio (its own fragmented MP4 from FFmpeg); null without audio. */
  audio: { init: Buffer | null; info: InitInfo | null } | null;
  stderr: string;
  exited: boolean;
  stopping: boolean;
  since: string;
  poll: NodeJS.Timeout;
}

interface Session {
  uuid: string;
  secret: string;
  ip: string;
  lastRequest: number;
}

interface Muxer {
  name: string;
  source: Source;
  prefix: string;
  /** FFmpeg's sequence number of the muxer's segment 0. */
  firstSeq: number;
  sessions: Map<string, Session>;
  lastRequest: number;
  closed: boolean;
  waiters: Set<() => void>;
  /** fMP4 variants (lowLatency, fmp4): gohlslib's stream state; null under mpegts. */
  fmp4: Fmp4Muxer | null;
  /** The audio rendition's stream (`audio2`), rotated by the video one. */
  audio: Fmp4Muxer | null;
}

export interface HlsPlaneOptions {
  config: DoubleHlsConfig;
  ffmpegPath?: string;
  isConfigured(name: string): boolean;
  /** MediaMTX's `read` permission for this request: ok, or refused (ask = no credentials were given). */
  canRead(req: IncomingMessage): { ok: true } | { ok: false; ask: boolean };
  log(line: string): void;
  /** Called when a path's publishing state or sessions change. */
  changed?(name: string): void;
  /** A reader of a path with no stream: MediaMTX's runOnDemand (on-demand.ts); resolves when the reader may look again. */
  onDemand?(name: string): Promise<'ready' | 'timed_out' | 'none'>;
}

export interface HlsPlane {
  /** The HLS listener's request handler. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Test control routes under `/_double/` that concern HLS; null when `path` is not one. */
  control(method: string, path: string, body: unknown): Promise<Reply> | null;
  /** `hlsSession` readers of a path (one per live session). */
  readers(name: string): { type: string; id: string }[];
  /** When the path's HLS source started publishing (ISO time), null when it has none. */
  publishingSince(name: string): string | null;
  /** The path was deleted or recreated: its muxer closes (sessions dropped). */
  pathReset(name: string): void;
  requests: HlsLoggedRequest[];
  /** Stops every FFmpeg and removes their folders. */
  close(): Promise<void>;
  /** Synchronous last resort (process exit): SIGKILL every FFmpeg, remove folders. */
  killAllSync(): void;
}

/**
 * `sh -c WATCHDOG name ffmpeg args...`: runs FFmpeg in the background, prints its pid, and stops it
 * (SIGTERM) when the shell is signalled or when its stdin reaches EOF, i.e. when the double is gone,
 * even after a SIGKILL (FFmpeg ignores SIGPIPE, so a broken output pipe would not do). Once FFmpeg
 * has exited it removes the media folder (`MTX_DOUBLE_HLS_DIR`), which the double may not outlive.
 */
const WATCHDOG = [
  'exec 3<&0 </dev/null',
  '"$@" 3<&- >/dev/null &',
  'c=$!',
  'echo "$c"',
  '( read -r _ <&3; kill -TERM "$c" 2>/dev/null ) &',
  'w=$!',
  'exec 3<&-',
  'trap \'kill -TERM "$c" 2>/dev/null\' TERM INT',
  's=0',
  'while :; do wait "$c"; s=$?; kill -0 "$c" 2>/dev/null || break; done',
  'kill "$w" 2>/dev/null',
  'if [ -n "$MTX_DOUBLE_HLS_DIR" ]; then rm -rf "$MTX_DOUBLE_HLS_DIR"; fi',
  'exit "$s"',
].join('\n');

function killQuietly(pid: number | undefined, signal: NodeJS.Signals) {
  if (pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

const errBody = (message: string) => JSON.stringify({ status: 'error', error: message });

/** Go's url.QueryEscape. */
function goQueryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** Go's url.Values.Encode(): keys sorted, values in order. */
export function goValuesEncode(q: URLSearchParams): string {
  const keys = [...new Set(q.keys())].sort();
  const parts: string[] = [];
  for (const k of keys) for (const v of q.getAll(k)) parts.push(`${goQueryEscape(k)}=${goQueryEscape(v)}`);
  return parts.join('&');
}

/** Go's time.Format with "2006-01-02T15:04:05.999Z07:00" for a UTC time. */
export function goRfc3339Millis(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-11-24T15:04:05.120Z
  const [base, frac] = iso.slice(0, -1).split('.') as [string, string];
  const trimmed = frac.replace(/0+$/, '');
  return `${base}${trimmed ? `.${trimmed}` : ''}Z`;
}

/** path.Clean of Go (posix semantics are the same). */
const goClean = (p: string) => posix.normalize(p === '' ? '.' : p).replace(/(.)\/$/, '$1');

function sanitizeLocation(rawPath: string, rawQuery: string): string {
  let res = goClean(rawPath).replace(/^[/\\]+/, '');
  res = `/${res}`;
  return rawQuery !== '' ? `${res}?${rawQuery}` : res;
}

function cookiesOf(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    if (!out.has(k)) out.set(k, part.slice(i + 1).trim());
  }
  return out;
}

const remoteIp = (req: IncomingMessage) => (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');

/** `avc1.PPCCLL` from the first SPS NAL unit found in an MPEG-TS segment (gohlslib codecparams). */
export function h264CodecFromTs(ts: Buffer): string | null {
  for (let i = 0; i + 7 < ts.length; i++) {
    if (ts[i] === 0 && ts[i + 1] === 0 && ts[i + 2] === 1 && (ts[i + 3]! & 0x1f) === 7) {
      const hex = (b: number) => b.toString(16).padStart(2, '0');
      return `avc1.${hex(ts[i + 4]!)}${hex(ts[i + 5]!)}${hex(ts[i + 6]!)}`;
    }
  }
  return null;
}

/** Entries of FFmpeg's live playlist: sequence number, file, duration. */
function parseFfmpegPlaylist(text: string): { seq: number; file: string; durationS: number }[] {
  const out: { seq: number; file: string; durationS: number }[] = [];
  let seq = 0;
  let duration: number | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) seq = Number(line.slice(22));
    else if (line.startsWith('#EXTINF:')) duration = Number.parseFloat(line.slice(8));
    else if (line !== '' && !line.startsWith('#') && duration !== null) {
      out.push({ seq: seq++, file: line, durationS: duration });
      duration = null;
    }
  }
  return out;
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // multi-range or junk: served whole, like a plain GET
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

export function createHlsPlane(options: HlsPlaneOptions): HlsPlane {
  const { config, log } = options;
  const ffmpegPath = options.ffmpegPath ?? process.env.MEDIAMTX_DOUBLE_FFMPEG ?? 'ffmpeg';
  const sources = new Map<string, Source>();
  const muxers = new Map<string, Muxer>();
  const requests: HlsLoggedRequest[] = [];
  const segmentSeconds = Math.max(1, Math.round(config.segmentDurationMs / 1000));
  const changed = (name: string) => options.changed?.(name);

  // Sessions idle for 30 s are closed; a muxer without requests for hlsMuxerCloseAfter closes.
  const cleanup = setInterval(
    () => {
      const now = Date.now();
      for (const m of muxers.values()) {
        for (const [secret, s] of m.sessions) {
          if (now - s.lastRequest >= SESSION_CLOSE_AFTER_MS) {
            m.sessions.delete(secret);
            log(`INF [HLS] [muxer ${m.name}] [session ${s.uuid.slice(0, 8)}] closed: inactive`);
            changed(m.name);
          }
        }
        if (!config.alwaysRemux && now - m.lastRequest >= config.muxerCloseAfterMs) closeMuxer(m, 'not used anymore');
      }
    },
    Math.min(SESSION_CLEANUP_PERIOD_MS, 1000),
  );
  cleanup.unref();

  function closeMuxer(m: Muxer, why: string) {
    if (m.closed) return;
    m.closed = true;
    m.sessions.clear();
    if (muxers.get(m.name) === m) muxers.delete(m.name);
    for (const w of m.waiters) w();
    m.waiters.clear();
    log(`INF [HLS] [muxer ${m.name}] destroyed: ${why}`);
    changed(m.name);
  }

  function createMuxer(source: Source): Muxer {
    const last = source.segments[source.segments.length - 1];
    const m: Muxer = {
      name: source.name,
      source,
      prefix: randomBytes(6).toString('hex'),
      // Like MediaMTX without hlsAlwaysRemux: only segments muxed after the muxer exists.
      firstSeq: last ? last.seq + 1 : 0,
      sessions: new Map(),
      lastRequest: Date.now(),
      closed: false,
      waiters: new Set(),
      fmp4: null,
      audio: null,
    };
    attachFmp4(m);
    muxers.set(source.name, m);
    log(`INF [HLS] [muxer ${source.name}] created automatically`);
    return m;
  }

  const fmp4Variant = config.variant !== 'mpegts';

  /** An fMP4 muxer's stream state, once the source's init segment is known (FFmpeg writes it first). */
  function attachFmp4(m: Muxer) {
    const { init, initInfo, audio } = m.source;
    if (!fmp4Variant || m.fmp4 || !init || !initInfo || (audio && (!audio.init || !audio.info))) return;
    const common = { lowLatency: config.variant === 'lowLatency', segmentCount: config.segmentCount, segmentMinS: segmentSeconds, prefix: m.prefix };
    m.fmp4 = createFmp4Muxer({ ...common, streamId: 'video1', timescale: initInfo.timescale });
    m.fmp4.setInit(init);
    if (audio?.init && audio.info) {
      m.audio = createFmp4Muxer({ ...common, streamId: 'audio2', leader: m.fmp4, timescale: audio.info.timescale });
      m.audio.setInit(audio.init);
      m.fmp4.follow(m.audio);
    }
  }

  /** The muxer has something to list: one segment (mpegts, lowLatency) or two (fmp4), as gohlslib's hasContent. */
  const hasContent = (m: Muxer) => (m.fmp4 ? m.fmp4.hasContent() : !fmp4Variant && shown(m).length > 0);

  /** The segments the muxer currently lists (its registered paths): the last hlsSegmentCount. */
  function shown(m: Muxer): (FfSegment & { id: number; uri: string })[] {
    const visible = m.source.segments.filter((s) => s.seq >= m.firstSeq);
    return visible.slice(-config.segmentCount).map((s) => ({ ...s, id: s.seq - m.firstSeq, uri: `${m.prefix}_main_seg${s.seq - m.firstSeq}.ts` }));
  }

  /** Waits (gohlslib's cond.Wait) until `ready` holds; false when the muxer closed or the client left first. */
  function waitFor(m: Muxer, res: ServerResponse, ready: () => boolean): Promise<boolean> {
    if (m.closed) return Promise.resolve(false);
    if (ready()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (m.closed || res.destroyed) {
          m.waiters.delete(check);
          resolve(false);
        } else if (ready()) {
          m.waiters.delete(check);
          resolve(true);
        }
      };
      m.waiters.add(check);
      res.once('close', check);
    });
  }

  function multivariant(m: Muxer, rawQuery: string): string {
    const segs = m.fmp4 ? m.fmp4.segments().filter((x) => x.id !== null) : shown(m);
    let max = 0;
    let sizes = 0;
    let durations = 0;
    for (const s of segs) {
      max = Math.max(max, Math.floor((8 * s.size) / s.durationS));
      sizes += s.size;
      durations += s.durationS;
    }
    const avg = durations > 0 ? Math.floor((8 * sizes) / durations) : 0;
    const src = m.source;
    if (m.fmp4) {
      const info = src.initInfo!;
      const q = rawQuery !== '' ? `?${rawQuery}` : '';
      const rate = src.fps > 0 ? `,FRAME-RATE=${src.fps.toFixed(3)}` : '';
      const audio = m.audio ? (src.audio?.info ?? null) : null;
      return (
        '#EXTM3U\n#EXT-X-VERSION:10\n#EXT-X-INDEPENDENT-SEGMENTS\n\n' +
        (audio ? `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio2",AUTOSELECT=YES,DEFAULT=YES,URI="audio2_stream.m3u8${q}"\n\n` : '') +
        `#EXT-X-STREAM-INF:BANDWIDTH=${max},AVERAGE-BANDWIDTH=${avg},CODECS="${info.codec}${audio ? `,${audio.codec}` : ''}",RESOLUTION=${info.width}x${info.height}${rate}${audio ? ',AUDIO="audio"' : ''}\n` +
        `video1_stream.m3u8${q}\n`
      );
    }
    return (
      '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n\n' +
      `#EXT-X-STREAM-INF:BANDWIDTH=${max},AVERAGE-BANDWIDTH=${avg},CODECS="${src.codec ?? 'avc1.42c01e'}",RESOLUTION=${src.width}x${src.height},FRAME-RATE=${src.fps.toFixed(3)}\n` +
      `main_stream.m3u8${rawQuery !== '' ? `?${rawQuery}` : ''}\n`
    );
  }

  function mediaPlaylist(m: Muxer, rawQuery: string): string {
    const segs = shown(m);
    const target = Math.max(1, ...segs.map((s) => Math.round(s.durationS)));
    let out = `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-ALLOW-CACHE:NO\n#EXT-X-TARGETDURATION:${target}\n#EXT-X-MEDIA-SEQUENCE:${segs[0]?.id ?? 0}\n`;
    for (const s of segs) {
      out += `#EXT-X-PROGRAM-DATE-TIME:${goRfc3339Millis(s.startedAt)}\n#EXTINF:${s.durationS.toFixed(5)},\n${s.uri}${rawQuery !== '' ? `?${rawQuery}` : ''}\n`;
    }
    return out;
  }

  async function pollSource(src: Source) {
    let text: string;
    try {
      text = await readFile(join(src.dir, 'ffmpeg.m3u8'), 'utf8');
    } catch {
      return;
    }
    const known = src.segments[src.segments.length - 1]?.seq ?? -1;
    let added = false;
    for (const e of parseFfmpegPlaylist(text)) {
      if (e.seq <= known) continue;
      let size: number;
      try {
        size = (await stat(join(src.dir, e.file))).size;
      } catch {
        continue;
      }
      if (src.codec === null) {
        const fh = await open(join(src.dir, e.file), 'r').catch(() => null);
        if (fh) {
          const buf = Buffer.alloc(Math.min(size, 64 * 1024));
          await fh.read(buf, 0, buf.length, 0).catch(() => undefined);
          await fh.close();
          src.codec = h264CodecFromTs(buf);
        }
      }
      const now = Date.now();
      src.segments.push({ seq: e.seq, file: e.file, durationS: e.durationS, size, startedAt: now - Math.round(e.durationS * 1000) });
      added = true;
    }
    if (src.segments.length > 64) src.segments.splice(0, src.segments.length - 64);
    if (added) {
      const m = muxers.get(src.name);
      if (m) for (const w of [...m.waiters]) w();
    }
  }

  function startSource(name: string, opts: HlsSourceOptions): Source {
    const size = opts.size ?? '320x240';
    const fps = opts.fps ?? 25;
    const [w, h] = size.split('x').map(Number) as [number, number];
    const dir = mkdtempSync(join(tmpdir(), 'mtx-double-hls-'));
    const listSize = Math.max(6, config.segmentCount);
    const input = opts.source === 'rtsp' ? ['-rtsp_transport', 'tcp', '-i', opts.url!] : ['-re', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${fps}`];
    // fMP4 variants: fragmented MP4 on fd 4 (stdout carries the watchdog's pid line), one fragment per
    // keyframe or hlsPartDuration, which the double cuts into parts and segments as gohlslib does.
    const fmp4Out = ['-f', 'mp4', '-movflags', 'empty_moov+default_base_moof+frag_keyframe', '-frag_duration', String(config.partDurationMs * 1000), 'pipe:4'];
    // A camera is remuxed (video only); the test pattern is encoded with one keyframe per segment.
    const encode =
      opts.source === 'rtsp'
        ? ['-map', '0:v:0', '-c:v', 'copy']
        : [
            '-c:v',
            'libx264',
            '-preset',
            'ultrafast',
            '-tune',
            'zerolatency',
            '-pix_fmt',
            'yuv420p',
            '-g',
            String(fps * segmentSeconds),
            '-keyint_min',
            String(fps * segmentSeconds),
            '-sc_threshold',
            '0',
          ];
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', ...input, '-an', ...encode];
    args.push(...(fmp4Variant ? fmp4Out : hlsOut(dir, listSize)));
    // The camera's audio as a second fragmented MP4 on fd 5: gohlslib gives each track a stream of its own.
    if (fmp4Variant && opts.audio) args.push('-map', '0:a:0', '-c:a', 'copy', '-vn', ...fmp4Out.slice(0, -1), 'pipe:5');
    // Not detached: FFmpeg stays in the double's process group, so stopping the engine's group stops it too.
    // The watchdog shell also stops it as soon as its stdin (a pipe from the double) closes, however the double ended.
    const child = spawn('/bin/sh', ['-c', WATCHDOG, 'mtx-double-ffmpeg', ffmpegPath, ...args], {
      stdio: ['pipe', 'pipe', 'pipe', 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, MTX_DOUBLE_HLS_DIR: dir },
    });
    const src: Source = {
      name,
      dir,
      child,
      ffmpegPid: null,
      width: w,
      height: h,
      fps: opts.source === 'rtsp' ? 0 : fps,
      segments: [],
      codec: null,
      init: null,
      initInfo: null,
      audio: fmp4Variant && opts.audio ? { init: null, info: null } : null,
      stderr: '',
      exited: false,
      stopping: false,
      since: new Date().toISOString(),
      poll: setInterval(() => void pollSource(src), 100),
    };
    if (fmp4Variant) {
      clearInterval(src.poll);
      const split = createFmp4Splitter(
        (init) => {
          src.init = init;
          src.initInfo = parseInit(init);
          src.codec = src.initInfo?.codec ?? null;
        },
        (f) => feed(src, f, (m) => m.fmp4),
      );
      (child.stdio[4] as NodeJS.ReadableStream).on('data', (c: Buffer) => split(c));
      const audio = src.audio;
      if (audio) {
        const splitAudio = createFmp4Splitter(
          (init) => {
            audio.init = init;
            audio.info = parseInit(init);
          },
          (f) => feed(src, f, (m) => m.audio),
        );
        (child.stdio as unknown as NodeJS.ReadableStream[])[5]!.on('data', (c: Buffer) => splitAudio(c));
      }
    }
    src.poll.unref();
    child.stdin?.on('error', () => undefined);
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (c: string) => {
      const pid = /^(\d+)\n/.exec(c)?.[1];
      if (pid && src.ffmpegPid === null) src.ffmpegPid = Number(pid);
    });
    child.stderr?.on('data', (c: Buffer) => {
      src.stderr = (src.stderr + c.toString()).slice(-4000);
    });
    return afterSpawn(src, name, opts, size, fps);
  }

  /** Whether a camera sends audio (ffprobe beside the FFmpeg the double uses); false when it cannot tell. */
  function cameraHasAudio(url: string): Promise<boolean> {
    const ffprobe = ffmpegPath.replace(/ffmpeg$/, 'ffprobe');
    return new Promise((resolve) => {
      execFile(ffprobe, ['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_type', '-of', 'csv=p=0', url], { timeout: 15_000 }, (err, stdout) => {
        resolve(!err && stdout.split('\n').some((l) => l.trim() === 'audio'));
      });
    });
  }

  /** A fragment for the source's muxer (created once every init segment is known); waiters re-check. */
  function feed(src: Source, f: Fragment, stream: (m: Muxer) => Fmp4Muxer | null) {
    const m = muxers.get(src.name);
    if (m?.source !== src) return;
    attachFmp4(m);
    if (stream(m)?.push(f)) for (const w of [...m.waiters]) w();
  }

  /** FFmpeg's own HLS (mpegts variant): files the double renames and lists. */
  function hlsOut(dir: string, listSize: number): string[] {
    return [
      '-f',
      'hls',
      '-hls_time',
      String(segmentSeconds),
      '-hls_list_size',
      String(listSize),
      '-hls_flags',
      'delete_segments+independent_segments',
      '-hls_segment_filename',
      join(dir, 'seg%d.ts'),
      join(dir, 'ffmpeg.m3u8'),
    ];
  }

  /** Exit handling and bookkeeping of a source's FFmpeg. */
  function afterSpawn(src: Source, name: string, opts: HlsSourceOptions, size: string, fps: number): Source {
    const { child, dir } = src;
    child.on('error', (e) => {
      src.stderr += `\nspawn: ${e.message}`;
    });
    child.on('exit', (code, signal) => {
      src.exited = true;
      clearInterval(src.poll);
      if (!src.stopping) log(`WAR [double] HLS source of '${name}' (FFmpeg) exited (${signal ?? code}): ${src.stderr.trim().split('\n').pop() ?? ''}`);
      if (sources.get(name) === src) {
        sources.delete(name);
        const m = muxers.get(name);
        if (m) closeMuxer(m, 'source is not ready anymore');
        changed(name);
      }
      void rm(dir, { recursive: true, force: true });
    });
    sources.set(name, src);
    if (config.alwaysRemux) createMuxer(src);
    log(`INF [double] HLS source of '${name}' started (FFmpeg under watchdog pid ${child.pid}, ${opts.source === 'rtsp' ? 'a camera remuxed' : `testsrc2 ${size}@${fps}`})`);
    changed(name);
    return src;
  }

  async function stopSource(src: Source): Promise<void> {
    src.stopping = true;
    if (sources.get(src.name) === src) sources.delete(src.name);
    const m = muxers.get(src.name);
    if (m) closeMuxer(m, 'source is not ready anymore');
    changed(src.name);
    if (!src.exited) {
      const gone = new Promise<void>((r) => src.child.once('exit', () => r()));
      src.child.kill('SIGTERM'); // the shell passes it on to FFmpeg and waits for it
      const t = setTimeout(() => {
        if (src.ffmpegPid !== null) killQuietly(src.ffmpegPid, 'SIGKILL');
        src.child.kill('SIGKILL');
      }, 3000);
      await gone;
      clearTimeout(t);
    }
    clearInterval(src.poll);
    await rm(src.dir, { recursive: true, force: true });
  }

  const sourceStatus = (name: string) => {
    const src = sources.get(name);
    const m = muxers.get(name);
    return {
      name,
      publishing: !!src,
      ffmpeg_pid: src?.ffmpegPid ?? null,
      segments: src?.segments.length ?? 0,
      codec: src?.codec ?? null,
      muxer: m ? { prefix: m.prefix, sessions: m.sessions.size, segments: shown(m).length } : null,
    };
  };

  function control(method: string, path: string, body: unknown): Promise<Reply> | null {
    if (path === '/_double/hls/requests') {
      if (method === 'GET') return Promise.resolve({ status: 200, body: requests });
      if (method === 'DELETE') {
        requests.length = 0;
        return Promise.resolve({ status: 200, body: { status: 'ok' } });
      }
    }
    if (path === '/_double/hls/sessions' && method === 'DELETE') {
      // What 30 s without requests does to every session.
      let closed = 0;
      for (const m of muxers.values()) {
        closed += m.sessions.size;
        m.sessions.clear();
        changed(m.name);
      }
      return Promise.resolve({ status: 200, body: { status: 'ok', closed } });
    }
    if (path === '/_double/hls/sources' && method === 'GET') return Promise.resolve({ status: 200, body: [...sources.keys()].sort().map(sourceStatus) });
    const m = /^\/_double\/paths\/(.+)\/hls$/.exec(path);
    if (!m) return null;
    const name = m[1]!;
    const bad = pathNameError(name);
    if (bad) return Promise.resolve({ status: 400, body: { status: 'error', error: `invalid path name '${name}': ${bad}` } });
    if (method === 'GET') return Promise.resolve({ status: 200, body: sourceStatus(name) });
    if (method === 'DELETE') {
      const src = sources.get(name);
      if (!src) return Promise.resolve({ status: 404, body: { status: 'error', error: `no HLS source on '${name}'` } });
      return stopSource(src).then(() => ({ status: 200, body: sourceStatus(name) }));
    }
    if (method === 'POST') {
      const b = (body ?? { source: 'testsrc' }) as Partial<HlsSourceOptions>;
      if (typeof b !== 'object' || b === null || !['testsrc', 'rtsp'].includes(b.source ?? 'testsrc'))
        return Promise.resolve({ status: 400, body: { status: 'error', error: 'body must be {"source": "testsrc", "size"?: "WxH", "fps"?: n} or {"source": "rtsp", "url": "rtsp://..."}' } });
      if (b.source === 'rtsp') {
        if (typeof b.url !== 'string' || !/^rtsp:\/\/127\.0\.0\.1:\d+\/[^\s]*$/.test(b.url))
          return Promise.resolve({ status: 400, body: { status: 'error', error: 'url must be rtsp://127.0.0.1:<port>/<path>' } });
        if (!fmp4Variant) return Promise.resolve({ status: 400, body: { status: 'error', error: 'the double remuxes a camera for the fMP4 variants (lowLatency, fmp4) only' } });
      }
      if (b.size !== undefined && !/^\d{2,4}x\d{2,4}$/.test(b.size)) return Promise.resolve({ status: 400, body: { status: 'error', error: 'size must be WxH' } });
      if (b.fps !== undefined && !(Number.isInteger(b.fps) && b.fps >= 1 && b.fps <= 60)) return Promise.resolve({ status: 400, body: { status: 'error', error: 'fps must be an integer 1..60' } });
      if (!config.enabled) return Promise.resolve({ status: 409, body: { status: 'error', error: 'HLS is disabled in the configuration' } });
      if (sources.has(name)) return Promise.resolve({ status: 409, body: { status: 'error', error: `'${name}' already has an HLS source` } });
      if (b.source === 'rtsp') {
        const url = b.url!;
        return cameraHasAudio(url).then((audio) => {
          if (sources.has(name)) return { status: 409, body: { status: 'error', error: `'${name}' already has an HLS source` } };
          startSource(name, { source: 'rtsp', url, audio });
          return { status: 200, body: sourceStatus(name) };
        });
      }
      startSource(name, { source: 'testsrc', ...(b.size ? { size: b.size } : {}), ...(b.fps ? { fps: b.fps } : {}) });
      return Promise.resolve({ status: 200, body: sourceStatus(name) });
    }
    return null;
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://double');
    const entry: HlsLoggedRequest = {
      at: new Date().toISOString(),
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      cookies: [...cookiesOf(req).keys()],
      remote: remoteIp(req),
      range: req.headers.range ?? null,
      headers: Object.keys(req.headers),
      status: 0,
    };
    requests.push(entry);
    if (requests.length > 5000) requests.splice(0, requests.length - 5000);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    void route(req, res, url).catch((err: unknown) => {
      const e = err as Error;
      log(`ERR [double] HLS handler: ${e.message}`);
      if (!res.headersSent) sendError(res, 500, e.message);
      else res.destroy();
    });
  }

  function sendError(res: ServerResponse, status: number, message: string) {
    const text = errBody(message);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  /** gin's answer when no handler wrote anything. */
  function ginNotFound(res: ServerResponse) {
    res.writeHead(404, { 'Content-Type': 'text/plain', 'Content-Length': 18 });
    res.end('404 page not found');
  }

  function sendPlaylist(res: ServerResponse, text: string) {
    // gohlslib sets its own Cache-Control; MediaMTX's responseWriterNoCache overrides it on every 200.
    res.writeHead(200, { 'Cache-Control': 'private, no-cache', 'Content-Type': 'application/vnd.apple.mpegurl', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  /** gohlslib's bare status answers (no body). */
  function emptyAnswer(res: ServerResponse, status: number) {
    if (res.destroyed) return;
    res.writeHead(status, { 'Content-Length': 0 });
    res.end();
  }

  /**
   * gohlslib's handleMediaPlaylist for the fMP4 variants. Low-Latency HLS: `_HLS_msn` (with an
   * optional `_HLS_part`) blocks until that part exists, 400 when it is more than one segment ahead or
   * already gone, `_HLS_part` alone is 400, `_HLS_skip=YES|v2` gives a delta update. The playlist's
   * URIs carry the request's query without its `_HLS_` parameters. `fmp4` ignores all of these.
   */
  async function fmp4Playlist(m: Muxer, fname: string, url: URL, res: ServerResponse): Promise<void> {
    const mux = fname === 'video1_stream.m3u8' ? m.fmp4 : fname === 'audio2_stream.m3u8' ? m.audio : null;
    if (!mux) return ginNotFound(res);
    const q = new URLSearchParams(url.search);
    const msn = q.get('_HLS_msn') ?? '';
    const part = q.get('_HLS_part') ?? '';
    const skip = q.get('_HLS_skip') ?? '';
    for (const k of [...q.keys()]) if (k.startsWith('_HLS_')) q.delete(k);
    const rawQuery = goValuesEncode(q);
    const lowLatency = config.variant === 'lowLatency';
    const delta = lowLatency && (skip === 'YES' || skip === 'v2');
    if (lowLatency) {
      const uint = /^\d+$/;
      if ((msn !== '' && !uint.test(msn)) || (part !== '' && !uint.test(part))) return emptyAnswer(res, 400);
      if (msn !== '') {
        const [n, p] = [Number(msn), Number(part || '0')];
        let refused = false;
        const ok = await waitFor(m, res, () => (refused = mux.msnRefused(n)) || (mux.hasContent() && mux.hasPart(n, p)));
        if (!ok) return emptyAnswer(res, 500);
        if (refused) return emptyAnswer(res, 400);
        return sendPlaylist(res, mux.mediaPlaylist(rawQuery, delta));
      }
      if (part !== '') return emptyAnswer(res, 400);
    }
    if (!(await waitFor(m, res, () => mux.hasContent()))) return emptyAnswer(res, 500);
    return sendPlaylist(res, mux.mediaPlaylist(rawQuery, delta));
  }

  /** Init segment, segments and parts of an fMP4 muxer; the preload hint's part blocks until it exists. */
  async function fmp4File(m: Muxer, fname: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const mux = [m.fmp4, m.audio].find((x) => x !== null && (x.file(fname) !== null || x.isHint(fname)));
    if (!mux) return ginNotFound(res);
    if (mux.isHint(fname)) {
      const id = mux.partId(fname)!;
      if (!(await waitFor(m, res, () => mux.nextPartId() > id))) return emptyAnswer(res, 500);
    }
    const body = mux.file(fname);
    if (!body) return ginNotFound(res);
    // MediaMTX itself ignores Range (io.Copy); the double honours a single range so a proxy's pass-through is testable.
    const range = parseRange(req.headers.range, body.length);
    const headers: Record<string, string | number> = { 'Cache-Control': 'private, no-cache', 'Content-Type': 'video/mp4', 'Accept-Ranges': 'bytes' };
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'Content-Range': `bytes */${body.length}`, 'Content-Length': 0 });
      return void res.end();
    }
    if (range) {
      res.writeHead(206, { ...headers, 'Content-Range': `bytes ${range.start}-${range.end}/${body.length}`, 'Content-Length': range.end - range.start + 1 });
      return void res.end(body.subarray(range.start, range.end + 1));
    }
    res.writeHead(200, { ...headers, 'Content-Length': body.length });
    res.end(body);
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      res.writeHead(204, { 'Access-Control-Allow-Methods': 'OPTIONS, GET', 'Access-Control-Allow-Headers': 'Authorization, Range' });
      return void res.end();
    }
    if (req.method !== 'GET') return ginNotFound(res);
    let decoded: string;
    try {
      decoded = decodeURIComponent(url.pathname); // Go's URL.Path
    } catch {
      return sendError(res, 400, 'invalid URL escape');
    }
    const pa = decoded.slice(1);
    let kind: 'index' | 'multivariant' | 'media' | 'segment';
    let dir: string;
    let fname = '';
    if (pa.endsWith('/hls.min.js') || pa === '' || pa === 'favicon.ico' || pa.endsWith('/hls.min.js.map')) return ginNotFound(res);
    if (pa.endsWith('.m3u8')) {
      dir = posix.dirname(pa);
      fname = posix.basename(pa);
      kind = fname === 'index.m3u8' ? 'multivariant' : 'media';
    } else if (pa.endsWith('.ts') || pa.endsWith('.mp4') || pa.endsWith('.mp')) {
      dir = posix.dirname(pa);
      fname = posix.basename(pa);
      if (fname.endsWith('.mp')) fname += '4';
      kind = 'segment';
    } else {
      if (!pa.endsWith('/')) {
        const rawQuery = url.search.slice(1);
        res.writeHead(302, { Location: `/${goClean(decoded).replace(/^[/\\]+/, '')}/${rawQuery !== '' ? `?${rawQuery}` : ''}` });
        return void res.end();
      }
      dir = pa.slice(0, -1);
      kind = 'index';
    }

    if (kind === 'index') {
      if (!options.isConfigured(dir)) return sendError(res, 500, `path '${dir}' is not configured`);
      const auth = options.canRead(req);
      if (!auth.ok) {
        if (auth.ask) res.setHeader('WWW-Authenticate', 'Basic realm="mediamtx"');
        return sendError(res, 401, 'authentication error');
      }
      const page = '<!DOCTYPE html><html><body>MediaMTX test double: HLS player page</body></html>';
      res.writeHead(200, { 'Cache-Control': 'max-age=3600', 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(page) });
      return void res.end(page);
    }

    if (kind === 'multivariant') {
      const q = new URLSearchParams(url.search);
      if (q.get('cookieCheck') !== '1') {
        res.setHeader('Set-Cookie', 'cookieCheck=1; HttpOnly; Secure; SameSite=None; Partitioned');
        q.set('cookieCheck', '1');
        res.writeHead(302, { Location: sanitizeLocation(decoded, goValuesEncode(q)) });
        return void res.end();
      }
      q.delete('cookieCheck');
      // session.initialize → pathManager.AddReader: configured? allowed? a stream?
      if (!options.isConfigured(dir)) return sendError(res, 500, `path '${dir}' is not configured`);
      const auth = options.canRead(req);
      if (!auth.ok) {
        if (auth.ask) res.setHeader('WWW-Authenticate', 'Basic realm="mediamtx"');
        return sendError(res, 401, 'authentication error');
      }
      if (!sources.has(dir) && (await options.onDemand?.(dir)) === 'timed_out') return sendError(res, 500, `source of path '${dir}' has timed out`);
      if (res.destroyed) return; // the reader left while the path's publisher started
      const src = sources.get(dir);
      if (!src) return sendError(res, 404, `no stream is available on path '${dir}'`);
      const m = muxers.get(dir) ?? createMuxer(src);
      m.lastRequest = Date.now();
      const session: Session = { uuid: randomUUID(), secret: randomUUID(), ip: remoteIp(req), lastRequest: Date.now() };
      m.sessions.set(session.secret, session);
      log(`INF [HLS] [session ${session.uuid.slice(0, 8)}] created by ${remoteIp(req)}:${req.socket.remotePort}`);
      changed(dir);
      if (cookiesOf(req).get('cookieCheck') === '1') {
        res.setHeader('Set-Cookie', `${SESSION_COOKIE_NAME}=${session.secret}; HttpOnly; Secure; SameSite=None; Partitioned`);
      } else {
        q.set(SESSION_QUERY_PARAM, session.secret);
      }
      if (!(await waitFor(m, res, () => hasContent(m)))) return emptyAnswer(res, 500);
      return sendPlaylist(res, multivariant(m, goValuesEncode(q)));
    }

    // Media playlists and segments: an existing muxer and one of its sessions (same client IP).
    const m = muxers.get(dir);
    if (!m) return sendError(res, 401, 'authentication error');
    const secret = cookiesOf(req).get(SESSION_COOKIE_NAME) ?? url.searchParams.get(SESSION_QUERY_PARAM) ?? '';
    const session = m.sessions.get(secret.toLowerCase());
    if (session?.ip !== remoteIp(req)) return sendError(res, 401, 'authentication error');
    session.lastRequest = Date.now();
    m.lastRequest = Date.now();

    if (fmp4Variant) return kind === 'media' ? fmp4Playlist(m, fname, url, res) : fmp4File(m, fname, req, res);

    if (kind === 'media') {
      if (fname !== 'main_stream.m3u8') return ginNotFound(res);
      if (!(await waitFor(m, res, () => hasContent(m)))) return emptyAnswer(res, 500);
      return sendPlaylist(res, mediaPlaylist(m, url.search.slice(1)));
    }

    const seg = shown(m).find((s) => s.uri === fname);
    if (!seg) return ginNotFound(res);
    const file = join(m.source.dir, seg.file);
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch {
      return ginNotFound(res);
    }
    // MediaMTX itself ignores Range (io.Copy); the double honours a single range so a proxy's pass-through is testable.
    const range = parseRange(req.headers.range, size);
    const headers: Record<string, string | number> = { 'Cache-Control': 'private, no-cache', 'Content-Type': 'video/mp2t', 'Accept-Ranges': 'bytes' };
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}`, 'Content-Length': 0 });
      return void res.end();
    }
    const stream = createReadStream(file, range ? { start: range.start, end: range.end } : {});
    stream.once('error', () => res.destroy());
    await new Promise<void>((resolve) => {
      stream.once('open', () => {
        if (range) res.writeHead(206, { ...headers, 'Content-Range': `bytes ${range.start}-${range.end}/${size}`, 'Content-Length': range.end - range.start + 1 });
        else res.writeHead(200, { ...headers, 'Content-Length': size });
        stream.pipe(res);
        resolve();
      });
      stream.once('error', () => {
        if (!res.headersSent) ginNotFound(res);
        resolve();
      });
    });
  }

  return {
    handle,
    control,
    readers: (name) => [...(muxers.get(name)?.sessions.values() ?? [])].map((s) => ({ type: 'hlsSession', id: s.uuid })),
    publishingSince: (name) => sources.get(name)?.since ?? null,
    pathReset(name) {
      const m = muxers.get(name);
      if (m) closeMuxer(m, 'path reloaded');
    },
    requests,
    async close() {
      clearInterval(cleanup);
      await Promise.all([...sources.values()].map(stopSource));
      for (const m of [...muxers.values()]) closeMuxer(m, 'terminated');
    },
    killAllSync() {
      clearInterval(cleanup);
      for (const src of sources.values()) {
        src.stopping = true;
        // FFmpeg now, the watchdog shell then removes the folder once FFmpeg is gone.
        if (src.ffmpegPid !== null) killQuietly(src.ffmpegPid, 'SIGKILL');
        else killQuietly(src.child.pid, 'SIGTERM');
        try {
          rmSync(src.dir, { recursive: true, force: true });
        } catch {
          // FFmpeg was still writing; the watchdog removes it
        }
      }
    },
  };
}
