/**
 * The HLS proxy's client of MediaMTX's loopback HLS listener: one GET at a time over keep-alive
 * node:http connections (far cheaper per request than fetch), bounded waits, and MediaMTX's answers
 * turned into the ApiErrors the browser sees. Nothing of the browser's request reaches MediaMTX but
 * what the caller passes in `headers` (no cookies, no Authorization, no Origin).
 */
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { ApiError } from '../shared/errors.js';

/** An answer of MediaMTX; its body stream is made only when read (a segment may be piped from `msg` instead). */
export class UpstreamResponse {
  #body: ReadableStream<Uint8Array> | null = null;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  constructor(readonly msg: IncomingMessage) {
    this.status = msg.statusCode ?? 0;
    const h = msg.headers;
    this.headers = {
      get(name: string): string | null {
        const v = h[name.toLowerCase()];
        if (v === undefined) return null;
        return Array.isArray(v) ? v.join(', ') : v;
      },
    };
  }
  get body(): ReadableStream<Uint8Array> {
    if (this.#body) return this.#body;
    const msg = this.msg;
    // A plain pull-free stream over the socket's chunks: node's own flow control (pause/resume)
    // stops reading from MediaMTX when the consumer's queue is full.
    let finished = false;
    this.#body = new ReadableStream<Uint8Array>(
      {
        start(c) {
          msg.on('data', (chunk: Buffer) => {
            if (finished) return;
            c.enqueue(chunk);
            if ((c.desiredSize ?? 0) <= 0) msg.pause();
          });
          msg.once('end', () => {
            if (finished) return;
            finished = true;
            c.close();
          });
          msg.once('error', (err) => {
            if (finished) return;
            finished = true;
            c.error(err);
          });
          msg.once('close', () => {
            if (finished) return;
            finished = true;
            c.error(new Error('MediaMTX closed the connection before the end of the answer'));
          });
        },
        pull() {
          if (msg.isPaused()) msg.resume();
        },
        cancel() {
          finished = true;
          msg.destroy();
        },
      },
      { highWaterMark: 4 },
    );
    return this.#body;
  }
  /** Drops the rest of the answer (a redirect, a refusal, a 416). */
  discard(): Promise<void> {
    return this.body.cancel().catch(() => undefined);
  }
}

/** An upstream answer the browser gets as an ApiError. */
export class UpstreamError extends Error {
  constructor(
    readonly apiError: ApiError,
    readonly upstreamStatus: number | null,
  ) {
    super(apiError.message);
  }
}

const MAX_PLAYLIST_BYTES = 1024 * 1024;

interface UpstreamGet {
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** Upper bound for the response headers (the body then comes as long as it takes). */
  timeoutMs: number;
}

export interface HlsUpstream {
  /** One GET to MediaMTX: fixed headers only, redirects handled by the caller, bounded wait for headers. */
  get(url: string, init: UpstreamGet): Promise<UpstreamResponse>;
}

function unreachable(err: unknown, timedOut: boolean, timeoutMs: number): UpstreamError {
  return new UpstreamError(
    new ApiError(
      502,
      timedOut ? 'hls_upstream_timeout' : 'hls_upstream_unreachable',
      timedOut ? `MediaMTX did not answer within ${timeoutMs} ms` : `MediaMTX's HLS listener could not be reached (${(err as Error).message})`,
    ),
    null,
  );
}

/** Why a signal aborted, as an Error: @hono/node-server aborts a request's signal with a string. */
function abortError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

export function createHlsUpstream(): HlsUpstream {
  // Keep-alive connections to MediaMTX's loopback listener; idle ones are closed before MediaMTX would.
  const agent = new Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 256, timeout: 5000, scheduling: 'lifo' });

  function get(url: string, init: UpstreamGet, retried = false): Promise<UpstreamResponse> {
    const signal = init.signal;
    if (signal?.aborted) return Promise.reject(abortError(signal.reason));
    return new Promise<UpstreamResponse>((resolve, reject) => {
      let settled = false;
      let timedOut = false;
      const req = httpRequest(url, { method: 'GET', agent, headers: { 'accept-encoding': 'identity', ...init.headers } });
      const done = () => {
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        if (settled) return;
        done();
        req.destroy();
        reject(abortError(signal?.reason));
      };
      const timer = setTimeout(() => {
        if (settled) return;
        timedOut = true;
        req.destroy(new Error('timeout'));
      }, init.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      req.once('response', (msg) => {
        if (settled) return void msg.destroy();
        done();
        resolve(new UpstreamResponse(msg));
      });
      req.once('error', (err) => {
        if (settled) return;
        done();
        // A kept-alive socket MediaMTX closed just as it was reused: try once on a fresh one.
        if (!timedOut && !retried && req.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET') {
          resolve(get(url, init, true));
          return;
        }
        reject(unreachable(err, timedOut, init.timeoutMs));
      });
      req.end();
    });
  }

  return { get: (url, init) => get(url, init) };
}

