import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { Transmission } from '../../domain/transmission.js';
import { MEDIA_BACKOFF } from '../../process/backoff.js';
import type { ChildHandle, Supervisor } from '../../process/types.js';
import type { DemandTracker } from '../../runtime/demand.js';
import { startFramePump, type FramePumpCounters } from '../../runtime/frame-pump.js';
import type { OutputWatch } from '../../runtime/output-watch.js';
import type { PlaceholderReason, Placeholders } from '../../runtime/placeholder.js';
import type { FrameView, RuntimeRegistry } from '../../runtime/transmission-state.js';
import { CAMERA_WARMUP_MS, placeholderReasonFor } from '../still.js';
import { jsmpegArgs } from './args.js';
import { createOutputGate, type OutputGate } from './gate.js';
import { closeSocket, JSMPEG_CLOSE } from './socket.js';

/** One viewer's session: its slot is taken at admission, its socket and encoder come with the handshake. */
export interface Session {
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
  gate: OutputGate | null;
  /** What the pump last found: a frame, or the placeholder reason. */
  showing: 'frame' | PlaceholderReason | null;
  watch: OutputWatch;
  /** Ends the session once (frees its slot, stops the pump and the encoder). */
  end: () => void;
}

/** What starting a session needs of the sessions it belongs to. */
export interface SessionDeps {
  supervisor: Supervisor;
  ffmpegPath: string;
  registry: RuntimeRegistry;
  demand: Pick<DemandTracker, 'acquire'>;
  placeholders: Placeholders;
  maxBufferedBytes: number;
  slowClientTimeoutMs: number;
  maxRestarts: number;
  now: () => number;
  log: Logger;
  counters: { accepted: number; encoder_failures: number; too_slow: number; closed: number };
  /** Called when the session ends: its slot is freed and its encoder's stop is waited for on close. */
  ended: (s: Session, stopped: Promise<void>) => void;
}

/**
 * Starts a session on its accepted socket: one FFmpeg (restarted on a crash), the frame pump feeding
 * it, its output sent to the socket behind the backpressure gate, and the demand it holds.
 */
export function startSession(s: Session, ws: WebSocket, deps: SessionDeps): void {
  const { supervisor, registry, demand, placeholders, now, log, counters, slowClientTimeoutMs } = deps;
  s.ws = ws;
  const state = registry.ensure(s.txId);
  const handle = supervisor.start({
    name: s.name,
    command: deps.ffmpegPath,
    args: jsmpegArgs({ ...s.size, fps: s.fps }),
    stdin: 'pipe',
    stdout: 'pipe',
    restart: 'on-crash',
    maxRestarts: deps.maxRestarts,
    backoff: MEDIA_BACKOFF,
    stop: { signal: 'SIGTERM', timeoutMs: 2000 },
  });
  s.handle = handle;
  counters.accepted++;
  const release = demand.acquire(s.txId);
  const gate = createOutputGate({
    socket: ws,
    highWaterBytes: deps.maxBufferedBytes,
    tooSlowMs: slowClientTimeoutMs,
    now,
    onTooSlow: () => {
      counters.too_slow++;
      log.warn({ session: s.name, buffered: ws.bufferedAmount }, 'jsmpeg client too slow: closing');
      closeSocket(ws, JSMPEG_CLOSE.TOO_SLOW, `jsmpeg client too slow (nothing read for ${Math.round(slowClientTimeoutMs / 1000)} s)`);
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
    closeSocket(ws, JSMPEG_CLOSE.ENCODER_FAILED, `jsmpeg encoder failed${st.last_error_line ? `: ${st.last_error_line}` : ''}`);
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
    counters.closed++;
    pump.stop();
    gate.stop();
    release();
    // EOF first: FFmpeg blocked reading its stdin pipe does not act on SIGTERM until the read returns.
    handle.stdin()?.end();
    deps.ended(s, handle.stop());
  };

  ws.on('pong', () => (s.alive = true));
  ws.on('message', () => (s.alive = true)); // nothing is expected from the player; anything proves it alive
  ws.on('error', (err: Error & { code?: string }) => log.info({ session: s.name, code: err.code, err: err.message }, 'jsmpeg socket error'));
  ws.on('close', (code, reason) => {
    s.end();
    log.info(
      {
        session: s.name,
        code,
        reason: reason.toString(),
        bytes_sent: s.bytesSent,
        first_byte_ms: s.firstByteMs,
        frames_written: s.counters.frames_written,
        frames_skipped: s.counters.frames_skipped,
        ...gate.stats(),
      },
      'jsmpeg session closed',
    );
  });
  log.info({ session: s.name, transmission_id: s.txId, output_id: s.outputId, width: s.size.width, height: s.size.height, fps: s.fps }, 'jsmpeg session started');
}
