import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { SettingsDoc } from '../../domain/settings.js';
import type { Output, Transmission } from '../../domain/transmission.js';
import { signalGroup } from '../../process/groups.js';
import type { Supervisor } from '../../process/types.js';
import type { DemandTracker } from '../../runtime/demand.js';
import { jpegSize } from '../../runtime/jpeg.js';
import { createOutputWatch, OUTPUT_STALL_MS, type OutputActivity } from '../../runtime/output-watch.js';
import type { PlaceholderReason, Placeholders } from '../../runtime/placeholder.js';
import type { RuntimeRegistry } from '../../runtime/transmission-state.js';
import { ApiError } from '../../shared/errors.js';
import type { MediaScope } from '../tokens.js';
import { jsmpegOutputSize } from './args.js';
import { startSession, type Session, type SessionDeps } from './session.js';
import { closeAtLimit, closeSocket, JSMPEG_CLOSE, startKeepalive } from './socket.js';

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
 * Refusals BEFORE the handshake, as HTTP JSON on the raw socket (`{"error":{code,message,field}}`):
 * first the edge's (api/ws/media.ts): 401/403 token (the token is checked first, so an anonymous
 * client learns nothing about which paths exist; scope: transport `jsmpeg` and exactly the requested
 * path), 404 not an engine path; then {@link JsmpegSessions.admit}: 503 shutting down; 404 unknown
 * path; 403 a token of another transmission; 409 transmission disabled / fallback disabled
 * (`streaming.jsmpeg.enabled`).
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

export interface JsmpegSessionsOptions {
  supervisor: Supervisor;
  logger: Logger;
  ffmpegPath?: string;
  registry: RuntimeRegistry;
  demand: Pick<DemandTracker, 'acquire'>;
  placeholders: Placeholders;
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

interface JsmpegSessionInfo {
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

interface JsmpegCounters {
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
  /**
   * Admits a viewer whose token the edge checked for this path: throws ApiError (503, 404, 403, 409),
   * else takes its slot; `open` starts the session on the accepted socket (or closes it with 4429
   * at a session limit), `abandon` frees the slot of a handshake that never completed.
   */
  admit(viewer: { path: string; scope: MediaScope }): { open(ws: WebSocket): void; abandon(): void };
  /** Counts a refusal at the edge (`counters.refused`). */
  noteRefused(): void;
  /** Closes every session (1001) and waits until every FFmpeg is gone. */
  close(): Promise<void>;
  sessions(): JsmpegSessionInfo[];
  /** Sessions (including ones being set up), of one transmission or all. */
  count(transmissionId?: string): number;
  counters: JsmpegCounters;
}

interface Target {
  t: Transmission;
  o: Output;
}

export function createJsmpegSessions(opts: JsmpegSessionsOptions): JsmpegSessions {
  const { supervisor, registry, demand, placeholders, doc } = opts;
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

  const stopKeepalive = startKeepalive({
    intervalMs: pingIntervalMs,
    sockets: () => sessions.values(),
    onMissed: (p) => log.info({ session: (p as Session).name }, 'jsmpeg client missed a keepalive pong; terminating'),
  });

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
      if (!enabled) closeSocket(s.ws, JSMPEG_CLOSE.GONE, 'the jsmpeg fallback was disabled');
      else if (target?.t.id !== s.txId || !target.t.enabled) closeSocket(s.ws, JSMPEG_CLOSE.GONE, 'this stream was removed or disabled');
    }
  }, checkIntervalMs);
  check.unref();

  const deps: SessionDeps = {
    supervisor,
    ffmpegPath,
    registry,
    demand,
    placeholders,
    maxBufferedBytes,
    slowClientTimeoutMs,
    maxRestarts,
    now,
    log,
    counters,
    ended: (s, stopped) => {
      sessions.delete(s.id);
      const p = stopped.finally(() => stopping.delete(p));
      stopping.add(p);
    },
  };

  /** Starts a session on its accepted socket, unless the server closed (or the slot was freed) meanwhile. */
  function open(s: Session, ws: WebSocket): void {
    if (closing || !sessions.has(s.id)) {
      ws.close(JSMPEG_CLOSE.SHUTDOWN, 'server shutting down');
      return;
    }
    try {
      startSession(s, ws, deps);
    } catch (err) {
      log.error({ session: s.name, err: err instanceof Error ? err.message : String(err) }, 'jsmpeg session could not start');
      sessions.delete(s.id);
      s.ws = ws;
      closeSocket(ws, JSMPEG_CLOSE.ENCODER_FAILED, 'jsmpeg encoder could not start');
    }
  }

  function admit({ path, scope }: { path: string; scope: MediaScope }): { open(ws: WebSocket): void; abandon(): void } {
    if (closing) throw new ApiError(503, 'shutting_down', 'the server is shutting down');
    const target = findTarget(path);
    if (!target) throw new ApiError(404, 'not_found', `no stream at path "${path}"`, 'path');
    if (target.t.id !== scope.transmission_id) throw new ApiError(403, 'token_scope', 'media_token is not valid for this transmission', 'media_token');
    if (!target.t.enabled) throw new ApiError(409, 'transmission_disabled', `transmission "${target.t.id}" is disabled`, 'enabled');
    const j = doc().streaming.jsmpeg;
    if (!j.enabled) throw new ApiError(409, 'jsmpeg_disabled', 'the JSMpeg fallback is disabled in the streaming settings', 'streaming.jsmpeg.enabled');
    const limit =
      count() >= j.max_sessions
        ? `jsmpeg session limit reached (global ${j.max_sessions})`
        : count(target.t.id) >= j.max_sessions_per_transmission
          ? `jsmpeg session limit reached (${j.max_sessions_per_transmission} per transmission)`
          : null;
    if (limit !== null) {
      counters.limited++;
      log.info({ path, reason: limit }, 'jsmpeg session refused: limit');
      return { open: (ws) => closeAtLimit(ws, limit), abandon: () => {} };
    }
    const o = target.o;
    const current = registry.get(target.t.id)?.frame(now()).jpeg;
    const aspect = o.width && o.height ? { width: o.width, height: o.height } : current ? jpegSize(current) : null;
    const id = ++seq;
    const name = `jsmpeg:${path}:${id}`;
    const s: Session = {
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
    // The slot is taken now, so concurrent upgrades cannot overshoot the limits.
    sessions.set(s.id, s);
    return {
      open: (ws) => open(s, ws),
      abandon: () => {
        if (!s.ws) sessions.delete(s.id); // the handshake never completed
      },
    };
  }

  return {
    admit,
    noteRefused: () => {
      counters.refused++;
    },
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
      stopKeepalive();
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
    },
  };
}
