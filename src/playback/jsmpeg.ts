import type { IncomingMessage } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { ENGINE_PATH_RE } from '../domain/engine-path.js';
import type { SettingsDoc } from '../domain/settings.js';
import type { Output, Transmission } from '../domain/transmission.js';
import { refuseUpgrade } from '../api/upgrade.js';
import { ApiError } from '../shared/errors.js';
import { MEDIA_BACKOFF } from '../process/backoff.js';
import { signalGroup } from '../process/groups.js';
import type { ChildHandle, Supervisor } from '../process/types.js';
import type { DemandTracker } from '../runtime/demand.js';
import { jpegSize } from '../runtime/jpeg.js';
import type { PlaceholderReason, Placeholders } from '../runtime/placeholder.js';
import { startFramePump, type FramePumpCounters } from '../runtime/frame-pump.js';
import { createOutputWatch, OUTPUT_STALL_MS, type OutputActivity, type OutputWatch } from '../runtime/output-watch.js';
import type { FrameView, RuntimeRegistry } from '../runtime/transmission-state.js';
import { CAMERA_WARMUP_MS, placeholderReasonFor } from './still.js';
import type { MediaTokens } from './tokens.js';

/**
 * JSMpeg fallback sessions: the last-resort browser transport.
 *
 *   GET /api/streams/media/jsmpeg/<engine path>/ws?media_token=...   (Upgrade: websocket; the path may contain "/")
 *
 * One FFmpeg per WebSocket (`jsmpeg:<path>:<n>`), fed with the transmission's selected frames (a
 * peek: the publisher stays the one consumer) or the explicit placeholder (the registry's reason for
 * writers; `warming_up` then `offline` for a camera source), at `streaming.jsmpeg.fps`, contained in
 * `jsmpeg.width` x (height from the aspect ratio, even). It encodes H.264 (constrained baseline,
 * yuv420p, zerolatency, one keyframe a second) into MPEG-TS on stdout with `-flush_packets 1`, and
 * every stdout chunk goes to the browser as one binary message (mpegts.js plays them). It never pulls a
 * camera: it holds `demand.acquire(transmission)` for its whole life, so the runtime decodes the
 * camera (one connection, through the engine) or starts the writers' publisher.
 *
 * Refusals BEFORE the handshake, as HTTP JSON on the raw socket (`{"error":{code,message,field}}`),
 * in this order: 503 shutting down; 401/403 token (the token is checked first, so an anonymous client
 * learns nothing about which paths exist; scope: transport `jsmpeg` and exactly the requested path);
 * 404 unknown path; 409 transmission disabled / fallback disabled (`streaming.jsmpeg.enabled`).
 *
 * Session limits (global `max_sessions`, per transmission `max_sessions_per_transmission`): the
 * socket is ACCEPTED and closed at once with close code 4429 and a reason such as
 * "jsmpeg session limit reached (global 8)". Decided so because a browser never sees the HTTP status
 * of a refused handshake (only a bare 1006), while it does see a close code and reason: the player
 * shows the reason and falls back instead of retrying blindly.
 *
 * Other close codes from the server: 1000 never; 1001 server shutting down; 1011 the encoder died
 * `maxRestarts + 1` times in a row without sending a byte in between (reason carries FFmpeg's last
 * error line); 4404 the stream was removed or disabled (or the fallback was turned off) during the
 * session; 4008 the client did not read for `slowClientTimeoutMs`. A peer that misses a keepalive pong
 * is terminated (1006).
 *
 * An encoder killed from outside (the OOM killer) is restarted as often as it takes while the source
 * lives (its end is the 4404, checked apart): each run that sent bytes is marked healthy, which ends
 * its crash streak, so only an encoder that cannot produce anything (a broken FFmpeg) closes the viewer.
 *
 * An encoder that takes frames but produces nothing for `outputStallMs` (a wedged FFmpeg, or one
 * stopped with SIGSTOP; see runtime/output-watch.ts) is reported as stalled (`output` in the session
 * info and the runtime health) and killed, so the supervisor starts a fresh one: a new process has no
 * parser or decoder state left from whatever wedged the old one, and the viewer's socket stays open.
 * While the socket's reader is paused (backpressure, below) no output is owed.
 *
 * Backpressure: TS output cannot be dropped mid-stream without corrupting it, so when the socket's
 * `bufferedAmount` passes `maxBufferedBytes` the FFmpeg stdout is paused. FFmpeg then blocks on its
 * stdout pipe, stops reading stdin, and the frame pump skips frames (counted) instead of queueing
 * them. Memory per session stays bounded by `maxBufferedBytes` + one pipe chunk + one stdin frame.
 */

