import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import * as v from 'valibot';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { refuseUpgrade } from '../api/upgrade.js';
import { ApiError } from '../shared/errors.js';
import { checkJpeg } from './jpeg.js';
import type { RuntimeRegistry } from './transmission-state.js';

/**
 * The frame writer network API: external programs push rendered frames into a `writers`
 * transmission over one WebSocket per writer.
 *
 *   GET /api/streams/writers/ws?transmission_id=T&writer_id=W&priority=P   (Upgrade: websocket)
 *
 * - Auth: `Authorization: Bearer <api_token>` or `?token=<api_token>` (the header wins when both
 *   are present), compared in constant time; or a request the add-on trusts as HA ingress. With no
 *   api_token configured only trusted ingress gets in. Refusals are plain HTTP JSON responses on the
 *   raw socket, before any WebSocket handshake: 401 (token), 400 (query, naming the field), 404
 *   (unknown transmission), 409 (a camera-source or disabled transmission), 503 (too many writers).
 *   Auth is checked first, so an anonymous client learns nothing about which transmissions exist.
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
 * - The token never reaches the log: the query is logged without it.
 */

export const WRITER_WS_PATH = '/api/streams/writers/ws';
export const WRITER_ID_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
const TRANSMISSION_ID_RE = /^[A-Za-z0-9_.:-]{1,128}$/;
export const PRIORITY_MIN = -1000;
export const PRIORITY_MAX = 1000;
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;
/** Close codes sent by the server. */
export const CLOSE_REPLACED = 4000;
export const CLOSE_TRANSMISSION_GONE = 4004;

export interface TransmissionLookup {
  exists: boolean;
  input?: 'writers' | 'camera_source';
  enabled?: boolean;
}

export interface WriterSocketOptions {
  registry: RuntimeRegistry;
  logger: Logger;
  /** The configured api_token, read on every upgrade (settings may change); null: only trusted ingress. */
  apiToken: () => string | null;
  isTrustedIngress?: (req: IncomingMessage) => boolean;
  transmissionExists: (id: string) => TransmissionLookup;
  /** Largest accepted message (a frame); larger closes the socket with 1009. Default 4 MiB. */
  maxFrameBytes?: number;
  /** Concurrent writer sockets over all transmissions; beyond it upgrades get 503. Default 256. */
  maxConnections?: number;
  /** Keepalive ping period; 0 disables. Default 15 s. */
  pingIntervalMs?: number;
}

