import type { Logger } from 'pino';
import * as v from 'valibot';
import type { RawData, WebSocket } from 'ws';
import { ApiError } from '../shared/errors.js';
import { checkJpeg } from './jpeg.js';
import type { RuntimeRegistry } from './transmission-state.js';

/**
 * The frame writer network API: external programs push rendered frames into a `writers`
 * transmission over one WebSocket per writer.
 *
 *   GET /api/streams/writers/ws?transmission_id=T&writer_id=W&priority=P   (Upgrade: websocket)
 *
 * - The edge (api/ws/writers.ts) checks the token and the query, then asks {@link WriterSocketServer.admit}.
 *   Auth: `Authorization: Bearer <api_token>` or `?token=<api_token>` (the header wins when both
 *   are present), compared in constant time; or a request the add-on trusts as HA ingress. With no
 *   api_token configured only trusted ingress gets in. Refusals are plain HTTP JSON responses on the
 *   raw socket, before any WebSocket handshake: 401 (token), 400 (query, naming the field), 404
 *   (unknown transmission), 409 (a camera-source or disabled transmission), 503 (too many writers,
 *   shutting down). Auth is checked first, so an anonymous client learns nothing about which
 *   transmissions exist.
 * - Connecting is an implicit `open` with the query priority (default 0); a disconnect (close or
 *   error) is a `close` of that writer. The server greets with
 *   `{"type":"hello","transmission_id","writer_id","priority","max_frame_bytes"}`.
 * - Binary message: one complete JPEG frame, an `update` with a frame. It must pass the structural
 *   check of jpeg.ts (`checkJpeg`: what FFmpeg can cut out of a stream and decode); a frame that does
 *   not is refused: `{"type":"error","error":{"code":"not_jpeg"|"invalid_jpeg","message":"frame
 *   refused: <why>; frame dropped","field":"frame"}}` back, the frame never reaches the stream (the
 *   writer's last good frame stays until it is stale), and the writer's health counts it
 *   (`frames_refused`, `last_refusal`). The socket stays open. Larger than `maxFrameBytes`: closed
 *   with 1009.
 * - Text message: JSON `{"type":"open","priority"?:n}` (reopen / change priority),
 *   `{"type":"update"}` (heartbeat, no frame), `{"type":"close"}` (the writer closes but the socket
 *   stays; a later frame or `open` reopens it). Anything else gets
 *   `{"type":"error","error":{"code","message","field"}}` and the socket stays open.
 * - The same writer_id connecting again to the same transmission replaces the older connection
 *   (closed with 4000 "replaced"); the writer stays open throughout, so the stream does not blink.
 * - The server pings every `pingIntervalMs`; a peer that misses a pong is terminated (a close).
 * - The token never reaches the log (the edge logs the query without it).
 */

export const PRIORITY_MIN = -1000;
export const PRIORITY_MAX = 1000;
const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;
/** Close codes sent by the server. */
export const CLOSE_REPLACED = 4000;
const CLOSE_TRANSMISSION_GONE = 4004;

interface TransmissionLookup {
  exists: boolean;
  input?: 'writers' | 'camera_source';
  enabled?: boolean;
}

export interface WriterSocketOptions {
  registry: RuntimeRegistry;
  logger: Logger;
  transmissionExists: (id: string) => TransmissionLookup;
  /** Largest accepted message (a frame); larger closes the socket with 1009. Default 4 MiB. */
  maxFrameBytes?: number;
  /** Concurrent writer sockets over all transmissions; beyond it upgrades get 503. Default 256. */
  maxConnections?: number;
  /** Keepalive ping period; 0 disables. Default 15 s. */
  pingIntervalMs?: number;
}

/** An authorised writer connection, as the edge validated it. */
export interface WriterScope {
  transmissionId: string;
  writerId: string;
  priority: number;
  /** The peer's address, for the log. */
  remote: string | undefined;
}

