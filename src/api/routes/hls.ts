import type { ServerResponse } from 'node:http';
import { Hono, type Context } from 'hono';
import * as v from 'valibot';
import { ApiError } from '../../shared/errors.js';
import { issueToError } from '../../shared/schema.js';
import { createHlsProxy, type HlsProxy, type HlsProxyOptions, type HlsRequest, type HlsTarget } from '../../playback/hls-proxy.js';
import type { RemoteHls } from '../../playback/remote/hls-remote.js';
import type { MediaTokens } from '../../playback/tokens.js';
import { parseHlsRequestTarget } from '../hls-target.js';
import { queryWith } from '../validate.js';

/**
 * The media tokens, and either what the proxy needs or a proxy built elsewhere (shared with other
 * routes or tests); `remote` serves the transmissions another server hosts.
 */
export type HlsRouteDeps = { tokens: Pick<MediaTokens, 'verify'>; remote?: { isRemote(txId: string): boolean } & RemoteHls } & (HlsProxyOptions | { proxy: HlsProxy });

const probeQuerySchema = v.object({
  output_id: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(200))),
});

const llhls = (re: RegExp) => v.optional(v.pipe(v.string(), v.regex(re, 'invalid value')));

/**
 * A media request's query: `media_token` at most once; for a media playlist the LL-HLS blocking-reload
 * parameters MediaMTX takes (`_HLS_msn`, `_HLS_part` decimal, `_HLS_skip` YES or v2). Any other
 * parameter is ignored and never reaches MediaMTX.
 */
const mediaQuerySchema = v.object({
  media_token: v.pipe(v.array(v.string()), v.maxLength(1, 'give media_token once')),
  _HLS_msn: llhls(/^\d{1,10}$/),
  _HLS_part: llhls(/^\d{1,10}$/),
  _HLS_skip: llhls(/^(YES|v2)$/),
});

/** The token and LL-HLS parameters of a media request; 400 naming the parameter otherwise. */
function mediaQuery(target: HlsTarget, query: URLSearchParams): { token: string | null; llhls: HlsRequest['llhls'] } {
  const mediaPlaylist = target.file !== 'index.m3u8' && target.file.endsWith('.m3u8');
  const value = (k: string) => (mediaPlaylist ? (query.get(k) ?? undefined) : undefined);
  const parsed = v.safeParse(mediaQuerySchema, { media_token: query.getAll('media_token'), _HLS_msn: value('_HLS_msn'), _HLS_part: value('_HLS_part'), _HLS_skip: value('_HLS_skip') });
  if (!parsed.success) {
    const e = issueToError(parsed.issues[0]);
    if (e.field === 'media_token') throw new ApiError(400, 'invalid_token', 'give media_token once', 'media_token');
    throw new ApiError(400, e.code, e.message, e.field);
  }
  const { media_token, ...llhlsParams } = parsed.output;
  return { token: media_token[0] ?? null, llhls: llhlsParams };
}

/** What @hono/node-server puts in `c.env`; absent under app.request() and other runtimes. */
interface NodeEnv {
  incoming?: { url?: unknown };
  outgoing?: ServerResponse;
}

/**
 * The request-target exactly as the client sent it (before any URL normalisation resolved `..` or
 * `%2e%2e`), from @hono/node-server's IncomingMessage; else the path and query of the Request URL.
 */
function requestTarget(c: Context): string {
  const incoming = (c.env as NodeEnv | undefined)?.incoming;
  if (incoming && typeof incoming.url === 'string') return incoming.url;
  const url = c.req.url;
  const start = url.indexOf('/', url.indexOf('://') + 3);
  return start === -1 ? '/' : url.slice(start);
}

const PROBE_PATH = '/api/streams/transmissions/:id/hls/probe';

const probeHandler = (proxy: HlsProxy) => async (c: Context) => {
  const { output_id } = queryWith(c, probeQuerySchema);
  return c.json(await proxy.probe(c.req.param('id')!, output_id));
};

/**
 * HLS routes, with their full paths (mount them at the app root, e.g. `app.route('/', hlsRoutes(deps))`):
 * - `GET /api/streams/media/hls/<engine path>/<file>?media_token=` the signed proxy to MediaMTX's HLS;
 * - `GET /api/streams/transmissions/{id}/hls/probe[?output_id=]` a server-side playlist + first segment check.
 */
export function hlsRoutes(deps: HlsRouteDeps): Hono {
  const proxy = 'proxy' in deps ? deps.proxy : createHlsProxy(deps);
  return new Hono()
    .get('/api/streams/media/hls/*', async (c) => {
      const { target, query } = parseHlsRequestTarget(requestTarget(c));
      const { token, llhls } = mediaQuery(target, query);
      const scope = deps.tokens.verify(token, { transport: 'hls' });
      // verify() refused a missing token.
      const request = { target, token: token!, scope, llhls, range: c.req.header('range') ?? null, signal: c.req.raw.signal };
      if (deps.remote?.isRemote(scope.transmission_id)) return deps.remote.serve(request);
      return proxy.serve({ ...request, outgoing: (c.env as NodeEnv | undefined)?.outgoing });
    })
    .get(PROBE_PATH, probeHandler(proxy));
}