export interface WriterSocketServer {
  /** True when the path is the writer API and the socket was taken (answered or upgraded); false leaves it to the caller. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
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

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time token check: both sides hashed to equal-length digests, so not even the length leaks. */
export function tokenMatches(given: string | null, expected: string | null): boolean {
  if (given === null || expected === null || expected === '') return false;
  return timingSafeEqual(sha256(given), sha256(expected));
}

function bearer(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

/** The query as it may be logged: without the token (or anything that looks like a secret). */
export function loggableQuery(params: URLSearchParams): string {
  const safe = new URLSearchParams();
  for (const [k, val] of params) {
    if (/token|secret|password|auth/i.test(k)) safe.append(k, '[redacted]');
    else safe.append(k, val.slice(0, 128));
  }
  const s = safe.toString();
  return s ? `?${s}` : '';
}

interface Query {
  transmissionId: string;
  writerId: string;
  priority: number;
}

function parseQuery(params: URLSearchParams): Query {
  const transmissionId = params.get('transmission_id');
  if (transmissionId === null || transmissionId === '') throw new ApiError(400, 'invalid_query', 'transmission_id: required', 'transmission_id');
  if (!TRANSMISSION_ID_RE.test(transmissionId)) throw new ApiError(400, 'invalid_query', 'transmission_id: not a valid transmission id', 'transmission_id');
  const writerId = params.get('writer_id');
  if (writerId === null || writerId === '') throw new ApiError(400, 'invalid_query', 'writer_id: required', 'writer_id');
  if (!WRITER_ID_RE.test(writerId)) {
    throw new ApiError(400, 'invalid_query', 'writer_id: must be 1-64 letters, digits, "_", ".", ":" or "-"', 'writer_id');
  }
  const raw = params.get('priority');
  let priority = 0;
  if (raw !== null) {
    const n = /^[+-]?\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isInteger(n) || n < PRIORITY_MIN || n > PRIORITY_MAX) {
      throw new ApiError(400, 'invalid_query', `priority: must be an integer from ${PRIORITY_MIN} to ${PRIORITY_MAX}`, 'priority');
    }
    priority = n;
  }
  return { transmissionId, writerId, priority };
}

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
  const { registry, apiToken, transmissionExists } = options;
  const isTrustedIngress = options.isTrustedIngress ?? (() => false);
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const maxConnections = options.maxConnections ?? 256;
  const pingIntervalMs = options.pingIntervalMs ?? 15_000;
  if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 1024) throw new RangeError('writer socket: maxFrameBytes must be an integer >= 1024');
  const log = options.logger.child({ component: 'writer-socket' });

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxFrameBytes, perMessageDeflate: false, clientTracking: false });
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
  const sendError = (c: Conn, code: string, message: string, field: string | null = null) =>
    send(c, { type: 'error', error: { code, message, field } });

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

  function onConnection(ws: WebSocket, q: Query, query: string, remote: string | undefined): void {
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
    log.info({ transmission_id: q.transmissionId, writer_id: q.writerId, priority: q.priority, query, remote }, 'writer connected');

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

  function authorize(req: IncomingMessage, params: URLSearchParams): void {
    if (isTrustedIngress(req)) return;
    const expected = apiToken();
    const given = bearer(req) ?? params.get('token');
    if (!tokenMatches(given, expected)) {
      const message =
        expected === null || expected === ''
          ? 'the writer API needs an api_token: set one in the streaming settings and send it as a Bearer token'
          : given === null
            ? 'missing token: send "Authorization: Bearer <api_token>" or ?token='
            : 'invalid token';
      throw new ApiError(401, 'unauthorized', message);
    }
  }

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://writer.invalid');
    } catch {
      return false;
    }
    if (url.pathname !== WRITER_WS_PATH && url.pathname !== `${WRITER_WS_PATH}/`) return false;
    // A reset connection before the handshake must not become an uncaught error.
    socket.on('error', () => {});
    const query = loggableQuery(url.searchParams);
    const remote = req.socket.remoteAddress;
    try {
      if (closing) throw new ApiError(503, 'shutting_down', 'the server is shutting down');
      authorize(req, url.searchParams);
      const q = parseQuery(url.searchParams);
      const found = transmissionExists(q.transmissionId);
      if (!found.exists) throw new ApiError(404, 'not_found', `transmission "${q.transmissionId}" does not exist`, 'transmission_id');
      if (found.input === 'camera_source') {
        throw new ApiError(409, 'not_writable', 'this transmission is fed by its camera source, not by writers', 'transmission_id');
      }
      if (found.enabled === false) throw new ApiError(409, 'transmission_disabled', 'this transmission is disabled', 'transmission_id');
      if (all.size >= maxConnections) throw new ApiError(503, 'too_many_writers', `at most ${maxConnections} writer connections`);
      wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, q, query, remote));
    } catch (caught) {
      if (!(caught instanceof ApiError)) log.error({ err: caught instanceof Error ? caught.message : String(caught), query }, 'writer upgrade failed');
      const err = caught instanceof ApiError ? caught : new ApiError(500, 'internal_error', 'the writer connection could not be set up');
      log[err.status === 401 ? 'warn' : 'info']({ status: err.status, code: err.code, field: err.field, query, remote }, 'writer upgrade refused');
      refuseUpgrade(socket, err);
    }
    return true;
  }

  return {
    handleUpgrade,
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
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
