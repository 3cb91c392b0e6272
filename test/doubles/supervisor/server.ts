import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

/**
 * A stand-in for `http://supervisor` as an add-on with `homeassistant_api: true` sees it: the
 * Supervisor endpoints the add-on calls and Home Assistant Core's API behind `/core/api` and
 * `/core/websocket`. Every HTTP request must carry `Authorization: Bearer <token>` (401 otherwise,
 * as Supervisor answers a bad token); the WebSocket authenticates with Home Assistant's
 * auth_required / auth / auth_ok handshake. Shapes follow Home Assistant's code (read at
 * home-assistant/core, `homeassistant/helpers/data_entry_flow.py`, `components/config/config_entries.py`,
 * `components/generic/config_flow.py`; Supervisor `api/addons.py`), noted where used.
 */

interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | null;
  body: unknown;
}

/** A voluptuous_serialize field (`required`/`optional`, `default`, a section's `schema`). */
interface SerializedField {
  name: string;
  type: string;
  required?: boolean;
  optional?: boolean;
  default?: unknown;
  options?: [string, string][];
  expanded?: boolean;
  schema?: SerializedField[];
}

export interface SupervisorDoubleOptions {
  token: string;
  /** `GET /addons/self/info` → data.hostname; null answers 500 (Supervisor trouble). */
  hostname?: string | null;
  /**
   * The Generic Camera user form: `sections` as since Home Assistant 2026.1 (ffmpeg options in a
   * collapsed "advanced" section), `flat` as before.
   */
  form?: 'sections' | 'flat';
  /** Error key the stream test reports (e.g. `stream_unauthorised`); null: the stream opens. */
  streamError?: string | null;
  /** `GET /network/info` → data.interfaces (Supervisor's interface shape); null answers 500. Default: one wired LAN interface. */
  interfaces?: NetworkInterface[] | null;
}

/** One interface of Supervisor's `GET /network/info` (supervisor/api/network.py interface_struct). */
interface NetworkInterface {
  interface: string;
  type: 'ethernet' | 'wireless' | 'vlan';
  enabled: boolean;
  connected: boolean;
  primary: boolean;
  mac: string;
  ipv4: { method: string; address: string[]; nameservers: string[]; gateway: string | null; ready: boolean } | null;
  ipv6: { method: string; address: string[]; nameservers: string[]; gateway: string | null; ready: boolean } | null;
  wifi: null;
  vlan: null;
}

const DEFAULT_INTERFACES: NetworkInterface[] = [
  {
    interface: 'enp0s3',
    type: 'ethernet',
    enabled: true,
    connected: true,
    primary: true,
    mac: '52:54:00:12:34:56',
    ipv4: { method: 'auto', address: ['192.0.2.10/24'], nameservers: ['192.0.2.1'], gateway: '192.0.2.1', ready: true },
    ipv6: { method: 'auto', address: ['fe80::5054:ff:fe12:3456/64', '2001:db8::10/64'], nameservers: [], gateway: null, ready: true },
    wifi: null,
    vlan: null,
  },
];

interface Entry {
  entry_id: string;
  domain: string;
  title: string;
  options: Record<string, unknown>;
}

export interface SupervisorDouble {
  url: string;
  requests: RecordedRequest[];
  entries: Map<string, Entry>;
  /** Flows still open (a provisioning that failed must abort its flow). */
  openFlows(): string[];
  /** What Core fetched at the still image URL during the flow: status and first bytes. */
  stillFetches: { status: number; jpeg: boolean }[];
  set(options: Partial<Pick<SupervisorDoubleOptions, 'hostname' | 'streamError' | 'form' | 'interfaces'>>): void;
  close(): Promise<void>;
}

const RTSP_TRANSPORTS: [string, string][] = [
  ['tcp', 'TCP'],
  ['udp', 'UDP'],
  ['udp_multicast', 'UDP Multicast'],
  ['http', 'HTTP'],
];

// generic/config_flow.py build_schema(): URLs, authentication, credentials, then framerate and
// verify_ssl (required) and the RTSP transport; in the sectioned form the ffmpeg options are the section.
function userForm(style: 'sections' | 'flat'): SerializedField[] {
  const top: SerializedField[] = [
    { name: 'still_image_url', type: 'string', optional: true },
    { name: 'stream_source', type: 'string', optional: true },
    {
      name: 'authentication',
      type: 'select',
      optional: true,
      options: [
        ['basic', 'basic'],
        ['digest', 'digest'],
      ],
    },
    { name: 'username', type: 'string', optional: true },
    { name: 'password', type: 'string', optional: true },
  ];
  const ffmpeg: SerializedField[] = [
    { name: 'rtsp_transport', type: 'select', optional: true, options: RTSP_TRANSPORTS },
    { name: 'framerate', type: 'float', required: true },
    { name: 'verify_ssl', type: 'boolean', required: true, default: true },
  ];
  return style === 'sections' ? [...top, { name: 'advanced', type: 'expandable', required: true, expanded: false, schema: ffmpeg }] : [...top, ...ffmpeg];
}

const CONFIRM_FORM: SerializedField[] = [{ name: 'confirmed_ok', type: 'boolean', required: true, default: false }];

