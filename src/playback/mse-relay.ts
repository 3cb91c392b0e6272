import { WebSocket, type RawData } from 'ws';
import { ApiError } from '../shared/errors.js';
import { clipReason } from './close-reason.js';
import { fragmentKind, parseInit, type InitInfo } from './fmp4.js';
import { browserRequest, FRAME_HEADER_MAX, isPermanentError, parseMessage, toBuffer } from './mse-protocol.js';
import {
  CLOSE_NO_REQUEST,
  CLOSE_SIDECAR_UNAVAILABLE,
  CLOSE_TOO_MANY_VIEWERS,
  CLOSE_UNKNOWN_PATH,
  CLOSE_UPSTREAM_CLOSED,
  CLOSE_VIEWER_TOO_SLOW,
  type MseRelay,
  type MseRelayOptions,
  type MseViewerStats,
} from './mse-relay-types.js';
import type { MediaScope } from './tokens.js';

/**
 * MSE relay: the browser's WebSocket for one output, relayed to go2rtc's `/api/ws` MSE protocol.
 *
 *   GET /api/streams/media/mse/<engine path>/ws?media_token=<token>   (Upgrade: websocket)
 *
 * The engine path may contain `/`. HA ingress strips its own prefix before forwarding, so the
 * match is exact (no prefix search). Order of checks:
 *
 * 1. Before the handshake, refused with plain HTTP JSON on the raw socket by the edge
 *    (api/ws/media.ts): 400 `invalid_path` (not an engine path), 401 (token missing, forged,
 *    malformed, expired), 403 (a valid token for another path or another transport than `mse`);
 *    then {@link MseRelay.admit}: 503 while shutting down.
 * 2. After the handshake (a browser cannot read the HTTP status of a failed upgrade, but it can
 *    read a close code), closed at once with:
 *    - 4404 `unknown path`: no enabled output plays from that path (or it now belongs to another
 *      transmission/output than the token names);
 *    - 4503 `sidecar unavailable`: MSE disabled, go2rtc missing/stopped/starting/failed, go2rtc does
 *      not serve the path yet (stream set being reloaded), or the connection to go2rtc failed;
 *    - 4429: too many MSE viewers on this server.
 *    4401/4403 do not exist: token problems never get past step 1.
 * 3. While relaying:
 *    - 4502 `upstream closed`: go2rtc closed the stream (e.g. restarted for a new stream set);
 *    - 4008 `viewer too slow`: see backpressure below;
 *    - 4408: no `mse` request within `mseRequestTimeoutMs` of connecting (an idle socket holds a slot);
    - 1003: the browser sent a binary message; 1001: the server is shutting down.
 *    A browser close closes the go2rtc side (1000) and vice versa.
 *
 * Protocol: browser → go2rtc only `{"type":"mse","value":"<codec list>"}` text messages are passed
 * (re-serialised, nothing else in them); anything else is answered `{"type":"error","value":"relay: ..."}`
 * and dropped. The token grants MSE, not go2rtc's other WebSocket messages (WebRTC, mp4 files).
 * go2rtc → browser: text and binary frames are passed unchanged.
 * The go2rtc connection is opened by this server with no browser header at all (no `Origin`, which
 * go2rtc's same-origin check would refuse, no cookies, no `X-Ingress-Path`), and `src` is the stream
 * name the sidecar derives from the path: the browser never chooses what go2rtc opens.
 *
 * Slow viewers: go2rtc's socket is always read at the stream's pace. Pausing it (TCP backpressure)
 * would make go2rtc drop packets for this consumer (its queue is bounded; a dropped packet is a
 * broken frame until the next keyframe) and, once a write blocks for 5 s, stop writing to this
 * socket for good while keeping it open (go2rtc v1.9.14): a frozen picture. Instead, when the
 * browser socket's `bufferedAmount` exceeds `highWaterBytes`, whole video fragments are dropped
 * here until it has drained below `lowWaterBytes` AND a fragment starts with a keyframe; sending
 * resumes there, so the browser's decoder only ever sees whole groups of pictures (a jump in time,
 * never a smeared picture). Audio fragments are dropped with the video they belong to. The init
 * segment and text messages are never dropped. A message that would take the buffer beyond
 * `maxBufferedBytes`, or a viewer that stays above `lowWaterBytes` for `stallTimeoutMs` while
 * fragments are dropped for it, is closed with 4008. When the init segment cannot be read (no
 * video track), fragments are never dropped and only these limits apply.
 *
 * Cold outputs: the first viewer of an output nobody reads reaches go2rtc before the path has
 * media. A writer-fed or transcoded path has no publisher until the demand this viewer adds starts
 * one (MediaMTX answers go2rtc's DESCRIBE 404 at once), and a camera pulled on demand may take
 * longer than go2rtc's 5 s RTSP patience. go2rtc then answers the `mse` request with
 * `{"type":"error"}` and keeps the socket open. Until go2rtc has answered `mse` once and for
 * `readyTimeoutMs` after connecting, such an error (not a permanent one: codecs, unknown stream) is not passed on: the same request is sent
 * again after a short growing delay, so the browser sees a slower first frame instead of an error.
 *
 * The token is checked once, at connect; the socket then lives until either side closes. Tokens
 * and query strings are never logged.
 */

