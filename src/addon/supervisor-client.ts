import { hostname as osHostname } from 'node:os';
import * as v from 'valibot';
import { WebSocket } from 'ws';

export interface SupervisorClientOptions {
  /** SUPERVISOR_TOKEN; null outside Home Assistant (every call then fails with SupervisorUnavailable). */
  token: string | null;
  /** Default `http://supervisor`; tests point it at a double on 127.0.0.1. */
  baseUrl?: string;
  /**
   * Longest wait for one answer. Default 60 s: a Generic Camera flow step makes Home Assistant
   * fetch the still image and open the stream before it answers.
   */
  timeoutMs?: number;
  /** The add-on's host name when Supervisor cannot say (a container's HOSTNAME is the add-on's host name). */
  fallbackHostname?: string;
  /** After a failed host name lookup, the fallback is used this long before Supervisor is asked again. Default 60 s. */
  hostnameRetryMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

/** A command of Home Assistant Core's WebSocket API: its `type` and the command's own fields. */
interface CoreCommand {
  type: string;
  [field: string]: unknown;
}

export interface SupervisorResponse {
  status: number;
  body: unknown;
}

interface CoreApiStatus {
  reachable: boolean;
  status: number | null;
  reason: string | null;
}

export interface SupervisorClient {
  readonly baseUrl: string;
  /** True when there is a token to call Supervisor with. */
  readonly available: boolean;
  /** One JSON request to Supervisor (`/core/api/...` reaches Home Assistant Core); any HTTP status resolves. */
  request(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<SupervisorResponse>;
  /** One command on Home Assistant Core's WebSocket API (through Supervisor): its `result`, or a thrown error. */
  coreCommand(command: CoreCommand): Promise<unknown>;
  /** The add-on's host name on the Supervisor network, as Home Assistant Core reaches it. */
  addonHost(): Promise<{ host: string; source: 'supervisor' | 'fallback' }>;
  /** Whether Home Assistant Core's API answers (cached a few seconds). */
  coreApi(): Promise<CoreApiStatus>;
  /**
   * The host's LAN addresses (`GET /network/info`: connected interfaces, primary first; IPv4 then
   * global IPv6, without prefix lengths), where browsers on the LAN reach the add-on. Null when
   * Supervisor cannot say.
   */
  lanAddresses(): Promise<string[] | null>;
}

/** Supervisor could not be asked: no token, a network error or a timeout. */
export class SupervisorUnavailable extends Error {
  override name = 'SupervisorUnavailable';
}

const selfInfoSchema = v.object({ data: v.object({ hostname: v.pipe(v.string(), v.regex(/^[A-Za-z0-9.-]{1,253}$/)) }) });
const wsMessageSchema = v.object({
  type: v.string(),
  id: v.optional(v.number()),
  success: v.optional(v.boolean()),
  result: v.optional(v.unknown()),
  error: v.optional(v.object({ code: v.optional(v.string()), message: v.optional(v.string()) })),
});

/** Supervisor's `GET /network/info` (supervisor/api/network.py): only what is read here. */
const ipConfig = v.nullish(v.object({ address: v.optional(v.array(v.string()), []) }));
const networkInfoSchema = v.object({
  data: v.object({
    interfaces: v.array(v.object({ enabled: v.optional(v.boolean()), connected: v.optional(v.boolean()), primary: v.optional(v.boolean()), ipv4: ipConfig, ipv6: ipConfig })),
  }),
});

/** `192.168.1.10/24` → `192.168.1.10`; loopback and link-local addresses (no use to a LAN browser) → null. */
function lanAddress(cidr: string): string | null {
  const address = cidr.split('/')[0] ?? '';
  if (address === '' || address.startsWith('127.') || address.startsWith('169.254.') || /^(::1|fe[89ab][0-9a-f]:)/i.test(address)) return null;
  return address;
}

const PROBE_TIMEOUT_MS = 5000;
const CORE_STATUS_TTL_MS = 10_000;

export function createSupervisorClient(opts: SupervisorClientOptions): SupervisorClient {
  const baseUrl = (opts.baseUrl ?? 'http://supervisor').replace(/\/+$/, '');
  let parsedBase: URL;
  try {
    parsedBase = new URL(baseUrl);
  } catch {
    throw new Error(`supervisor client: baseUrl "${baseUrl}" is not a URL`);
  }
  if (parsedBase.protocol !== 'http:' && parsedBase.protocol !== 'https:') throw new Error('supervisor client: baseUrl must be an http(s) URL');
  const { token } = opts;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  if (!(timeoutMs >= 100)) throw new Error('supervisor client: timeoutMs must be at least 100');
  const fetchImpl = opts.fetch ?? fetch;
  const now = opts.now ?? Date.now;
  const fallbackHostname = opts.fallbackHostname ?? process.env.HOSTNAME ?? osHostname();
  const hostnameRetryMs = opts.hostnameRetryMs ?? 60_000;

  let host: string | null = null;
  let fallbackUntil = 0;
  let coreStatus: { at: number; value: CoreApiStatus } | null = null;

  async function request(method: string, path: string, body?: unknown, timeout = timeoutMs): Promise<SupervisorResponse> {
    if (token === null) throw new SupervisorUnavailable('no SUPERVISOR_TOKEN: not running as a Home Assistant add-on');
    let res: Response;
    try {
      res = await fetchImpl(`${baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeout),
      });
    } catch (err) {
      const why = (err as Error).name === 'TimeoutError' ? `no answer within ${timeout} ms` : (err as Error).message;
      throw new SupervisorUnavailable(`${method} ${path}: ${why}`);
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // Not JSON (aiohttp's plain-text errors): the text is the body.
    }
    return { status: res.status, body: parsed };
  }

  function coreCommand(command: CoreCommand): Promise<unknown> {
    if (token === null) return Promise.reject(new SupervisorUnavailable('no SUPERVISOR_TOKEN: not running as a Home Assistant add-on'));
    const url = `${baseUrl.replace(/^http/, 'ws')}/core/websocket`;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { handshakeTimeout: timeoutMs });
      const timer = setTimeout(() => finish(new SupervisorUnavailable(`WebSocket ${command.type}: no answer within ${timeoutMs} ms`)), timeoutMs);
      let done = false;
      function finish(err: Error | null, result?: unknown) {
        if (done) return;
        done = true;
        clearTimeout(timer);
        ws.close();
        if (err) reject(err);
        else resolve(result);
      }
      ws.on('error', (err) => finish(new SupervisorUnavailable(`WebSocket ${command.type}: ${err.message}`)));
      ws.on('close', () => finish(new SupervisorUnavailable(`WebSocket ${command.type}: closed before an answer`)));
      ws.on('message', (data) => {
        let msg: v.InferOutput<typeof wsMessageSchema>;
        try {
          // ws's default binaryType: a message arrives as one Buffer.
          msg = v.parse(wsMessageSchema, JSON.parse((data as Buffer).toString('utf8')));
        } catch {
          finish(new Error(`WebSocket ${command.type}: a message that is not Home Assistant's protocol`));
          return;
        }
        // Home Assistant's handshake: auth_required -> auth -> auth_ok, then the command.
        if (msg.type === 'auth_required') ws.send(JSON.stringify({ type: 'auth', access_token: token }));
        else if (msg.type === 'auth_ok') ws.send(JSON.stringify({ id: 1, ...command }));
        else if (msg.type === 'auth_invalid') finish(new Error(`WebSocket ${command.type}: Home Assistant refused the add-on's token`));
        else if (msg.type === 'result' && msg.id === 1) {
          if (msg.success) finish(null, msg.result);
          else finish(new Error(`WebSocket ${command.type}: ${msg.error?.code ?? 'error'}: ${msg.error?.message ?? 'no message'}`));
        }
      });
    });
  }

  return {
    baseUrl,
    available: token !== null,
    request,
    coreCommand,
    async addonHost() {
      if (host !== null) return { host, source: 'supervisor' };
      if (token !== null && now() >= fallbackUntil) {
        try {
          const res = await request('GET', '/addons/self/info', undefined, PROBE_TIMEOUT_MS);
          const info = v.safeParse(selfInfoSchema, res.body);
          if (res.status === 200 && info.success) {
            host = info.output.data.hostname;
            return { host, source: 'supervisor' };
          }
        } catch (err) {
          if (!(err instanceof SupervisorUnavailable)) throw err;
        }
        fallbackUntil = now() + hostnameRetryMs;
      }
      return { host: fallbackHostname, source: 'fallback' };
    },
    async lanAddresses() {
      try {
        const res = await request('GET', '/network/info', undefined, PROBE_TIMEOUT_MS);
        const info = v.safeParse(networkInfoSchema, res.body);
        if (res.status !== 200 || !info.success) return null;
        const up = info.output.data.interfaces.filter((i) => i.enabled !== false && i.connected !== false);
        const ordered = [...up.filter((i) => i.primary), ...up.filter((i) => !i.primary)];
        const all = ordered.flatMap((i) => [...(i.ipv4?.address ?? []), ...(i.ipv6?.address ?? [])].map(lanAddress).filter((a): a is string => a !== null));
        return [...new Set(all)];
      } catch (err) {
        if (!(err instanceof SupervisorUnavailable)) throw err;
        return null;
      }
    },
    async coreApi() {
      if (coreStatus && now() - coreStatus.at < CORE_STATUS_TTL_MS) return coreStatus.value;
      let value: CoreApiStatus;
      try {
        const res = await request('GET', '/core/api/', undefined, PROBE_TIMEOUT_MS);
        value = { reachable: res.status === 200, status: res.status, reason: res.status === 200 ? null : `Home Assistant Core answered ${res.status}` };
      } catch (err) {
        if (!(err instanceof SupervisorUnavailable)) throw err;
        value = { reachable: false, status: null, reason: err.message };
      }
      coreStatus = { at: now(), value };
      return value;
    },
  };
}