/** voluptuous on the submitted input: unknown keys, missing required keys, wrong types (HTTP 400 `{"errors": ...}`). */
function validate(fields: SerializedField[], input: Record<string, unknown>, prefix = ''): Record<string, string> {
  const errors: Record<string, string> = {};
  const known = new Map(fields.map((f) => [f.name, f]));
  for (const key of Object.keys(input)) if (!known.has(key)) errors[prefix + key] = 'extra keys not allowed';
  for (const f of fields) {
    const value = input[f.name];
    if (value === undefined) {
      if (f.required && f.default === undefined) errors[prefix + f.name] = 'required key not provided';
      continue;
    }
    if (f.type === 'expandable') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) errors[prefix + f.name] = 'expected dict';
      else Object.assign(errors, validate(f.schema ?? [], value as Record<string, unknown>, `${f.name}.`));
      continue;
    }
    const ok =
      f.type === 'string'
        ? typeof value === 'string'
        : f.type === 'boolean'
          ? typeof value === 'boolean'
          : f.type === 'float'
            ? typeof value === 'number' && value > 0
            : (f.options ?? []).some(([k]) => k === value);
    if (!ok) errors[prefix + f.name] = `expected ${f.type}`;
  }
  return errors;
}

/** Sections flattened, as the generic flow reads its input. */
const flat = (input: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(input).flatMap(([k, v]) => (v !== null && typeof v === 'object' ? Object.entries(v) : [[k, v]])));

const id = () => randomBytes(16).toString('hex');

