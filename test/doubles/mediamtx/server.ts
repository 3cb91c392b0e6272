import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, normalizePathValue, type DoubleConfig } from './config.js';
import { confParseDuration, PATH_DURATION_KEYS, pathNameError } from './go.js';
import { createHlsPlane, type HlsLoggedRequest, type HlsPlane, type HlsSourceOptions } from './hls.js';
import { createOnDemandPlane, type OnDemandPlane } from './on-demand.js';
import { formatAjvErrors, loadReference, matchOperation, type Operation, type Reference } from './reference.js';

export const DOUBLE_VERSION = 'v1.20.1';

export interface Violation {
  at: string;
  kind: 'request' | 'response' | 'auth' | 'unsupported';
  method: string;
  path: string;
  operation: string | null;
  errors: string[];
}

export interface LoggedRequest {
  at: string;
  method: string;
  /** Raw path as received (before percent-decoding). */
  path: string;
  operation: string | null;
  /** The path parameter `name`, decoded, when the operation has one. */
  name: string | null;
  query: Record<string, string>;
  body: unknown;
  status: number;
}

interface Reader {
  type: string;
  id: string;
}

interface RuntimePath {
  online: boolean;
  onlineTime: string | null;
  readers: Reader[];
  sourceId: string;
}

interface Reply {
  status: number;
  body: unknown;
}

const ok = (): Reply => ({ status: 200, body: { status: 'ok' } });
const err = (status: number, message: string): Reply => ({ status, body: { status: 'error', error: message } });

function paginate<T>(items: T[], query: Record<string, string>): { items: T[]; pageCount: number } | string {
  let perPage = 100;
  if (query.itemsPerPage !== undefined) {
    if (!/^\d+$/.test(query.itemsPerPage) || Number(query.itemsPerPage) >= 2 ** 31) return `strconv.ParseUint: parsing "${query.itemsPerPage}": invalid syntax`;
    perPage = Number(query.itemsPerPage);
    if (perPage === 0) return 'invalid items per page';
  }
  let page = 0;
  if (query.page !== undefined) {
    if (!/^\d+$/.test(query.page) || Number(query.page) >= 2 ** 31) return `strconv.ParseUint: parsing "${query.page}": invalid syntax`;
    page = Number(query.page);
  }
  if (items.length === 0) return { items: [], pageCount: 0 };
  const pageCount = Math.ceil(items.length / perPage);
  const start = Math.min(page * perPage, items.length);
  return { items: items.slice(start, Math.min((page + 1) * perPage, items.length)), pageCount };
}

function validateUrl(source: string): string | null {
  let u: URL;
  try {
    u = new URL(source);
  } catch {
    return `'${source}' is not a valid URL`;
  }
  if (!u.protocol || !u.host) return `'${source}' is not a valid URL`;
  if ((u.username !== '') !== (u.password !== '')) return 'username and password must be both provided';
  return null;
}

/** The checks of conf.Path.validate that concern sources (v1.20.1). */
function validatePath(name: string, conf: Record<string, unknown>): string | null {
  const isRegexp = name === 'all_others' || name === 'all' || name.startsWith('~');
  if (name.startsWith('~')) {
    try {
      new RegExp(name.slice(1));
    } catch {
      return `invalid regular expression: ${name.slice(1)}`;
    }
  } else if (!isRegexp) {
    const e = pathNameError(name);
    if (e) return `invalid path name '${name}': ${e}`;
  }
  const source = String(conf.source);
  if (conf.srtPublishPassphrase && source !== 'publisher') return "'srtPublishPassphase' can only be used when source is 'publisher'";
  if (source !== 'redirect' && conf.sourceRedirect) return "'sourceRedirect' is useless when source is not 'redirect'";
  if (source === 'publisher') {
    // ok
  } else if (/^(rtsps?|rtsps?\+https?|rtsps?\+ws|rtmps?|https?):\/\//.test(source)) {
    const e = validateUrl(source);
    if (e) return e;
  } else if (/^(udp|udp\+mpegts|unix\+mpegts|udp\+rtp|unix\+rtp|srt|moqt|wheps?):\/\//.test(source) || source === 'rpiCamera') {
    // accepted as-is by the double
  } else if (source === 'redirect') {
    if (!conf.sourceRedirect) return 'source redirect must be filled';
  } else {
    return `invalid source: '${source}'`;
  }
  // conf.Validate, v1.20.1 (path.go).
  if ((conf.runOnDemand || conf.runOnUnDemand) && source !== 'publisher') return "'runOnDemand' and 'runOnUnDemand' can be used only when source is 'publisher'";
  if (conf.sourceOnDemand === true) {
    if (source === 'publisher') return "'sourceOnDemand' is useless when source is 'publisher'";
  } else if (source !== 'publisher' && source !== 'redirect' && isRegexp) {
    return "a path with a regular expression (or path 'all_others') and a static source must have 'sourceOnDemand' set to true";
  }
  return null;
}