export const JSMPEG_WS_PREFIX = '/api/streams/media/jsmpeg/';
const PATH_RE = /^\/api\/streams\/media\/jsmpeg\/(.+)\/ws\/?$/;

export const JSMPEG_CLOSE = {
  SHUTDOWN: 1001,
  ENCODER_FAILED: 1011,
  GONE: 4404,
  TOO_SLOW: 4008,
  LIMIT: 4429,
} as const;

export interface JsmpegEncodeOptions {
  width: number;
  height: number;
  fps: number;
}

/**
 * The fallback encoder (pure). JPEGs in on stdin with wall-clock timestamps (the pump paces them at
 * `fps`, so no fps filter: FFmpeg's fps filter holds frames back, about 0.4 s more before the first
 * byte); the MJPEG demuxer without probing; scaled to fit and padded to the exact output size so a
 * change of input size (placeholder to camera) never changes the stream's size.
 */
export function jsmpegArgs({ width, height, fps }: JsmpegEncodeOptions): string[] {
  const gop = String(Math.max(1, Math.round(fps)));
  return [
    '-hide_banner', '-loglevel', 'error', '-nostats',
    '-probesize', '32', '-analyzeduration', '0', '-use_wallclock_as_timestamps', '1', '-f', 'mjpeg', '-i', 'pipe:0',
    '-an', '-sn', '-dn',
    '-vf', `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:color=black,format=yuv420p`,
    '-fps_mode', 'passthrough',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p',
    '-g', gop, '-keyint_min', gop, '-sc_threshold', '0', '-bf', '0',
    '-crf', '26', '-maxrate', '1500k', '-bufsize', '1500k',
    '-f', 'mpegts', '-flush_packets', '1', '-muxdelay', '0', '-muxpreload', '0', 'pipe:1',
  ];
}

const even = (n: number) => Math.round(n / 2) * 2;

/** Output size: the configured width (made even), the height from the source's aspect ratio (even, 16..4320). */
export function jsmpegOutputSize(width: number, aspect: { width: number; height: number } | null): { width: number; height: number } {
  const w = Math.max(16, even(width));
  const a = aspect && aspect.width > 0 && aspect.height > 0 ? aspect : { width: 16, height: 9 };
  return { width: w, height: Math.min(4320, Math.max(16, even((w * a.height) / a.width))) };
}

export interface OutputGateOptions {
  socket: { readonly bufferedAmount: number };
  highWaterBytes: number;
  /** Resume below this. Default a quarter of the high water mark. */
  lowWaterBytes?: number;
  /** How often a paused gate looks at the socket again. Default 25 ms. */
  pollMs?: number;
  /** Paused without a break this long: `onTooSlow`. */
  tooSlowMs: number;
  onTooSlow: () => void;
  now?: () => number;
}

/**
 * Pauses a readable (FFmpeg's stdout) while the socket it is sent to has too much buffered, and
 * resumes it once the socket has drained. Exported for tests.
 */