export async function startSupervisorDouble(opts: SupervisorDoubleOptions): Promise<SupervisorDouble> {
  const state = {
    hostname: opts.hostname === undefined ? 'a0d7b954-toposync-streaming' : opts.hostname,
    form: opts.form ?? 'sections',
    streamError: opts.streamError ?? null,
    interfaces: opts.interfaces === undefined ? DEFAULT_INTERFACES : opts.interfaces,
  };
  const requests: RecordedRequest[] = [];
  const entries = new Map<string, Entry>();
  const flows = new Map<string, { step: 'user' | 'user_confirm'; input: Record<string, unknown> | null }>();
  const stillFetches: { status: number; jpeg: boolean }[] = [];

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  // HomeAssistantView.json_message()
  const message = (res: ServerResponse, status: number, text: string) => send(res, status, { message: text });

  const form = (flowId: string, step: 'user' | 'user_confirm', errors: Record<string, string> = {}) => ({
    type: 'form',
    flow_id: flowId,
    handler: 'generic',
    step_id: step,
    data_schema: step === 'user' ? userForm(state.form) : CONFIRM_FORM,
    errors,
    description_placeholders: step === 'user_confirm' ? { preview_url: `/api/generic/preview_flow_image/${flowId}?t=now` } : {},
    last_step: null,
    preview: step === 'user_confirm' ? 'generic_camera' : null,
  });

  /** async_test_still(): GET the URL (10 s), map the status to the flow's error keys, check it is an image. */
  async function testStill(url: unknown): Promise<Record<string, string>> {
    if (typeof url !== 'string' || url === '') return {};
    if (!/^https?:\/\//.test(url)) return { still_image_url: 'relative_url' };
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      const body = Buffer.from(await res.arrayBuffer());
      const jpeg = body[0] === 0xff && body[1] === 0xd8;
      stillFetches.push({ status: res.status, jpeg });
      if (res.status === 401 || res.status === 403) return { still_image_url: 'unable_still_load_auth' };
      if (res.status === 404) return { still_image_url: 'unable_still_load_not_found' };
      if (res.status === 500 || res.status === 503) return { still_image_url: 'unable_still_load_server_error' };
      if (res.status >= 400) return { still_image_url: 'unable_still_load' };
      if (body.length === 0) return { still_image_url: 'unable_still_load_no_image' };
      return jpeg ? {} : { still_image_url: 'invalid_still_image' };
    } catch {
      return { still_image_url: 'unable_still_load' };
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const m = (re: RegExp) => re.exec(path);
    if (req.method === 'GET' && path === '/addons/self/info') {
      if (state.hostname === null) return send(res, 500, { result: 'error', message: 'Supervisor is busy' });
      return send(res, 200, { result: 'ok', data: { name: 'Toposync Streaming', slug: 'toposync_streaming', hostname: state.hostname, state: 'started' } });
    }
    if (req.method === 'GET' && path === '/network/info') {
      if (state.interfaces === null) return send(res, 500, { result: 'error', message: 'Supervisor is busy' });
      return send(res, 200, {
        result: 'ok',
        data: { interfaces: state.interfaces, docker: { interface: 'hassio', address: '172.30.32.0/23', gateway: '172.30.32.1', dns: '172.30.32.3' }, host_internet: true, supervisor_internet: true },
      });
    }
    if (req.method === 'GET' && path === '/core/api/') return message(res, 200, 'API running.');
    if (req.method === 'POST' && path === '/core/api/config/config_entries/flow') {
      const data = body as { handler?: unknown } | null;
      if (!data || typeof data.handler !== 'string') return message(res, 400, "Message format incorrect: required key not provided @ data['handler']");
      if (data.handler !== 'generic') return message(res, 404, 'Invalid handler specified');
      const flowId = id();
      flows.set(flowId, { step: 'user', input: null });
      return send(res, 200, form(flowId, 'user'));
    }
    let hit = m(/^\/core\/api\/config\/config_entries\/flow\/([^/]+)$/);
    if (hit) {
      const flowId = decodeURIComponent(hit[1]!);
      const flow = flows.get(flowId);
      if (!flow) return message(res, 404, 'Invalid flow specified');
      if (req.method === 'DELETE') {
        flows.delete(flowId);
        return message(res, 200, 'Flow aborted');
      }
      if (req.method !== 'POST') return message(res, 405, 'Method not allowed');
      if (body === null || typeof body !== 'object' || Array.isArray(body)) return message(res, 400, 'Message format incorrect: expected dict');
      const input = body as Record<string, unknown>;
      const schemaErrors = validate(flow.step === 'user' ? userForm(state.form) : CONFIRM_FORM, input);
      if (Object.keys(schemaErrors).length > 0) return send(res, 400, { errors: schemaErrors });
      if (flow.step === 'user') {
        const info = flat(input);
        if (!info.still_image_url && !info.stream_source) return send(res, 200, form(flowId, 'user', { base: 'no_still_image_or_stream_url' }));
        const errors = await testStill(info.still_image_url);
        if (state.streamError) errors.stream_source = state.streamError;
        if (Object.keys(errors).length > 0) return send(res, 200, form(flowId, 'user', errors));
        flow.input = input;
        flow.step = 'user_confirm';
        return send(res, 200, form(flowId, 'user_confirm'));
      }
      if (input.confirmed_ok !== true) {
        flow.step = 'user';
        return send(res, 200, form(flowId, 'user'));
      }
      // async_create_entry(title=slug(host of the still URL)), as _prepare_config_flow_result_json sends it.
      const options = flow.input!;
      const stillHost = new URL(String(flat(options).still_image_url)).hostname;
      const entry: Entry = { entry_id: id().slice(0, 26).toUpperCase(), domain: 'generic', title: stillHost.toLowerCase().replace(/[^a-z0-9]+/g, '_'), options };
      entries.set(entry.entry_id, entry);
      flows.delete(flowId);
      return send(res, 200, {
        type: 'create_entry',
        flow_id: flowId,
        handler: 'generic',
        title: entry.title,
        description: null,
        description_placeholders: null,
        options,
        version: 1,
        minor_version: 1,
        result: { entry_id: entry.entry_id, domain: 'generic', title: entry.title, source: 'user', state: 'loaded', disabled_by: null },
      });
    }
    hit = m(/^\/core\/api\/config\/config_entries\/entry\/([^/]+)$/);
    if (hit && req.method === 'DELETE') {
      const entryId = decodeURIComponent(hit[1]!);
      if (!entries.delete(entryId)) return message(res, 404, 'Invalid entry specified');
      return send(res, 200, { require_restart: false });
    }
    return message(res, 404, 'Not found');
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = text;
      }
      const authorization = req.headers.authorization ?? null;
      requests.push({ method: req.method ?? '', path: req.url ?? '', authorization, body });
      if (authorization !== `Bearer ${opts.token}`) return message(res, 401, 'Unauthorized');
      handle(req, res, body).catch((err: unknown) => message(res, 500, (err as Error).message));
    });
  });

  // Home Assistant's WebSocket API: auth first, then `config_entries/update` (config/config_entries.py).
  const wss = new WebSocketServer({ server, path: '/core/websocket' });
  wss.on('connection', (ws) => {
    let authed = false;
    ws.send(JSON.stringify({ type: 'auth_required', ha_version: '2026.7.0' }));
    ws.on('message', (data) => {
      const msg = JSON.parse((data as Buffer).toString()) as Record<string, unknown>;
      requests.push({ method: 'WS', path: String(msg.type), authorization: null, body: msg.type === 'auth' ? { type: 'auth' } : msg });
      if (!authed) {
        if (msg.type === 'auth' && msg.access_token === opts.token) {
          authed = true;
          ws.send(JSON.stringify({ type: 'auth_ok', ha_version: '2026.7.0' }));
        } else {
          ws.send(JSON.stringify({ type: 'auth_invalid', message: 'Invalid access token or password' }));
          ws.close();
        }
        return;
      }
      const entry = entries.get(String(msg.entry_id));
      if (msg.type !== 'config_entries/update' || !entry) {
        ws.send(JSON.stringify({ id: msg.id, type: 'result', success: false, error: { code: 'not_found', message: 'Config entry not found' } }));
        return;
      }
      if (typeof msg.title === 'string') entry.title = msg.title;
      ws.send(JSON.stringify({ id: msg.id, type: 'result', success: true, result: { entry_id: entry.entry_id, domain: entry.domain, title: entry.title } }));
    });
  });

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    entries,
    stillFetches,
    openFlows: () => [...flows.keys()],
    set(next) {
      Object.assign(state, next);
    },
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