export interface DoubleCore {
  config: DoubleConfig;
  violations: Violation[];
  requests: LoggedRequest[];
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** The HLS server (listener handler, media sources, sessions). */
  hls: HlsPlane;
  /** runOnDemand commands started for HLS readers. */
  onDemand: OnDemandPlane;
}

function sha256b64(s: string): string {
  return createHash('sha256').update(s).digest('base64');
}

function ipAllowed(ips: string[], remote: string): boolean {
  if (ips.length === 0) return true;
  const addr = remote.replace(/^::ffff:/, '');
  return ips.some((ip) => {
    const [base, bits] = ip.split('/');
    if (bits === undefined) return base === addr;
    if (base === '127.0.0.0' && bits === '8') return addr.startsWith('127.');
    if ((base === '::' && bits === '0') || (base === '0.0.0.0' && bits === '0')) return true;
    return base === addr;
  });
}

/** The request handler and state of one double instance. */
export function createDoubleCore(ref: Reference, config: DoubleConfig, log: (line: string) => void): DoubleCore {
  const started = new Date().toISOString();
  /** Name → partial conf as given (the OptionalPath), like conf.OptionalPaths. */
  const optional = new Map<string, Record<string, unknown>>(Object.entries(config.paths));
  const runtime = new Map<string, RuntimePath>();
  const violations: Violation[] = [];
  const requests: LoggedRequest[] = [];

  const fullConf = (name: string): Record<string, unknown> => {
    const out: Record<string, unknown> = { name, ...config.pathDefaults };
    for (const [k, v] of Object.entries(optional.get(name) ?? {})) out[k] = normalizePathValue(ref, k, v);
    return out;
  };
  const isStatic = (name: string) => !(name === 'all_others' || name === 'all' || name.startsWith('~'));
  const freshRuntime = (): RuntimePath => ({ online: false, onlineTime: null, readers: [], sourceId: randomUUID() });
  for (const name of optional.keys()) if (isStatic(name)) runtime.set(name, freshRuntime());

  const apiPath = (name: string): Record<string, unknown> => {
    const rt = runtime.get(name)!;
    const conf = fullConf(name);
    const source = String(conf.source);
    const pulled = /^rtsps?/.test(source);
    // A test-started HLS source is a publisher; its viewers are `hlsSession` readers (as MediaMTX lists them).
    const since = hls.publishingSince(name);
    const online = rt.online || since !== null;
    const onlineTime = rt.onlineTime ?? since;
    return {
      name,
      confName: name,
      ready: online,
      readyTime: onlineTime,
      available: online,
      availableTime: onlineTime,
      online,
      onlineTime,
      source: pulled ? { type: 'rtspSource', id: '' } : online ? { type: 'rtspSession', id: rt.sourceId } : null,
      tracks: [],
      tracks2: [],
      readers: [...rt.readers.map((r) => ({ ...r })), ...hls.readers(name)],
      inboundBytes: 0,
      outboundBytes: 0,
      inboundFramesInError: 0,
      bytesReceived: 0,
      bytesSent: 0,
    };
  };

  /** Durations as conf.Duration decodes them: a bad one is a 400 like MediaMTX's decoder gives. */
  function decodeDurations(body: Record<string, unknown>): string | null {
    for (const key of PATH_DURATION_KEYS) {
      if (typeof body[key] !== 'string') continue;
      try {
        confParseDuration(body[key]);
      } catch (e) {
        return (e as Error).message;
      }
    }
    return null;
  }

  /** Apply a change to the config, validate the result like conf.Validate, keep it only if valid. */
  function commit(name: string, next: Record<string, unknown> | null): string | null {
    const before = optional.get(name);
    const beforeFull = before ? JSON.stringify(fullConf(name)) : null;
    if (next === null) optional.delete(name);
    else optional.set(name, next);
    if (next !== null) {
      const problem = validatePath(name, fullConf(name));
      if (problem) {
        if (before) optional.set(name, before);
        else optional.delete(name);
        return problem;
      }
    }
    // Path manager reload: removed paths close, changed ones are recreated (their readers dropped).
    if (next === null) {
      runtime.delete(name);
      hls.pathReset(name);
    } else if (isStatic(name) && (beforeFull === null || beforeFull !== JSON.stringify(fullConf(name)) || !runtime.has(name))) {
      runtime.set(name, freshRuntime());
      hls.pathReset(name);
    }
    return null;
  }

  const handlers: Record<string, (p: Record<string, string>, q: Record<string, string>, body: unknown) => Reply> = {
    info: () => ({ status: 200, body: { version: DOUBLE_VERSION, started } }),
    configPathsList: (_p, q) => {
      const items = [...optional.keys()].sort().map(fullConf);
      const page = paginate(items, q);
      if (typeof page === 'string') return err(400, page);
      return { status: 200, body: { itemCount: items.length, pageCount: page.pageCount, items: page.items } };
    },
    configPathsGet: (p) => (optional.has(p.name!) ? { status: 200, body: fullConf(p.name!) } : err(404, 'path configuration not found')),
    configPathsAdd: (p, _q, body) => {
      const name = p.name!;
      const bad = decodeDurations(body as Record<string, unknown>);
      if (bad) return err(400, bad);
      if (optional.has(name)) return err(400, 'path already exists');
      const problem = commit(name, { ...(body as Record<string, unknown>) });
      return problem ? err(400, problem) : ok();
    },
    configPathsPatch: (p, _q, body) => {
      const name = p.name!;
      const bad = decodeDurations(body as Record<string, unknown>);
      if (bad) return err(400, bad);
      const current = optional.get(name);
      if (!current) return err(404, 'path not found');
      const problem = commit(name, { ...current, ...(body as Record<string, unknown>) });
      return problem ? err(400, problem) : ok();
    },
    // v1.20.1's ReplacePath creates the path when it does not exist.
    configPathsReplace: (p, _q, body) => {
      const bad = decodeDurations(body as Record<string, unknown>);
      if (bad) return err(400, bad);
      const problem = commit(p.name!, { ...(body as Record<string, unknown>) });
      return problem ? err(400, problem) : ok();
    },
    configPathsDelete: (p) => {
      if (!optional.has(p.name!)) return err(404, 'path not found');
      commit(p.name!, null);
      return ok();
    },
    pathsList: (_p, q) => {
      const items = [...runtime.keys()].sort().map(apiPath);
      const page = paginate(items, q);
      if (typeof page === 'string') return err(400, page);
      return { status: 200, body: { itemCount: items.length, pageCount: page.pageCount, items: page.items } };
    },
    pathsGet: (p) => (runtime.has(p.name!) ? { status: 200, body: apiPath(p.name!) } : err(404, 'path not found')),
  };

  function violation(v: Omit<Violation, 'at'>) {
    violations.push({ at: new Date().toISOString(), ...v });
    log(`WAR [double] contract violation (${v.kind}) ${v.method} ${v.path}: ${v.errors.join('; ')}`);
  }

  /** conf.FindPathConf: a static name, or a regular-expression path (`all_others`, `all`, `~re`). */
  function configuredName(name: string): boolean {
    if (optional.has(name) && isStatic(name)) return true;
    for (const key of optional.keys()) {
      if (key === 'all_others' || key === 'all') return true;
      if (key.startsWith('~')) {
        try {
          if (new RegExp(key.slice(1)).test(name)) return true;
        } catch {
          // refused when added
        }
      }
    }
    return false;
  }

  const onDemand = createOnDemandPlane({
    conf: (name) => (optional.has(name) && isStatic(name) ? fullConf(name) : null),
    publishing: (name) => hls.publishingSince(name) !== null,
    reading: (name) => hls.readers(name).length > 0,
    log,
  });
  const hls = createHlsPlane({
    config: config.hls,
    isConfigured: configuredName,
    canRead(req) {
      if (authorized(req, 'read')) return { ok: true };
      return { ok: false, ask: !req.headers.authorization };
    },
    log,
    changed: (name) => onDemand.changed(name),
    onDemand: (name) => onDemand.reader(name),
  });

  function authorized(req: IncomingMessage, action = 'api'): boolean {
    const remote = req.socket.remoteAddress ?? '';
    let user = '';
    let pass = '';
    const header = req.headers.authorization;
    if (header?.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      user = decoded.slice(0, i);
      pass = decoded.slice(i + 1);
    }
    const check = (stored: string, guess: string) => (stored.startsWith('sha256:') ? stored.slice(7) === sha256b64(guess) : stored === guess);
    return config.users.some((u) => u.actions.has(action) && ipAllowed(u.ips, remote) && (u.user === 'any' || (check(u.user, user) && check(u.pass, pass))));
  }

  function send(res: ServerResponse, reply: Reply) {
    const text = JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  function control(method: string, path: string, body: unknown): Reply {
    if (method === 'GET' && path === '/_double/violations') return { status: 200, body: violations };
    if (method === 'GET' && path === '/_double/requests') return { status: 200, body: requests };
    if (method === 'DELETE' && path === '/_double/requests') {
      requests.length = 0;
      return { status: 200, body: { status: 'ok' } };
    }
    const m = /^\/_double\/paths\/(.+)\/(readers|online)$/.exec(path);
    if (method === 'POST' && m) {
      const name = m[1]!;
      const rt = runtime.get(name);
      if (!rt) return err(404, `path '${name}' is not configured`);
      if (m[2] === 'readers') {
        const validateReader = ref.schema('PathReader');
        if (!Array.isArray(body) || !body.every((r: unknown) => validateReader(r) && typeof (r as Reader).type === 'string' && typeof (r as Reader).id === 'string')) {
          return err(400, `body must be an array of PathReader {type, id} (${formatAjvErrors(validateReader.errors).join('; ')})`);
        }
        rt.readers = (body as Reader[]).map((r) => ({ type: r.type, id: r.id }));
        return { status: 200, body: apiPath(name) };
      }
      const online = body === null || body === undefined ? true : (body as { online?: unknown }).online !== false;
      rt.online = online;
      rt.onlineTime = online ? new Date().toISOString() : null;
      return { status: 200, body: apiPath(name) };
    }
    return err(404, `no double control route ${method} ${path}`);
  }

  function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 1024 * 1024) chunks.push(c);
    });
    req.on('end', () => {
      const method = req.method ?? 'GET';
      const url = new URL(req.url ?? '/', 'http://double');
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = undefined;
      let bodyError: string | null = null;
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw);
        } catch (e) {
          bodyError = `invalid JSON: ${(e as Error).message}`;
          body = raw;
        }
      }
      let path: string;
      try {
        // Go's URL.Path (what gin routes on): percent-decoded, `%2F` included.
        path = decodeURIComponent(url.pathname);
      } catch {
        return send(res, err(400, 'invalid URL escape'));
      }
      if (path.startsWith('/_double/')) {
        const hlsReply = hls.control(method, path, body);
        if (hlsReply) {
          hlsReply.then(
            (r) => send(res, r),
            (e: unknown) => send(res, err(500, (e as Error).message)),
          );
          return;
        }
        return send(res, control(method, path, body));
      }

      const query = Object.fromEntries(url.searchParams);
      const matched = matchOperation(ref, method, path);
      const entry: LoggedRequest = {
        at: new Date().toISOString(),
        method,
        path: url.pathname,
        operation: matched?.op.operationId ?? null,
        name: matched?.params.name ?? null,
        query,
        body: body ?? null,
        status: 0,
      };
      requests.push(entry);
      const reply = (r: Reply, op: Operation | null) => {
        entry.status = r.status;
        if (op) {
          if (!op.responses.has(r.status)) {
            violation({ kind: 'response', method, path: url.pathname, operation: op.operationId, errors: [`status ${r.status} is not documented for ${op.operationId}`] });
          } else {
            const validate = op.responses.get(r.status);
            if (validate && !validate(r.body)) violation({ kind: 'response', method, path: url.pathname, operation: op.operationId, errors: formatAjvErrors(validate.errors) });
          }
        }
        send(res, r);
      };

      if (!matched) {
        violation({ kind: 'request', method, path: url.pathname, operation: null, errors: [`no operation ${method} ${path} in the MediaMTX OpenAPI`] });
        entry.status = 404;
        res.writeHead(404, { 'content-type': 'text/plain' });
        return res.end('404 page not found');
      }
      const { op, params } = matched;
      if (!authorized(req)) {
        violation({ kind: 'auth', method, path: url.pathname, operation: op.operationId, errors: [`${req.socket.remoteAddress} has no 'api' permission in authInternalUsers`] });
        entry.status = 401;
        return send(res, err(401, 'authentication error'));
      }

      const problems: string[] = [];
      for (const [k, v] of Object.entries(query)) {
        const schema = op.query.get(k);
        if (!schema) problems.push(`unknown query parameter "${k}"`);
        else if (schema.type === 'integer' && !/^\d+$/.test(v)) problems.push(`query parameter "${k}" must be an integer (got "${v}")`);
      }
      if (op.requestBody) {
        if (bodyError) problems.push(bodyError);
        else if (body === undefined) problems.push('request body is required');
        else if (!op.requestBody(body)) problems.push(...formatAjvErrors(op.requestBody.errors));
      } else if (raw.length > 0) {
        problems.push(`${op.operationId} takes no request body`);
      }
      if (size > 1024 * 1024) problems.push('request body too large');
      if (problems.length > 0) {
        violation({ kind: 'request', method, path: url.pathname, operation: op.operationId, errors: problems });
        const unknown = op.requestBody?.errors?.find((e) => e.keyword === 'additionalProperties');
        const message = unknown ? `json: unknown field "${String(unknown.params.additionalProperty)}"` : problems.join('; ');
        return reply(err(400, message), op);
      }
      const handler = handlers[op.operationId];
      if (!handler) {
        violation({ kind: 'unsupported', method, path: url.pathname, operation: op.operationId, errors: [`${op.operationId} is in the OpenAPI but not implemented by the double`] });
        return reply(err(500, `${op.operationId} is not implemented by the test double`), op);
      }
      reply(handler(params, query, body), op);
    });
  }

  return { config, violations, requests, handle, hls, onDemand };
}

