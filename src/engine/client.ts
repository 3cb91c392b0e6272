import * as v from 'valibot';
import { redactUrls } from '../shared/logger.js';
import { pathNameError } from '../domain/engine-path.js';
import type { PathConf } from './path-conf.js';

/** An answer of the MediaMTX control API that is not a success; `message` is redacted. */
export class MediamtxApiError extends Error {
  constructor(
    readonly status: number | null,
    message: string,
  ) {
    super(redactUrls(message));
    this.name = 'MediamtxApiError';
  }
}

// The subset of the v1.20.1 OpenAPI schemas this client reads; other fields pass through.
const infoSchema = v.looseObject({ version: v.string(), started: v.string() });
const okSchema = v.looseObject({ status: v.literal('ok') });
const errorSchema = v.looseObject({ status: v.literal('error'), error: v.string() });
const pathConfItemSchema = v.looseObject({ name: v.string() });
const pathConfListSchema = v.looseObject({
  itemCount: v.pipe(v.number(), v.integer(), v.minValue(0)),
  pageCount: v.pipe(v.number(), v.integer(), v.minValue(0)),
  items: v.array(pathConfItemSchema),
});
const readerSchema = v.looseObject({ type: v.string(), id: v.string() });
const pathSchema = v.looseObject({
  name: v.string(),
  online: v.optional(v.boolean()),
  available: v.optional(v.boolean()),
  readers: v.array(readerSchema),
  tracks2: v.optional(v.array(v.looseObject({ codec: v.optional(v.string()) }))),
});

type MediamtxInfo = v.InferOutput<typeof infoSchema>;
type EnginePath = v.InferOutput<typeof pathSchema>;
/** A path config as MediaMTX reports it: every PathConf field, `name` included. */
type ReportedPathConf = Record<string, unknown> & { name: string };

export interface MediamtxClient {
  readonly baseUrl: string;
  info(): Promise<MediamtxInfo>;
  /** Every runtime path config, all pages. */
  listPathConfigs(): Promise<ReportedPathConf[]>;
  addPath(name: string, conf: PathConf): Promise<void>;
  replacePath(name: string, conf: PathConf): Promise<void>;
  deletePath(name: string): Promise<void>;
  /** The live path, or null when MediaMTX does not know it (404). */
  getPath(name: string): Promise<EnginePath | null>;
  /** Readers of the path other than MediaMTX's internal `hidden` ones (HLS muxers), or null when the path does not exist. */
  readerCount(name: string): Promise<number | null>;
}

export interface ClientOptions {
  /** `http://127.0.0.1:<api>` */
  baseUrl: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

const ITEMS_PER_PAGE = 1000;

/**
 * Path names go into the URL with their slashes as they are (`/v3/config/paths/add/cam/front/main`):
 * MediaMTX registers these routes as gin catch-alls (`/v3/config/paths/add/*name`) and strips the
 * leading slash, which is also how its own API tests call them. Each segment is still
 * percent-encoded, which is a no-op for the characters a valid name may contain.
 */
export function encodePathName(name: string): string {
  const err = pathNameError(name);
  if (err) throw new MediamtxApiError(null, `invalid path name "${name}": ${err}`);
  return name.split('/').map(encodeURIComponent).join('/');
}

export function createMediamtxClient({ baseUrl, fetch: fetchImpl = fetch, timeoutMs = 2000 }: ClientOptions): MediamtxClient {
  if (!/^https?:\/\/[^/]+$/.test(baseUrl)) throw new Error(`mediamtx client: baseUrl must be http://host:port (got ${baseUrl})`);
  if (!(timeoutMs > 0)) throw new Error('mediamtx client: timeoutMs must be > 0');

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const init: RequestInit = { method, signal: AbortSignal.timeout(timeoutMs) };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    let res: Response;
    try {
      res = await fetchImpl(`${baseUrl}${path}`, init);
    } catch (err) {
      const e = err as Error;
      const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : ((e.cause as Error | undefined)?.message ?? e.message);
      throw new MediamtxApiError(null, `${method} ${path}: ${why}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: res.status, json };
  }

  /** The body of a 200 answer that matches `schema`; otherwise a MediamtxApiError naming the request (`GET /v3/info`). */
  function answer<T extends v.GenericSchema>(schema: T, request: string, { status, json }: { status: number; json: unknown }): v.InferOutput<T> {
    if (status !== 200) {
      const refused = v.safeParse(errorSchema, json);
      throw new MediamtxApiError(status, `${request}: HTTP ${status}: ${refused.success ? refused.output.error : 'unexpected answer'}`);
    }
    const parsed = v.safeParse(schema, json);
    if (!parsed.success) {
      const issue = parsed.issues[0];
      throw new MediamtxApiError(200, `${request}: answer does not match the MediaMTX API (${v.getDotPath(issue) ?? 'body'}: ${issue.message})`);
    }
    return parsed.output;
  }

  async function okCall(method: string, path: string, body?: unknown): Promise<void> {
    answer(okSchema, `${method} ${path}`, await call(method, path, body));
  }

  async function getPath(name: string): Promise<EnginePath | null> {
    const path = `/v3/paths/get/${encodePathName(name)}`;
    const res = await call('GET', path);
    return res.status === 404 ? null : answer(pathSchema, `GET ${path}`, res);
  }

  return {
    baseUrl,
    async info() {
      return answer(infoSchema, 'GET /v3/info', await call('GET', '/v3/info'));
    },
    async listPathConfigs() {
      const items: ReportedPathConf[] = [];
      for (let page = 0; ; page++) {
        const path = `/v3/config/paths/list?itemsPerPage=${ITEMS_PER_PAGE}&page=${page}`;
        const list = answer(pathConfListSchema, `GET ${path}`, await call('GET', path));
        items.push(...(list.items as ReportedPathConf[]));
        if (page + 1 >= list.pageCount || list.items.length === 0) break;
      }
      return items;
    },
    addPath: (name, conf) => okCall('POST', `/v3/config/paths/add/${encodePathName(name)}`, conf),
    replacePath: (name, conf) => okCall('POST', `/v3/config/paths/replace/${encodePathName(name)}`, conf),
    deletePath: (name) => okCall('DELETE', `/v3/config/paths/delete/${encodePathName(name)}`),
    getPath,
    async readerCount(name) {
      const p = await getPath(name);
      return p === null ? null : p.readers.filter((r) => r.type !== 'hidden').length;
    },
  };
}
