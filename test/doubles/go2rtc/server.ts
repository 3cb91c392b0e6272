import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { loadDoubleConfig, moduleEnabled, type DoubleConfig } from './config.js';
import { DEFAULT_MEDIA, StreamProducer, type MediaOptions, type Subscriber } from './media.js';
import { formatAjvErrors, loadGo2rtcReference, type Go2rtcReference } from './reference.js';

/** What `GET /api` reports as `version` (go2rtc prints it without the tag's `v`). */
export const DOUBLE_VERSION = '1.9.14';

export interface Violation {
  at: string;
  /**
   * `config`: a key go2rtc would ignore, or a listener it would open; `request`: an HTTP request
   * go2rtc's API does not define; `ws_request`: the upgrade carried browser headers, an `Origin`, or
   * query parameters beyond `src`; `ws_message`: a client message go2rtc would not accept;
   * `unsupported`: a documented operation the double does not implement; `response`: the double's
   * own answer failed the OpenAPI schema (a bug in the double).
   */
  kind: 'config' | 'request' | 'ws_request' | 'ws_message' | 'unsupported' | 'response';
  detail: string;
  session: number | null;
}

export interface LoggedRequest {
  at: string;
  method: string;
  path: string;
  query: Record<string, string[]>;
  /** Every header as received (lower-case names). */
  headers: Record<string, string | string[] | undefined>;
  websocket: boolean;
  status: number;
}

export interface SessionInfo {
  id: number;
  src: string | null;
  opened_at: string;
  closed_at: string | null;
  close_code: number | null;
  /** Who closed: the client (the relay), or the double (write deadline, shutdown, bad message). */
  closed_by: 'client' | 'server' | null;
  origin: string | null;
  /** Client text messages, parsed (or the raw text when not JSON). */
  received: unknown[];
  sent_text: unknown[];
  init_sent: boolean;
  fragments_sent: number;
  first_fragment_keyframe: boolean | null;
  bytes_sent: number;
  /** The write deadline fired (the client stopped reading for 5 s). */
  write_timeout: boolean;
}

/** Headers a browser (or HA ingress) adds that must never reach go2rtc through the relay. */
const BROWSER_HEADERS = [
  'origin',
  'cookie',
  'authorization',
  'referer',
  'user-agent',
  'x-ingress-path',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'x-hass-source',
  'sec-websocket-protocol',
  'accept-language',
];
/** Codec names go2rtc's `mp4.ParseCodecs` knows (v1.9.14 `pkg/mp4/mime.go`); others are ignored. */
const H264 = 'avc1.640029';
const H265 = 'hvc1.1.6.L153.B0';
const AUDIO: Record<string, string> = { 'mp4a.40.2': 'audio:AAC', flac: 'audio:PCMA', opus: 'audio:OPUS' };
const CODEC_LIST_RE = /^[A-Za-z0-9.,_-]*$/;
/** go2rtc sets a 5 s write deadline on every WebSocket write (`internal/api/ws/ws.go`). */
export const WRITE_DEADLINE_MS = 5000;
/** Past this much unsent data the double treats its writer as blocked (go2rtc's write would block). */
const BLOCKED_BYTES = 1024 * 1024;

export interface DoubleCore {
  config: DoubleConfig;
  server: Server;
  violations: Violation[];
  requests: LoggedRequest[];
  sessions: Map<number, SessionInfo>;
  producers: Map<string, StreamProducer>;
  media: MediaOptions;
  close(): Promise<void>;
}

const now = () => new Date().toISOString();

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = type === 'application/json' ? `${JSON.stringify(body)}\n` : String(body);
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function queryOf(url: URL): Record<string, string[]> {
  const q: Record<string, string[]> = {};
  for (const [k, val] of url.searchParams) (q[k] ??= []).push(val);
  return q;
}