export interface MediamtxDouble {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** `http://127.0.0.1:<hls port>`, null when the config has no HLS listener. */
  hlsUrl: string | null;
  violations(): Violation[];
  requests(): LoggedRequest[];
  /** Requests the HLS listener received. */
  hlsRequests(): HlsLoggedRequest[];
  setReaders(path: string, readers: Reader[]): Promise<void>;
  setOnline(path: string, online?: boolean): Promise<void>;
  /** Starts FFmpeg publishing HLS media on `path` (`POST /_double/paths/{path}/hls`). */
  startHls(path: string, options?: Partial<HlsSourceOptions>): Promise<void>;
  /** Stops it (`DELETE /_double/paths/{path}/hls`): the muxer and its sessions close. */
  stopHls(path: string): Promise<void>;
  close(): Promise<void>;
}

/** Opens the HLS listener on the config's hlsAddress; null when HLS is off or the file does not name hlsAddress. */
export async function listenHls(core: DoubleCore): Promise<Server | null> {
  const at = core.config.hls.enabled ? core.config.hls.listen : null;
  if (!at) return null;
  const server = createServer((req, res) => core.hls.handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host === '' ? undefined : at.host, () => resolve());
  });
  return server;
}

/** Listens on the config's apiAddress (only). */
export async function listen(core: DoubleCore): Promise<Server> {
  const server = createServer((req, res) => core.handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(core.config.apiPort, core.config.apiHost === '' ? undefined : core.config.apiHost, () => resolve());
  });
  return server;
}