export function createOutputGate(opts: OutputGateOptions) {
  const now = opts.now ?? Date.now;
  const low = opts.lowWaterBytes ?? Math.floor(opts.highWaterBytes / 4);
  const pollMs = opts.pollMs ?? 25;
  let source: Readable | null = null;
  let paused = false;
  let pausedSince = 0;
  let pauses = 0;
  let pausedMs = 0;
  let timer: NodeJS.Timeout | null = null;
  let slowReported = false;

  const resume = () => {
    if (!paused) return;
    paused = false;
    pausedMs += now() - pausedSince;
    if (timer) clearInterval(timer);
    timer = null;
    source?.resume();
  };
  const check = () => {
    if (opts.socket.bufferedAmount <= low) return resume();
    if (!slowReported && now() - pausedSince >= opts.tooSlowMs) {
      slowReported = true;
      opts.onTooSlow();
    }
  };
  return {
    /** The current stdout (a new one after each restart); it inherits the paused state. */
    setSource(readable: Readable) {
      source = readable;
      if (paused) readable.pause();
    },
    /** Called after each send. */
    afterSend() {
      if (paused || opts.socket.bufferedAmount <= opts.highWaterBytes) return;
      paused = true;
      pausedSince = now();
      pauses++;
      source?.pause();
      timer = setInterval(check, pollMs);
    },
    paused: () => paused,
    stats: () => ({ paused, pauses, paused_ms: pausedMs + (paused ? now() - pausedSince : 0) }),
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}

export interface JsmpegSessionsOptions {
  supervisor: Supervisor;
  logger: Logger;
  ffmpegPath?: string;
  registry: RuntimeRegistry;
  demand: Pick<DemandTracker, 'acquire'>;
  placeholders: Placeholders;
  tokens: Pick<MediaTokens, 'verify'>;
  /** The settings document (`store.get`): transmissions and `streaming.jsmpeg`, read on every upgrade. */
  doc: () => Pick<SettingsDoc, 'transmissions' | 'streaming'>;
  /** Socket buffer above which FFmpeg's output is paused. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** A client that has not read anything for this long is closed (4008, as the MSE relay). Default 15 s. */
  slowClientTimeoutMs?: number;
  /** Keepalive ping period; 0 disables. Default 15 s. */
  pingIntervalMs?: number;
  /** How often running sessions are checked against the settings (stream removed/disabled). Default 5 s. */
  checkIntervalMs?: number;
  /** Restarts of an encoder that keeps dying without output before the session is closed with 1011. Default 5. */
  maxRestarts?: number;
  /** Frames going in and no output for this long: the session is stalled and its encoder restarted. Default OUTPUT_STALL_MS (5 s). */
  outputStallMs?: number;
  now?: () => number;
}

export interface JsmpegSessionInfo {
  id: number;
  name: string;
  transmission_id: string;
  output_id: string;
  path: string;
  started_at: string;
  age_ms: number;
  width: number;
  height: number;
  fps: number;
  /** From the handshake to the first TS byte sent; null before it. */
  first_byte_ms: number | null;
  bytes_sent: number;
  messages_sent: number;
  frames_written: number;
  frames_skipped: number;
  backpressure: { paused: boolean; pauses: number; paused_ms: number };
  /** What the session shows right now: the transmission's frames, or a placeholder and its reason. */
  showing: 'frame' | PlaceholderReason | null;
  encoder: { state: string; pid: number | null; restarts: number; last_error_line: string | null } | null;
  /** The encoder's output activity: a stall is frames going in and nothing coming out. */
  output: OutputActivity;
}

export interface JsmpegCounters {
  accepted: number;
  refused: number;
  limited: number;
  encoder_failures: number;
  too_slow: number;
  closed: number;
  /** Encoders restarted because they produced nothing while frames went in. */
  output_stalls: number;
}

export interface JsmpegSessions {
  /** True when the URL is a JSMpeg WebSocket and the socket was taken (answered or upgraded); false leaves it to the caller. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Closes every session (1001) and waits until every FFmpeg is gone. */
  close(): Promise<void>;
  sessions(): JsmpegSessionInfo[];
  /** Sessions (including ones being set up), of one transmission or all. */
  count(transmissionId?: string): number;
  counters: JsmpegCounters;
}


/** A close reason fits in 123 bytes. */
const clip = (reason: string) => {
  let r = reason;
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -1);
  return r;
};