async function readBody(req: IncomingMessage, max = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > max) throw new Error('body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The double's HTTP + WebSocket server for a loaded config (not listening yet: see {@link listen}).
 * `out` receives go2rtc-like log lines.
 */
export function createDoubleCore(ref: Go2rtcReference, config: DoubleConfig, out: (line: string) => void = () => {}): DoubleCore {
  const violations: Violation[] = [];
  const requests: LoggedRequest[] = [];
  const sessions = new Map<number, SessionInfo>();
  const producers = new Map<string, StreamProducer>();
  /** Source dials still to fail as a path with no publisher does (`POST /_double/unready`). */
  let unreadyDials = 0;
  const media: MediaOptions = { ...DEFAULT_MEDIA };
  let nextSession = 1;
  /** Open sessions' server-side close (test control: go2rtc closing a consumer). */
  const sessionClosers = new Map<number, (code: number) => void>();
  const violate = (kind: Violation['kind'], detail: string, session: number | null = null) => {
    violations.push({ at: now(), kind, detail, session });
    out(`WRN [double] violation ${kind}: ${detail}`);
  };

  for (const key of config.unknownKeys) violate('config', `unknown key ${key}: go2rtc ignores it silently (a typo?)`);
  const listeners: [string, string, string | undefined][] = [
    ['rtsp', ':8554', (config.raw.rtsp as { listen?: string } | undefined)?.listen],
    ['webrtc', ':8555', (config.raw.webrtc as { listen?: string } | undefined)?.listen],
    ['srtp', ':8443', (config.raw.srtp as { listen?: string } | undefined)?.listen],
    ['rtmp', '', (config.raw.rtmp as { listen?: string } | undefined)?.listen],
  ];
  for (const [mod, def, set] of listeners) {
    const addr = set ?? def;
    if (moduleEnabled(config, mod) && addr !== '') violate('config', `module ${mod} would listen on ${addr} (the double does not open it)`);
  }

  const allowed = (path: string) => config.allowPaths === null || config.allowPaths.includes(path);

  function checkResponse(key: string, body: unknown): void {
    const validate = ref.responses.get(key);
    if (validate && !validate(body)) violate('response', `${key}: ${formatAjvErrors(validate.errors).join('; ')}`);
  }

  function streamsJson(only?: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, sources] of config.streams) {
      if (only !== undefined && name !== only) continue;
      const prod = producers.get(name);
      const consumers = [...sessions.values()]
        .filter((s) => s.src === name && s.closed_at === null && s.init_sent)
        .map((s) => ({ id: `double-${s.id}`, format_name: 'mse/fmp4', protocol: 'ws', remote_addr: '127.0.0.1', bytes_send: s.bytes_sent }));
      out[name] = {
        producers: sources.map((url) => (prod?.running && prod.source === url ? { id: `ffmpeg-${prod.pid}`, format_name: 'rtsp', protocol: 'rtsp+tcp', url } : { url })),
        consumers,
      };
    }
    return out;
  }

  async function handleDouble(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const p = url.pathname;
    if (p === '/_double/violations' && req.method === 'GET') return send(res, 200, violations);
    if (p === '/_double/requests' && req.method === 'GET') return send(res, 200, requests);
    if (p === '/_double/requests' && req.method === 'DELETE') {
      requests.length = 0;
      return send(res, 200, { ok: true });
    }
    if (p === '/_double/sessions' && req.method === 'GET') return send(res, 200, [...sessions.values()]);
    const closeMatch = /^\/_double\/sessions\/(\d+)\/close$/.exec(p);
    if (closeMatch && req.method === 'POST') {
      const close = sessionClosers.get(Number(closeMatch[1]));
      if (!close) return send(res, 404, { error: 'no such open session' });
      const body = JSON.parse((await readBody(req)) || '{}') as { code?: number };
      close(body.code ?? 1000);
      return send(res, 200, { ok: true });
    }
    if (p === '/_double/config' && req.method === 'GET') return send(res, 200, { file: config.file, config: config.raw });
    if (p === '/_double/producers' && req.method === 'GET') {
      return send(
        res,
        200,
        [...producers.values()].map((pr) => ({ name: pr.name, running: pr.running, pid: pr.pid, consumers: pr.consumers, fragments: pr.fragments })),
      );
    }
    if (p === '/_double/unready' && req.method === 'POST') {
      const body = JSON.parse((await readBody(req)) || '{}') as { dials?: unknown };
      if (typeof body.dials !== 'number' || !Number.isInteger(body.dials) || body.dials < 0) return send(res, 400, { error: 'dials must be a non-negative integer' });
      unreadyDials = body.dials;
      return send(res, 200, { dials: unreadyDials });
    }
    if (p === '/_double/media') {
      if (req.method === 'POST') {
        const body = JSON.parse((await readBody(req)) || '{}') as Partial<MediaOptions>;
        for (const k of Object.keys(body)) if (!(k in media)) return send(res, 400, { error: `unknown media option ${k}` });
        Object.assign(media, body);
      }
      return send(res, 200, media);
    }
    return send(res, 404, { error: 'no such double endpoint' });
  }

  function handleHttp(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://double.invalid');
    if (url.pathname.startsWith('/_double/')) {
      handleDouble(req, res, url).catch((err: unknown) => send(res, 500, { error: (err as Error).message }));
      return;
    }
    const entry: LoggedRequest = { at: now(), method: req.method ?? 'GET', path: url.pathname, query: queryOf(url), headers: { ...req.headers }, websocket: false, status: 0 };
    requests.push(entry);
    res.on('finish', () => (entry.status = res.statusCode));
    const path = url.pathname;
    const key = `${entry.method} ${path}`;
    const known = ['/api', '/api/streams', '/api/ws'];
    if (!allowed(path) || (!known.includes(path) && !ref.operations.has(key))) {
      if (!ref.operations.has(key) && !path.startsWith('/api/ws')) violate('request', `${key} is not a go2rtc API operation`);
      return send(res, 404, '404 page not found\n', 'text/plain; charset=utf-8');
    }
    if (path === '/api' && entry.method === 'GET') {
      const body = { config_path: config.file ?? '', host: req.headers.host ?? '', revision: 'double', rtsp: { listen: config.rtspListen, default_query: 'video&audio' }, version: DOUBLE_VERSION };
      checkResponse('GET /api', body);
      return send(res, 200, body);
    }
    if (path === '/api/streams' && entry.method === 'GET') {
      const src = url.searchParams.get('src');
      if (src === null || src === '') {
        const body = streamsJson();
        checkResponse('GET /api/streams', body);
        return send(res, 200, body);
      }
      if (!config.streams.has(src)) return send(res, 404, '\n', 'text/plain; charset=utf-8');
      return send(res, 200, streamsJson(src)[src]);
    }
    if (path === '/api/streams' && entry.method === 'PATCH') {
      // go2rtc v1.9.14 internal/streams (api.go, Patch): adds or re-points a stream in memory only,
      // the config file is left alone; an rtsp:// source whose path or whole text names a stream links to it.
      const name = url.searchParams.get('name') ?? '';
      const src = url.searchParams.get('src') ?? '';
      if (name === '') return send(res, 400, '\n', 'text/plain; charset=utf-8');
      let rtspPath: string | null = null;
      try {
        const u = new URL(src);
        if (u.protocol === 'rtsp:' && u.pathname.length > 1) rtspPath = decodeURIComponent(u.pathname.slice(1));
      } catch {
        // not a URL: only a stream name can match below
      }
      const linked = (rtspPath !== null ? config.streams.get(rtspPath) : undefined) ?? config.streams.get(src);
      if (linked) {
        config.streams.set(name, linked);
        return send(res, 200, '', 'text/plain; charset=utf-8');
      }
      const scheme = /^([a-z0-9+]+):/i.exec(src)?.[1]?.toLowerCase() ?? '';
      if (!['rtsp', 'rtsps', 'rtspx'].includes(scheme) || !moduleEnabled(config, 'rtsp')) return send(res, 400, 'streams: source not supported\n', 'text/plain; charset=utf-8');
      config.streams.set(name, [src]);
      return send(res, 200, '', 'text/plain; charset=utf-8');
    }
    if (path === '/api/ws') {
      if (!moduleEnabled(config, 'ws')) return send(res, 404, '404 page not found\n', 'text/plain; charset=utf-8');
      return send(res, 400, "Bad Request\nwebsocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header\n", 'text/plain; charset=utf-8');
    }
    violate('unsupported', `${key} is documented but not implemented by the double`);
    return send(res, 500, 'not implemented by the go2rtc double\n', 'text/plain; charset=utf-8');
  }

  const server = createServer((req, res) => handleHttp(req, res));
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1024 * 1024, clientTracking: true });

  function refuseUpgrade(socket: Duplex, status: number, text: string, body: string): void {
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }

  /** gorilla/websocket's check as go2rtc configures it for `api.origin: ""` (same host, port ignored). */
  function originAllowed(req: IncomingMessage): boolean {
    if (config.origin === '*') return true;
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return false;
    }
    if (host === req.headers.host) return true;
    const i = host.indexOf(':');
    return i > 0 && host.slice(0, i) === req.headers.host;
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://double.invalid');
    const entry: LoggedRequest = { at: now(), method: req.method ?? 'GET', path: url.pathname, query: queryOf(url), headers: { ...req.headers }, websocket: true, status: 101 };
    requests.push(entry);
    if (url.pathname !== '/api/ws' || !allowed('/api/ws') || !moduleEnabled(config, 'ws')) {
      entry.status = 404;
      return refuseUpgrade(socket, 404, 'Not Found', '404 page not found\n');
    }
    const id = nextSession++;
    for (const h of BROWSER_HEADERS) {
      if (req.headers[h] !== undefined) violate('ws_request', `browser header forwarded to go2rtc: ${h}: ${String(req.headers[h]).slice(0, 80)}`, id);
    }
    for (const k of url.searchParams.keys()) if (k !== 'src') violate('ws_request', `query parameter "${k}" sent to go2rtc (only src is expected)`, id);
    if (!originAllowed(req)) {
      entry.status = 403;
      out(`ERR [api] websocket: request origin not allowed by Upgrader.CheckOrigin host=${req.headers.host} origin=${req.headers.origin}`);
      return refuseUpgrade(socket, 403, 'Forbidden', 'Forbidden\n');
    }
    wss.handleUpgrade(req, socket, head, (ws) => onSession(ws, id, url, req));
  });

  function onSession(ws: WebSocket, id: number, url: URL, req: IncomingMessage): void {
    const info: SessionInfo = {
      id,
      src: url.searchParams.get('src'),
      opened_at: now(),
      closed_at: null,
      close_code: null,
      closed_by: null,
      origin: req.headers.origin ?? null,
      received: [],
      sent_text: [],
      init_sent: false,
      fragments_sent: 0,
      first_fragment_keyframe: null,
      bytes_sent: 0,
      write_timeout: false,
    };
    sessions.set(id, info);
    let subscribed: { producer: StreamProducer; sub: Subscriber } | null = null;
    let blockedSince: number | null = null;
    let serverClosing = false;

    const sendText = (msg: unknown) => {
      if (ws.readyState !== ws.OPEN) return;
      info.sent_text.push(msg);
      ws.send(JSON.stringify(msg));
    };
    const sendError = (value: string) => sendText({ type: 'error', value });
    const closeByServer = (code: number, reason = '') => {
      serverClosing = true;
      info.closed_by ??= 'server';
      ws.close(code, reason);
      setTimeout(() => ws.terminate(), 1000).unref();
    };

    const sub: Subscriber = {
      onReady(init, codecs) {
        sendText({ type: 'mse', value: `video/mp4; codecs="${codecs}"` });
        if (ws.readyState !== ws.OPEN) return;
        ws.send(init);
        info.init_sent = true;
        info.bytes_sent += init.length;
      },
      onFragment(fragment, keyframe) {
        if (ws.readyState !== ws.OPEN || info.write_timeout) return;
        const t = Date.now();
        if (ws.bufferedAmount > BLOCKED_BYTES) {
          // go2rtc's writer would block here while its packet queue fills and then drops packets
          // (whatever frame they belong to). Past the write deadline the write fails and that
          // consumer never writes again; its socket stays open (go2rtc v1.9.14, seen with the real binary).
          blockedSince ??= t;
          if (t - blockedSince >= WRITE_DEADLINE_MS) {
            info.write_timeout = true;
            out(`WRN [mp4] ws write: i/o timeout (session ${id})`);
          }
          return;
        }
        blockedSince = null;
        info.first_fragment_keyframe ??= keyframe;
        ws.send(fragment);
        info.fragments_sent += 1;
        info.bytes_sent += fragment.length;
      },
      onError(message) {
        subscribed = null;
        sendError(`mse: ${message}`);
      },
    };

    const unsubscribe = () => {
      if (subscribed) subscribed.producer.unsubscribe(subscribed.sub);
      subscribed = null;
    };

    function onMse(value: unknown): void {
      if (subscribed) {
        violate('ws_message', 'a second "mse" request on a socket that already has an MSE consumer (go2rtc would add another consumer writing to the same socket)', id);
        return;
      }
      if (!moduleEnabled(config, 'mp4')) return; // no handler for "mse": go2rtc ignores the message
      if (value !== undefined && typeof value !== 'string') violate('ws_message', `"mse" value must be a string of codecs, got ${JSON.stringify(value)}`, id);
      const codecs = typeof value === 'string' ? value : '';
      if (!CODEC_LIST_RE.test(codecs) || codecs.length > 512) violate('ws_message', `"mse" value is not a comma list of codec names: ${JSON.stringify(codecs.slice(0, 80))}`, id);
      const src = info.src;
      if (src === null || src === '') return sendError('mse: stream not found');
      let sources = config.streams.get(src);
      if (!sources) {
        if (/^[a-z0-9+.-]+:/i.test(src)) {
          // go2rtc's GetOrPatch creates a stream from a `src` that is a URL of a known scheme.
          violate('ws_request', `src is a URL, not a stream name: go2rtc would open ${src.slice(0, 80)}`, id);
          sources = [src];
        } else return sendError('mse: stream not found');
      }
      const source = sources[0];
      if (source === undefined) return sendError('mse: streams: unknown error');
      const scheme = /^([a-z0-9+.-]+):/i.exec(source)?.[1]?.toLowerCase() ?? '';
      if (!['rtsp', 'rtsps', 'rtspx'].includes(scheme) || !moduleEnabled(config, 'rtsp')) return sendError(`mse: streams: unsupported scheme: ${source.replace(/\/\/[^@/]*@/, '//')}`);
      // mp4.ParseCodecs: only exact names count; none known = the default (H264, H265, AAC).
      const names = codecs.split(',');
      const video = names.filter((n) => n === H264 || n === H265);
      const audio = names.filter((n) => n in AUDIO);
      if ((video.length > 0 || audio.length > 0) && !video.includes(H264)) {
        const cons = [...video.map(() => 'video:H265'), ...audio.map((a) => AUDIO[a]!)].join(', ');
        return sendError(`mse: streams: codecs not matched: video:H264 => ${cons}`);
      }
      let producer = producers.get(src);
      if (unreadyDials > 0 && !producer?.running) {
        // What go2rtc v1.9.14 answers when MediaMTX's path has no publisher yet (DESCRIBE 404).
        unreadyDials -= 1;
        return sendError('mse: streams: wrong response on DESCRIBE');
      }
      if (producer?.source !== source) {
        producer?.stop();
        producer = new StreamProducer(src, source, () => media, out);
        producers.set(src, producer);
      }
      subscribed = { producer, sub };
      producer.subscribe(sub);
    }

    ws.on('message', (data: RawData, isBinary: boolean) => {
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (isBinary) violate('ws_message', `binary message from the client (${buf.length} bytes): go2rtc's MSE protocol has none`, id);
      let msg: unknown;
      try {
        msg = JSON.parse(buf.toString('utf8'));
      } catch {
        info.received.push(buf.toString('utf8').slice(0, 200));
        violate('ws_message', 'message is not JSON: go2rtc closes the socket', id);
        return closeByServer(1000);
      }
      info.received.push(msg);
      if (msg === null || typeof msg !== 'object' || typeof (msg as { type?: unknown }).type !== 'string') {
        violate('ws_message', `message is not {"type": string, "value": ...}: ${JSON.stringify(msg).slice(0, 80)}`, id);
        return;
      }
      const { type, value } = msg as { type: string; value?: unknown };
      if (type === 'mse') return onMse(value);
      violate('ws_message', `message type "${type}" is not part of the MSE protocol`, id);
    });
    sessionClosers.set(id, (code) => closeByServer(code));
    ws.on('close', (code) => {
      sessionClosers.delete(id);
      info.closed_at = now();
      info.close_code = code;
      if (!serverClosing) info.closed_by = 'client';
      unsubscribe();
    });
    ws.on('error', () => {});
  }

  return {
    config,
    server,
    violations,
    requests,
    sessions,
    producers,
    media,
    async close() {
      for (const p of producers.values()) p.stop();
      for (const ws of wss.clients) ws.terminate();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export function listen(core: DoubleCore): Promise<Server> {
  return new Promise((resolve, reject) => {
    core.server.once('error', reject);
    core.server.listen(core.config.apiPort, core.config.apiHost, () => {
      core.server.off('error', reject);
      resolve(core.server);
    });
  });
}

export interface InProcessDouble {
  url: string;
  port: number;
  core: DoubleCore;
  close(): Promise<void>;
}

/** The double in this process, for unit tests: `configYaml` as go2rtc would read it (its `api.listen` port may be 0). */
export async function startGo2rtcDouble(configYaml: string, out?: (line: string) => void): Promise<InProcessDouble> {
  const ref = loadGo2rtcReference();
  const config = loadDoubleConfig(ref, configYaml, null);
  const core = createDoubleCore(ref, config, out);
  await new Promise<void>((resolve, reject) => {
    core.server.once('error', reject);
    core.server.listen(config.apiPort === 0 ? 0 : config.apiPort, config.apiHost, () => resolve());
  });
  const port = (core.server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, core, close: () => core.close() };
}