/**
 * The double in this process (unit tests): a config like the server renders is optional; by
 * default the API listens on 127.0.0.1:`apiPort` (0 = any free port) with the local `any` user.
 */
export async function startMediamtxDouble(options: { apiPort?: number; hlsPort?: number; configYaml?: string } = {}): Promise<MediamtxDouble> {
  const ref = loadReference();
  const yaml =
    options.configYaml ??
    [
      'api: true',
      `apiAddress: 127.0.0.1:${options.apiPort ?? 0}`,
      'authInternalUsers:',
      '  - user: any',
      "    ips: ['127.0.0.1', '::1']",
      '    permissions: [{action: publish}, {action: read}, {action: playback}, {action: api}]',
      `hlsAddress: 127.0.0.1:${options.hlsPort ?? 0}`,
      'hlsVariant: mpegts',
      'hlsSegmentCount: 4',
      'hlsSegmentDuration: 1s',
      'paths: {}',
    ].join('\n');
  const core = createDoubleCore(ref, loadConfig(ref, yaml), () => undefined);
  const server = await listen(core);
  const hlsServer = await listenHls(core).catch(async (e: unknown) => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    throw e;
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  };
  const closeServer = (s: Server) =>
    new Promise<void>((resolve) => {
      s.closeAllConnections();
      s.close(() => resolve());
    });
  return {
    url,
    port,
    hlsUrl: hlsServer ? `http://127.0.0.1:${(hlsServer.address() as AddressInfo).port}` : null,
    violations: () => [...core.violations],
    requests: () => [...core.requests],
    hlsRequests: () => [...core.hls.requests],
    setReaders: (path, readers) => call('POST', `/_double/paths/${path}/readers`, readers),
    setOnline: (path, online = true) => call('POST', `/_double/paths/${path}/online`, { online }),
    startHls: (path, opts = {}) => call('POST', `/_double/paths/${path}/hls`, { source: 'testsrc', ...opts }),
    stopHls: (path) => call('DELETE', `/_double/paths/${path}/hls`),
    async close() {
      core.onDemand.closeAll();
      await core.hls.close();
      await Promise.all([closeServer(server), ...(hlsServer ? [closeServer(hlsServer)] : [])]);
    },
  };
}