export interface WriterSocketServer {
  /** Admits a writer (throws ApiError: 503 shutting down or too many writers, 404/409 transmission); `open` takes its socket. */
  admit(scope: WriterScope): { open(ws: WebSocket): void };
  /** Largest accepted message (a frame); the edge's handshake closes larger ones with 1009. */
  maxFrameBytes: number;
  /** Closes every writer socket (1001) and waits until they are gone. */
  close(): Promise<void>;
  /** Open writer sockets right now. */
  connections(): number;
  /** Disconnects every writer of a transmission (it was deleted or changed input); returns how many. */
  disconnectTransmission(transmissionId: string, reason?: string): number;
}

const messageSchema = v.variant('type', [
  v.object({
    type: v.literal('open'),
    priority: v.optional(v.pipe(v.number(), v.integer(), v.minValue(PRIORITY_MIN), v.maxValue(PRIORITY_MAX))),
  }),
  v.object({ type: v.literal('update') }),
  v.object({ type: v.literal('close') }),
]);

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

interface Conn {
  ws: WebSocket;
  key: string;
  transmissionId: string;
  writerId: string;
  priority: number;
  alive: boolean;
  replaced: boolean;
  frames: number;
  refused: number;
  /** The last refusal logged: the log says when the reason changes (or a minute later), not once per frame. */
  loggedRefusal: { reason: string; at: number } | null;
}

/** A writer refused for the same reason is logged again after this long (with the count), not per frame. */
const REFUSAL_LOG_EVERY_MS = 60_000;