interface Target {
  t: Transmission;
  o: Output;
}

interface Session {
  id: number;
  name: string;
  txId: string;
  outputId: string;
  path: string;
  input: Transmission['input'];
  startedAt: number;
  size: { width: number; height: number };
  fps: number;
  ws: WebSocket | null;
  handle: ChildHandle | null;
  counters: FramePumpCounters;
  bytesSent: number;
  messagesSent: number;
  firstByteMs: number | null;
  alive: boolean;
  gate: ReturnType<typeof createOutputGate> | null;
  /** What the pump last found: a frame, or the placeholder reason. */
  showing: 'frame' | PlaceholderReason | null;
  watch: OutputWatch;
  end: () => void;
}

export function createJsmpegSessions(opts: JsmpegSessionsOptions): JsmpegSessions {
  const { supervisor, registry, demand, placeholders, tokens, doc } = opts;
  const ffmpegPath = opts.ffmpegPath ?? 'ffmpeg';
  const maxBufferedBytes = opts.maxBufferedBytes ?? 1024 * 1024;
  const slowClientTimeoutMs = opts.slowClientTimeoutMs ?? 15_000;
  const pingIntervalMs = opts.pingIntervalMs ?? 15_000;
  const checkIntervalMs = opts.checkIntervalMs ?? 5_000;
  const maxRestarts = opts.maxRestarts ?? 5;
  const outputStallMs = opts.outputStallMs ?? OUTPUT_STALL_MS;
  const now = opts.now ?? Date.now;
  const log = opts.logger.child({ component: 'jsmpeg' });
  if (!Number.isInteger(maxBufferedBytes) || maxBufferedBytes < 16 * 1024) throw new RangeError('jsmpeg: maxBufferedBytes must be an integer >= 16384');

  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false, clientTracking: false });
  const sessions = new Map<number, Session>();
  const stopping = new Set<Promise<void>>();
  const counters: JsmpegCounters = { accepted: 0, refused: 0, limited: 0, encoder_failures: 0, too_slow: 0, closed: 0, output_stalls: 0 };
  let seq = 0;
  let closing = false;

  const count = (txId?: string) => {
    let n = 0;
    for (const s of sessions.values()) if (txId === undefined || s.txId === txId) n++;
    return n;
  };

  function findTarget(path: string): Target | null {
    for (const t of doc().transmissions) for (const o of t.outputs) if (o.engine_path === path && o.enabled) return { t, o };
    return null;
  }

  function closeWith(s: Session, code: number, reason: string): void {
    const ws = s.ws;
    if (!ws || ws.readyState === ws.CLOSED || ws.readyState === ws.CLOSING) return;
    ws.close(code, clip(reason));
    // A peer that never answers the close handshake does not keep the session.
    setTimeout(() => ws.terminate(), 2_000).unref();
  }

  function start(s: Session, ws: WebSocket): void {
    s.ws = ws;
    const state = registry.ensure(s.txId);
    const handle = supervisor.start({
      name: s.name,
      command: ffmpegPath,
      args: jsmpegArgs({ ...s.size, fps: s.fps }),
      stdin: 'pipe',
      stdout: 'pipe',
      restart: 'on-crash',
      maxRestarts,
      backoff: MEDIA_BACKOFF,
      stop: { signal: 'SIGTERM', timeoutMs: 2000 },
    });
    s.handle = handle;
    counters.accepted++;
    const release = demand.acquire(s.txId);
    const gate = createOutputGate({
      socket: ws,
      highWaterBytes: maxBufferedBytes,
      tooSlowMs: slowClientTimeoutMs,
      now,
      onTooSlow: () => {
        counters.too_slow++;
        log.warn({ session: s.name, buffered: ws.bufferedAmount }, 'jsmpeg client too slow: closing');
        closeWith(s, JSMPEG_CLOSE.TOO_SLOW, `jsmpeg client too slow (nothing read for ${Math.round(slowClientTimeoutMs / 1000)} s)`);
      },
    });
    s.gate = gate;

    handle.onStart(() => {
      const out = handle.stdout();
      if (!out) return;
      gate.setSource(out);
      out.on('data', (chunk: Buffer) => {
        // Output proves this encoder run works: only deaths with no output in between count towards 1011.
        handle.markHealthy();
        s.watch.output();
        if (ws.readyState !== ws.OPEN) return;
        if (s.firstByteMs === null) {
          s.firstByteMs = now() - s.startedAt;
          log.info({ session: s.name, first_byte_ms: s.firstByteMs }, 'jsmpeg first bytes');
        }
        ws.send(chunk, { binary: true });
        s.bytesSent += chunk.length;
        s.messagesSent++;
        gate.afterSend();
      });
    });
    handle.onExit((exit) => {
      const st = handle.status();
      if (st.state !== 'failed') return;
      counters.encoder_failures++;
      log.warn({ session: s.name, exit, last_error_line: st.last_error_line }, 'jsmpeg encoder failed: closing the session');
      closeWith(s, JSMPEG_CLOSE.ENCODER_FAILED, `jsmpeg encoder failed${st.last_error_line ? `: ${st.last_error_line}` : ''}`);
    });

    const reasonOf = (f: FrameView) => placeholderReasonFor(s.input, f.reason, now() - s.startedAt >= CAMERA_WARMUP_MS);
    const pump = startFramePump({
      state,
      read: (t) => {
        const f = state.frame(t);
        s.showing = f.jpeg ? 'frame' : reasonOf(f);
        return f;
      },
      fps: s.fps,
      width: s.size.width,
      height: s.size.height,
      placeholders,
      placeholderReason: reasonOf,
      stdin: () => {
        s.watch.input(); // every frame offered, written or skipped
        return handle.stdin();
      },
      counters: s.counters,
      now,
      pace: 'paced',
      eager: true,
      onPlaceholderError: (err) => log.warn({ err: err instanceof Error ? err.message : String(err), session: s.name }, 'placeholder render failed'),
    });

    let ended = false;
    s.end = () => {
      if (ended) return;
      ended = true;
      sessions.delete(s.id);
      counters.closed++;
      pump.stop();
      gate.stop();
      release();
      // EOF first: FFmpeg blocked reading its stdin pipe does not act on SIGTERM until the read returns.
      handle.stdin()?.end();
      const p = handle.stop().finally(() => stopping.delete(p));
      stopping.add(p);
    };

    ws.on('pong', () => (s.alive = true));
    ws.on('message', () => (s.alive = true)); // nothing is expected from the player; anything proves it alive
    ws.on('error', (err: Error & { code?: string }) => log.info({ session: s.name, code: err.code, err: err.message }, 'jsmpeg socket error'));
    ws.on('close', (code, reason) => {
      s.end();
      log.info(
        { session: s.name, code, reason: reason.toString(), bytes_sent: s.bytesSent, first_byte_ms: s.firstByteMs, frames_written: s.counters.frames_written, frames_skipped: s.counters.frames_skipped, ...gate.stats() },
        'jsmpeg session closed',
      );
    });
    log.info({ session: s.name, transmission_id: s.txId, output_id: s.outputId, width: s.size.width, height: s.size.height, fps: s.fps }, 'jsmpeg session started');
  }

  const ping =
    pingIntervalMs > 0
      ? setInterval(() => {
          for (const s of sessions.values()) {
            const ws = s.ws;
            if (!ws || ws.readyState !== ws.OPEN) continue;
            if (!s.alive) {
              log.info({ session: s.name }, 'jsmpeg client missed a keepalive pong; terminating');
              ws.terminate();
              continue;
            }
            s.alive = false;
            ws.ping();
          }
        }, pingIntervalMs)
      : null;
  ping?.unref();

  /** Restarts the encoder of a session whose output stalled (see output-watch.ts). */
  const stallCheck = setInterval(
    () => {
      for (const s of sessions.values()) {
        if (!s.handle || !s.gate) continue;
        if (s.gate.paused()) s.watch.hold();
        const st = s.handle.status();
        if (st.state !== 'running' || st.pid === null || !s.watch.due()) continue;
        counters.output_stalls++;
        log.warn({ session: s.name, pid: st.pid, no_output_for_ms: s.watch.view().no_output_for_ms }, 'jsmpeg encoder produces no output while frames go in: restarting it');
        // SIGKILL: a wedged or stopped FFmpeg has nothing worth flushing; the supervisor starts a fresh one.
        signalGroup(st.pid, 'SIGKILL');
      }
    },
    Math.min(1000, Math.max(50, outputStallMs / 4)),
  );
  stallCheck.unref();

  const check = setInterval(() => {
    const enabled = doc().streaming.jsmpeg.enabled;
    for (const s of sessions.values()) {
      if (!s.ws) continue;
      const target = findTarget(s.path);
      if (!enabled) closeWith(s, JSMPEG_CLOSE.GONE, 'the jsmpeg fallback was disabled');
      else if (!target || target.t.id !== s.txId || !target.t.enabled) closeWith(s, JSMPEG_CLOSE.GONE, 'this stream was removed or disabled');
    }
  }, checkIntervalMs);
  check.unref();

  /** Validates the request; returns the session to start, or the close reason of a limit. */
  function admit(url: URL, rawPath: string): { session: Session } | { limit: string } {
    if (closing) throw new ApiError(503, 'shutting_down', 'the server is shutting down');
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      path = '';
    }
    const scope = tokens.verify(url.searchParams.get('media_token'), { transport: 'jsmpeg', path });
    if (!ENGINE_PATH_RE.test(path)) throw new ApiError(404, 'not_found', `no stream at path "${path.slice(0, 200)}"`, 'path');
    const target = findTarget(path);
    if (!target) throw new ApiError(404, 'not_found', `no stream at path "${path}"`, 'path');
    if (target.t.id !== scope.transmission_id) throw new ApiError(403, 'token_scope', 'media_token is not valid for this transmission', 'media_token');
    if (!target.t.enabled) throw new ApiError(409, 'transmission_disabled', `transmission "${target.t.id}" is disabled`, 'enabled');
    const j = doc().streaming.jsmpeg;
    if (!j.enabled) throw new ApiError(409, 'jsmpeg_disabled', 'the JSMpeg fallback is disabled in the streaming settings', 'streaming.jsmpeg.enabled');
    if (count() >= j.max_sessions) return { limit: `jsmpeg session limit reached (global ${j.max_sessions})` };
    if (count(target.t.id) >= j.max_sessions_per_transmission) {
      return { limit: `jsmpeg session limit reached (${j.max_sessions_per_transmission} per transmission)` };
    }
    const o = target.o;
    const current = registry.get(target.t.id)?.frame(now()).jpeg;
    const aspect = o.width && o.height ? { width: o.width, height: o.height } : current ? jpegSize(current) : null;
    const id = ++seq;
    const name = `jsmpeg:${path}:${id}`;
    const session: Session = {
      id,
      name,
      txId: target.t.id,
      outputId: o.id,
      path,
      input: target.t.input,
      startedAt: now(),
      size: jsmpegOutputSize(j.width, aspect),
      fps: j.fps,
      ws: null,
      handle: null,
      counters: { frames_written: 0, frames_skipped: 0 },
      bytesSent: 0,
      messagesSent: 0,
      firstByteMs: null,
      alive: true,
      gate: null,
      showing: null,
      watch: createOutputWatch({ kind: 'jsmpeg', name, stallMs: outputStallMs, now }),
      end: () => sessions.delete(id),
    };
    return { session };
  }

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://jsmpeg.invalid');
    } catch {
      return false;
    }
    const m = PATH_RE.exec(url.pathname);
    if (!m) return false;
    socket.on('error', () => {});
    const remote = req.socket.remoteAddress;
    try {
      const admitted = admit(url, m[1]!);
      if ('limit' in admitted) {
        counters.limited++;
        log.info({ path: m[1], reason: admitted.limit, remote }, 'jsmpeg session refused: limit');
        wss.handleUpgrade(req, socket, head, (ws) => {
          ws.on('error', () => {});
          ws.close(JSMPEG_CLOSE.LIMIT, admitted.limit);
          setTimeout(() => ws.terminate(), 2_000).unref();
        });
        return true;
      }
      const s = admitted.session;
      // The slot is taken now, so concurrent upgrades cannot overshoot the limits.
      sessions.set(s.id, s);
      socket.once('close', () => {
        if (!s.ws) sessions.delete(s.id); // the handshake never completed
      });
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (closing || !sessions.has(s.id)) {
          ws.close(JSMPEG_CLOSE.SHUTDOWN, 'server shutting down');
          return;
        }
        try {
          start(s, ws);
        } catch (err) {
          log.error({ session: s.name, err: err instanceof Error ? err.message : String(err) }, 'jsmpeg session could not start');
          sessions.delete(s.id);
          s.ws = ws;
          closeWith(s, JSMPEG_CLOSE.ENCODER_FAILED, 'jsmpeg encoder could not start');
        }
      });
    } catch (caught) {
      counters.refused++;
      const err = caught instanceof ApiError ? caught : new ApiError(500, 'internal_error', 'the jsmpeg session could not be set up');
      if (!(caught instanceof ApiError)) log.error({ err: caught instanceof Error ? caught.message : String(caught) }, 'jsmpeg upgrade failed');
      log[err.status === 401 || err.status === 403 ? 'warn' : 'info']({ status: err.status, code: err.code, path: m[1]?.slice(0, 200), remote }, 'jsmpeg upgrade refused');
      refuseUpgrade(socket, err);
    }
    return true;
  }

  return {
    handleUpgrade,
    counters,
    count,
    sessions(): JsmpegSessionInfo[] {
      const t = now();
      return [...sessions.values()]
        .filter((s) => s.ws !== null)
        .map((s) => {
          const st = s.handle?.status();
          return {
            id: s.id,
            name: s.name,
            transmission_id: s.txId,
            output_id: s.outputId,
            path: s.path,
            started_at: new Date(s.startedAt).toISOString(),
            age_ms: t - s.startedAt,
            width: s.size.width,
            height: s.size.height,
            fps: s.fps,
            first_byte_ms: s.firstByteMs,
            bytes_sent: s.bytesSent,
            messages_sent: s.messagesSent,
            frames_written: s.counters.frames_written,
            frames_skipped: s.counters.frames_skipped,
            backpressure: s.gate?.stats() ?? { paused: false, pauses: 0, paused_ms: 0 },
            showing: s.showing,
            encoder: st ? { state: st.state, pid: st.pid, restarts: st.restarts, last_error_line: st.last_error_line } : null,
            output: s.watch.view(),
          };
        });
    },
    async close() {
      closing = true;
      if (ping) clearInterval(ping);
      clearInterval(check);
      clearInterval(stallCheck);
      const all = [...sessions.values()];
      await Promise.all(
        all.map(
          (s) =>
            new Promise<void>((resolve) => {
              const ws = s.ws;
              if (!ws || ws.readyState === ws.CLOSED) {
                s.end();
                return resolve();
              }
              ws.once('close', () => resolve());
              ws.close(JSMPEG_CLOSE.SHUTDOWN, 'server shutting down');
              setTimeout(() => ws.terminate(), 2_000).unref();
            }),
        ),
      );
      await Promise.all([...stopping]);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