/** Reads a body up to `limit` bytes, within `timeoutMs` if given; null (the rest unread) when it is larger. */
export async function readBytes(res: UpstreamResponse, limit: number, timeoutMs?: number): Promise<Buffer | null> {
  const reader = res.body.getReader();
  let timedOut = false as boolean; // set by the timer, which TypeScript's narrowing does not see
  const timer =
    timeoutMs === undefined
      ? null
      : setTimeout(() => {
          timedOut = true;
          void reader.cancel().catch(() => undefined);
        }, timeoutMs);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => undefined);
        return null;
      }
      chunks.push(value);
    }
  } catch (err) {
    throw new UpstreamError(new ApiError(502, 'hls_upstream_failed', `MediaMTX broke off its answer (${(err as Error).message})`), res.status);
  } finally {
    if (timer) clearTimeout(timer);
  }
  // A cancelled read ends like a finished one: only the flag tells a cut body from a whole one.
  if (timedOut) throw new UpstreamError(new ApiError(502, 'hls_upstream_timeout', `MediaMTX did not send the whole answer within ${timeoutMs} ms`), res.status);
  return Buffer.concat(chunks, size);
}

/** Reads a body up to `limit` bytes (a playlist by default); throws when it is larger. */
export async function readLimited(res: UpstreamResponse, limit = MAX_PLAYLIST_BYTES): Promise<string> {
  const bytes = await readBytes(res, limit);
  if (!bytes) throw new UpstreamError(new ApiError(502, 'hls_upstream_failed', `MediaMTX sent a playlist larger than ${limit} bytes`), res.status);
  return bytes.toString('utf8');
}

/** MediaMTX's `{"status":"error","error":"..."}` message, if the body is one (bounded, never throws). */
async function upstreamMessage(res: UpstreamResponse): Promise<string | null> {
  try {
    const text = await readLimited(res, 16 * 1024);
    const parsed = JSON.parse(text) as { error?: unknown };
    return typeof parsed.error === 'string' ? parsed.error.slice(0, 300) : null;
  } catch {
    return null;
  }
}

/** The ApiError for an upstream status the browser must not see as is. */
export async function upstreamFailure(res: UpstreamResponse, file: string): Promise<UpstreamError> {
  const message = await upstreamMessage(res);
  const s = res.status;
  let e: ApiError;
  if (s === 404) {
    e =
      file === 'index.m3u8'
        ? new ApiError(404, 'hls_unavailable', `MediaMTX has no HLS stream for this path right now${message ? ` (${message})` : ''}`)
        : new ApiError(404, 'hls_file_gone', `MediaMTX no longer has ${file}`);
  } else if (s === 400) {
    e = new ApiError(400, 'hls_bad_request', `MediaMTX refused the request${message ? `: ${message}` : ''}`);
  } else if (s === 401 || s === 403) {
    e = new ApiError(502, 'hls_upstream_refused', 'MediaMTX refused the proxy (authentication error)', null, { upstream_status: s });
  } else {
    e = new ApiError(502, 'hls_upstream_failed', `MediaMTX answered HTTP ${s}${message ? `: ${message}` : ''}`, null, { upstream_status: s });
  }
  return new UpstreamError(e, s);
}

/** `job`, or the caller's abort: the caller may give up while the job goes on for others. */
export function unlessAborted<T>(job: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return job;
  return Promise.race([
    job,
    new Promise<never>((_, reject) => {
      if (signal.aborted) reject(abortError(signal.reason));
      signal.addEventListener('abort', () => reject(abortError(signal.reason)), { once: true });
    }),
  ]);
}