export function createWriterSocketServer(options: WriterSocketOptions): WriterSocketServer {
  const { registry, transmissionExists } = options;
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const maxConnections = options.maxConnections ?? 256;
  const pingIntervalMs = options.pingIntervalMs ?? 15_000;
  if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 1024) throw new RangeError('writer socket: maxFrameBytes must be an integer >= 1024');
  const log = options.logger.child({ component: 'writer-socket' });

  const all = new Set<Conn>();
  const byKey = new Map<string, Conn>();
  let closing = false;

  const ping =
    pingIntervalMs > 0
      ? setInterval(() => {
          for (const c of all) {
            if (!c.alive) {
              log.info({ transmission_id: c.transmissionId, writer_id: c.writerId }, 'writer missed a keepalive pong; terminating');
              c.ws.terminate();
              continue;
            }
            c.alive = false;
            c.ws.ping();
          }
        }, pingIntervalMs)
      : null;
  ping?.unref();

  const send = (c: Conn, msg: unknown) => {
    // A client that never reads must not make the server buffer replies without end.
    if (c.ws.readyState === c.ws.OPEN && c.ws.bufferedAmount < 1024 * 1024) c.ws.send(JSON.stringify(msg));
  };
  const sendError = (c: Conn, code: string, message: string, field: string | null = null) => send(c, { type: 'error', error: { code, message, field } });

  function onMessage(c: Conn, data: RawData, isBinary: boolean): void {
    c.alive = true;
    const buf = toBuffer(data);
    const state = registry.ensure(c.transmissionId);
    if (isBinary) {
      const check = checkJpeg(buf);
      if (!check.ok) {
        c.refused += 1;
        state.refuse(c.writerId, check.reason);
        sendError(c, check.code, `frame refused: ${check.reason}; frame dropped`, 'frame');
        const at = Date.now();
        if (c.loggedRefusal?.reason !== check.reason || at - c.loggedRefusal.at >= REFUSAL_LOG_EVERY_MS) {
          c.loggedRefusal = { reason: check.reason, at };
          log.info({ transmission_id: c.transmissionId, writer_id: c.writerId, reason: check.reason, frames_refused: c.refused }, 'writer frame refused');
        }
        return;
      }
      state.update(c.writerId, buf);
      c.frames += 1;
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(buf.toString('utf8'));
    } catch {
      sendError(c, 'malformed_json', 'text messages must be JSON: {"type":"open"|"update"|"close"}', 'message');
      return;
    }
    const parsed = v.safeParse(messageSchema, value);
    if (!parsed.success) {
      const issue = parsed.issues[0];
      const field = v.getDotPath(issue) ?? 'message';
      const detail = field === 'type' ? 'must be "open", "update" or "close"' : `expected ${issue.expected ?? 'a valid value'}`;
      sendError(c, 'invalid_message', `${field}: ${detail}`, field);
      return;
    }
    const msg = parsed.output;
    if (msg.type === 'open') {
      if (msg.priority !== undefined) c.priority = msg.priority;
      state.open(c.writerId, c.priority);
    } else if (msg.type === 'update') {
      state.heartbeat(c.writerId);
    } else {
      state.close(c.writerId);
    }
  }

  function onConnection(ws: WebSocket, q: WriterScope): void {
    const key = `${q.transmissionId}\u0000${q.writerId}`;
    const c: Conn = { ws, key, transmissionId: q.transmissionId, writerId: q.writerId, priority: q.priority, alive: true, replaced: false, frames: 0, refused: 0, loggedRefusal: null };
    all.add(c);
    const previous = byKey.get(key);
    byKey.set(key, c);
    registry.ensure(q.transmissionId).open(q.writerId, q.priority);
    if (previous) {
      previous.replaced = true;
      previous.ws.close(CLOSE_REPLACED, 'replaced');
      log.info({ transmission_id: q.transmissionId, writer_id: q.writerId }, 'writer connection replaced by a newer one');
    }
    log.info({ transmission_id: q.transmissionId, writer_id: q.writerId, priority: q.priority, remote: q.remote }, 'writer connected');

    ws.on('message', (data, isBinary) => onMessage(c, data, isBinary));
    ws.on('pong', () => (c.alive = true));
    ws.on('error', (err: Error & { code?: string }) => {
      log.warn({ transmission_id: c.transmissionId, writer_id: c.writerId, code: err.code, err: err.message }, 'writer socket error');
    });
    ws.on('close', (code) => {
      all.delete(c);
      if (byKey.get(key) === c) {
        byKey.delete(key);
        registry.get(c.transmissionId)?.close(c.writerId);
      }
      log.info({ transmission_id: c.transmissionId, writer_id: c.writerId, code, frames: c.frames, frames_refused: c.refused, replaced: c.replaced }, 'writer disconnected');
    });
    send(c, { type: 'hello', transmission_id: q.transmissionId, writer_id: q.writerId, priority: q.priority, max_frame_bytes: maxFrameBytes });
  }

  function admit(q: WriterScope): { open(ws: WebSocket): void } {
    if (closing) throw new ApiError(503, 'shutting_down', 'the server is shutting down');
    const found = transmissionExists(q.transmissionId);
    if (!found.exists) throw new ApiError(404, 'not_found', `transmission "${q.transmissionId}" does not exist`, 'transmission_id');
    if (found.input === 'camera_source') {
      throw new ApiError(409, 'not_writable', 'this transmission is fed by its camera source, not by writers', 'transmission_id');
    }
    if (found.enabled === false) throw new ApiError(409, 'transmission_disabled', 'this transmission is disabled', 'transmission_id');
    if (all.size >= maxConnections) throw new ApiError(503, 'too_many_writers', `at most ${maxConnections} writer connections`);
    return { open: (ws) => onConnection(ws, q) };
  }

  return {
    admit,
    maxFrameBytes,
    connections: () => all.size,
    disconnectTransmission(transmissionId, reason = 'transmission removed') {
      let n = 0;
      for (const c of all) {
        if (c.transmissionId !== transmissionId) continue;
        c.ws.close(CLOSE_TRANSMISSION_GONE, reason);
        n += 1;
      }
      return n;
    },
    async close() {
      closing = true;
      if (ping) clearInterval(ping);
      const gone = [...all].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.ws.readyState === c.ws.CLOSED) return resolve();
            c.ws.once('close', () => resolve());
            c.ws.close(1001, 'server shutting down');
            setTimeout(() => c.ws.terminate(), 2_000).unref();
          }),
      );
      await Promise.all(gone);
    },
  };
}