interface Viewer {
  stats: MseViewerStats;
  browser: WebSocket;
  upstream: WebSocket | null;
  queue: string[];
  /** When the current run of dropped fragments began (null while sending). */
  skippingSince: number | null;
  /** The tracks of go2rtc's init segment, once seen (null: fragments are never dropped). */
  init: InitInfo | null;
  poll: NodeJS.Timeout | null;
  requestTimer: NodeJS.Timeout | null;
  /** The last `mse` request sent to go2rtc, and whether go2rtc has answered one with `mse` yet. */
  request: string | null;
  answered: boolean;
  connectedAt: number;
  retryTimer: NodeJS.Timeout | null;
  release: () => void;
  done: Promise<void>;
}

export function createMseRelay(options: MseRelayOptions): MseRelay {
  const { sidecar, lookup } = options;
  const enabled = options.enabled ?? (() => true);
  const acquire = options.acquire ?? (() => () => {});
  const highWater = options.highWaterBytes ?? 4 * 1024 * 1024;
  const lowWater = options.lowWaterBytes ?? Math.floor(highWater / 4);
  const maxBuffered = options.maxBufferedBytes ?? 16 * 1024 * 1024;
  const stallTimeoutMs = options.stallTimeoutMs ?? 10_000;
  const maxConnections = options.maxConnections ?? 64;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const closeGraceMs = options.closeGraceMs ?? 3000;
  const mseRequestTimeoutMs = options.mseRequestTimeoutMs ?? 30_000;
  const maxUpstream = options.maxUpstreamMessageBytes ?? Math.min(16 * 1024 * 1024, maxBuffered);
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const now = options.now ?? Date.now;
  if (!(lowWater >= 0 && lowWater < highWater && highWater < maxBuffered)) throw new RangeError('mse relay: need 0 <= lowWaterBytes < highWaterBytes < maxBufferedBytes');
  if (!(maxUpstream <= maxBuffered)) throw new RangeError('mse relay: maxUpstreamMessageBytes must not exceed maxBufferedBytes');
  const log = options.logger.child({ component: 'mse-relay' });

  const viewers = new Set<Viewer>();
  const closedStats: MseViewerStats[] = [];
  let nextId = 1;
  let closing = false;

  function finish(v: Viewer, code: number, reason: string): void {
    if (v.stats.state === 'closed' || v.stats.state === 'closing') return;
    v.stats.state = 'closing';
    v.stats.close_code = code;
    v.stats.close_reason = reason;
    if (v.poll) clearInterval(v.poll);
    v.poll = null;
    if (v.requestTimer) clearTimeout(v.requestTimer);
    v.requestTimer = null;
    if (v.retryTimer) clearTimeout(v.retryTimer);
    v.retryTimer = null;
    if (v.skippingSince !== null) v.stats.skipped_ms += now() - v.skippingSince;
    v.skippingSince = null;
    const up = v.upstream;
    if (up && (up.readyState === WebSocket.OPEN || up.readyState === WebSocket.CONNECTING)) {
      if (up.readyState === WebSocket.OPEN) up.close(1000);
      else up.terminate();
      setTimeout(() => up.terminate(), closeGraceMs).unref();
    }
    const b = v.browser;
    if (b.readyState === WebSocket.OPEN) {
      b.close(code, clipReason(reason));
      // A stuck viewer may never read the close frame queued behind its data.
      setTimeout(() => b.terminate(), closeGraceMs).unref();
    } else if (b.readyState === WebSocket.CONNECTING) b.terminate();
    const level = code === 1000 || code === 1001 || code === 1005 ? 'info' : 'warn';
    log[level](
      {
        viewer: v.stats.id,
        path: v.stats.path,
        transmission_id: v.stats.transmission_id,
        code,
        reason,
        bytes: v.stats.bytes_to_viewer,
        skips: v.stats.skips,
        dropped: v.stats.dropped_fragments,
        peak_buffered: v.stats.peak_buffered_bytes,
      },
      'MSE viewer closing',
    );
  }

  function slow(v: Viewer, why: string): void {
    finish(v, CLOSE_VIEWER_TOO_SLOW, `viewer too slow: ${why}`);
  }

  /** The viewer fell behind: drop fragments until it drains and a keyframe comes. */
  function startSkipping(v: Viewer): void {
    v.skippingSince = now();
    v.stats.skipping = true;
    v.stats.skips += 1;
    // go2rtc's pace may stall too (a camera hiccup): the stall limit is checked on a timer.
    v.poll = setInterval(() => {
      const buffered = v.browser.bufferedAmount;
      v.stats.buffered_bytes = buffered;
      if (v.skippingSince !== null && buffered > lowWater && now() - v.skippingSince > stallTimeoutMs) slow(v, `${buffered} bytes unread for ${stallTimeoutMs} ms`);
    }, 100);
  }

  function stopSkipping(v: Viewer): void {
    if (v.skippingSince === null) return;
    v.stats.skipped_ms += now() - v.skippingSince;
    v.skippingSince = null;
    v.stats.skipping = false;
    if (v.poll) clearInterval(v.poll);
    v.poll = null;
  }

  /** Whether a binary message is dropped for a viewer that fell behind (see "Slow viewers"). */
  function drops(v: Viewer, data: Buffer): boolean {
    if (v.init === null) {
      // The first binary message is the init segment; it is never dropped.
      if (data.subarray(4, 8).toString('latin1') === 'ftyp') v.init = parseInit(data);
      return false;
    }
    if (v.skippingSince === null) return false;
    if (v.browser.bufferedAmount <= lowWater && fragmentKind(data, v.init) === 'key') {
      stopSkipping(v);
      return false;
    }
    v.stats.dropped_fragments += 1;
    return true;
  }

  /**
   * A go2rtc error before its first `mse` answer while the path may still be starting: held back,
   * and the request sent again. True when held.
   */
  function retryCold(v: Viewer): boolean {
    if (v.request === null || v.retryTimer !== null || now() - v.connectedAt >= readyTimeoutMs) return false;
    const delay = Math.min(250 * 2 ** v.stats.upstream_retries, 2000);
    v.stats.upstream_retries += 1;
    log.debug({ viewer: v.stats.id, path: v.stats.path, retry: v.stats.upstream_retries, delay_ms: delay }, 'go2rtc cannot read the path yet; asking again');
    v.retryTimer = setTimeout(() => {
      v.retryTimer = null;
      if (v.stats.state === 'relaying' && v.request !== null && v.upstream?.readyState === WebSocket.OPEN) v.upstream.send(v.request);
    }, delay);
    return true;
  }

  /** go2rtc → browser, within the byte bound. */
  function forward(v: Viewer, data: Buffer, isBinary: boolean): void {
    if (v.stats.state !== 'relaying' || v.browser.readyState !== WebSocket.OPEN) return;
    if (!v.answered) {
      const m = isBinary ? null : parseMessage(data);
      if (m?.type === 'error' && !isPermanentError(m.value) && retryCold(v)) return;
      if (isBinary || m?.type === 'mse') v.answered = true;
    }
    if (isBinary && drops(v, data)) return;
    const before = v.browser.bufferedAmount;
    if (before + data.length + FRAME_HEADER_MAX > maxBuffered) return slow(v, `${before} bytes queued, the next ${data.length} would pass the ${maxBuffered}-byte cap`);
    v.browser.send(data, { binary: isBinary });
    v.stats.bytes_to_viewer += data.length;
    v.stats.messages_to_viewer += 1;
    const after = v.browser.bufferedAmount;
    v.stats.buffered_bytes = after;
    if (after > v.stats.peak_buffered_bytes) v.stats.peak_buffered_bytes = after;
    if (after > highWater && v.init !== null && v.skippingSince === null) startSkipping(v);
  }

  /** browser → go2rtc: only well-formed `mse` requests. */
  function fromBrowser(v: Viewer, data: RawData, isBinary: boolean): void {
    v.stats.messages_from_viewer += 1;
    if (isBinary) return finish(v, 1003, 'binary messages are not part of the MSE protocol');
    const reply = (value: string) => {
      if (v.browser.readyState === WebSocket.OPEN && v.browser.bufferedAmount < maxBuffered) v.browser.send(JSON.stringify({ type: 'error', value: `relay: ${value}` }));
    };
    const request = browserRequest(data);
    if ('refused' in request) return reply(request.refused);
    const { text } = request;
    if (v.requestTimer) clearTimeout(v.requestTimer);
    v.requestTimer = null;
    v.request = text;
    const up = v.upstream;
    if (up?.readyState === WebSocket.OPEN) up.send(text);
    else if (v.queue.length < 4) v.queue.push(text);
    else reply('too many messages before go2rtc answered');
  }

  function connectUpstream(v: Viewer, url: string): void {
    const up = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: connectTimeoutMs, maxPayload: maxUpstream, followRedirects: false });
    v.upstream = up;
    let opened = false;
    up.on('open', () => {
      opened = true;
      if (v.stats.state !== 'connecting') return up.close(1000);
      v.stats.state = 'relaying';
      for (const text of v.queue.splice(0)) up.send(text);
    });
    up.on('message', (data, isBinary) => forward(v, toBuffer(data), isBinary));
    up.on('unexpected-response', (_req, res) => {
      res.resume();
      // finish() terminates the half-open go2rtc socket.
      finish(v, CLOSE_SIDECAR_UNAVAILABLE, `go2rtc refused the connection (HTTP ${res.statusCode})`);
    });
    up.on('error', (err) => {
      if (!opened) finish(v, CLOSE_SIDECAR_UNAVAILABLE, `cannot reach go2rtc: ${err.message}`);
      else log.debug({ viewer: v.stats.id, err: err.message }, 'go2rtc socket error');
    });
    up.on('close', (code) => {
      if (v.stats.state === 'closing' || v.stats.state === 'closed') return;
      if (!opened) return finish(v, CLOSE_SIDECAR_UNAVAILABLE, 'go2rtc closed the connection during the handshake');
      finish(v, CLOSE_UPSTREAM_CLOSED, `go2rtc closed the stream (${code})`);
    });
  }

  function onConnection(browser: WebSocket, scope: MediaScope, path: string): void {
    const stats: MseViewerStats = {
      id: nextId++,
      path,
      transmission_id: scope.transmission_id,
      output_id: scope.output_id,
      opened_at: new Date().toISOString(),
      state: 'connecting',
      buffered_bytes: 0,
      peak_buffered_bytes: 0,
      skipping: false,
      skips: 0,
      dropped_fragments: 0,
      skipped_ms: 0,
      bytes_to_viewer: 0,
      messages_to_viewer: 0,
      upstream_retries: 0,
      messages_from_viewer: 0,
      close_code: null,
      close_reason: null,
    };
    let resolveDone!: () => void;
    const v: Viewer = {
      stats,
      browser,
      upstream: null,
      queue: [],
      skippingSince: null,
      init: null,
      poll: null,
      requestTimer: null,
      request: null,
      answered: false,
      connectedAt: now(),
      retryTimer: null,
      release: () => {},
      done: new Promise((r) => (resolveDone = r)),
    };
    viewers.add(v);
    browser.on('error', (err) => log.debug({ viewer: stats.id, err: err.message }, 'browser socket error'));
    browser.on('message', (data, isBinary) => fromBrowser(v, data, isBinary));
    browser.on('close', (code) => {
      if (stats.state !== 'closing' && stats.state !== 'closed') finish(v, code === 1005 ? 1000 : code, 'viewer closed');
      stats.state = 'closed';
      if (v.poll) clearInterval(v.poll);
      if (v.requestTimer) clearTimeout(v.requestTimer);
      if (v.retryTimer) clearTimeout(v.retryTimer);
      v.release();
      viewers.delete(v);
      closedStats.push({ ...stats });
      if (closedStats.length > 32) closedStats.shift();
      resolveDone();
    });

    if (viewers.size > maxConnections) return finish(v, CLOSE_TOO_MANY_VIEWERS, `at most ${maxConnections} MSE viewers`);
    if (!enabled()) return finish(v, CLOSE_SIDECAR_UNAVAILABLE, 'MSE is disabled in the streaming settings');
    const output = lookup(path);
    if (output?.transmission_id !== scope.transmission_id || output.output_id !== scope.output_id) {
      return finish(v, CLOSE_UNKNOWN_PATH, `no MSE stream for ${path}`);
    }
    const st = sidecar.status();
    if (st.state !== 'running') {
      const why = st.binary.reason ?? st.last_error;
      return finish(v, CLOSE_SIDECAR_UNAVAILABLE, `go2rtc is ${st.state}${why ? `: ${why}` : ''}`);
    }
    const url = sidecar.wsUrl(path);
    if (url === null) return finish(v, CLOSE_SIDECAR_UNAVAILABLE, 'go2rtc does not serve this path yet; retry shortly');
    v.release = acquire({ transmission: scope.transmission_id, output: scope.output_id });
    v.requestTimer = setTimeout(() => finish(v, CLOSE_NO_REQUEST, `no mse request within ${mseRequestTimeoutMs} ms`), mseRequestTimeoutMs);
    v.requestTimer.unref();
    log.info({ viewer: stats.id, path, transmission_id: scope.transmission_id, output_id: scope.output_id }, 'MSE viewer connected');
    connectUpstream(v, url);
  }

  function admit({ path, scope }: { path: string; scope: MediaScope }): { open(ws: WebSocket): void } {
    if (closing) throw new ApiError(503, 'shutting_down', 'the server is shutting down');
    return { open: (ws) => onConnection(ws, scope, path) };
  }

  return {
    admit,
    connections: () => viewers.size,
    stats: () => ({ open: [...viewers].map((v) => ({ ...v.stats, buffered_bytes: v.browser.bufferedAmount })), recently_closed: [...closedStats] }),
    async close() {
      closing = true;
      const all = [...viewers];
      for (const v of all) finish(v, 1001, 'server shutting down');
      await Promise.all(all.map((v) => v.done));
    },
  };
}
