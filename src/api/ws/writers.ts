import type { IncomingMessage } from 'node:http';
import * as v from 'valibot';
import { ApiError } from '../../shared/errors.js';
import { PRIORITY_MAX, PRIORITY_MIN, type WriterScope, type WriterSocketServer } from '../../runtime/writer-socket.js';
import { bearerToken, tokenMatches } from '../api-token.js';
import type { UpgradeRoute } from './router.js';

/** The frame writer API (see runtime/writer-socket.ts for the protocol). */
const WRITER_WS_PATH = '/api/streams/writers/ws';

const WRITER_ID_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
const TRANSMISSION_ID_RE = /^[A-Za-z0-9_.:-]{1,128}$/;
const PRIORITY_MESSAGE = `must be an integer from ${PRIORITY_MIN} to ${PRIORITY_MAX}`;

const required = (re: RegExp, message: string) => v.pipe(v.string(), v.nonEmpty('required'), v.regex(re, message));
const querySchema = v.object({
  transmission_id: required(TRANSMISSION_ID_RE, 'not a valid transmission id'),
  writer_id: required(WRITER_ID_RE, 'must be 1-64 letters, digits, "_", ".", ":" or "-"'),
  priority: v.optional(
    v.pipe(v.string(), v.regex(/^[+-]?\d{1,5}$/, PRIORITY_MESSAGE), v.transform(Number), v.minValue(PRIORITY_MIN, PRIORITY_MESSAGE), v.maxValue(PRIORITY_MAX, PRIORITY_MESSAGE)),
    '0',
  ),
});

/** 400 `invalid_query` naming the first bad parameter, in the order transmission_id, writer_id, priority. */
function parseQuery(query: Record<string, string>): Omit<WriterScope, 'remote'> {
  const parsed = v.safeParse(querySchema, query);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const field = v.getDotPath(issue) ?? 'query';
    throw new ApiError(400, 'invalid_query', `${field}: ${issue.input === undefined ? 'required' : issue.message}`, field);
  }
  const { transmission_id, writer_id, priority } = parsed.output;
  return { transmissionId: transmission_id, writerId: writer_id, priority };
}

export interface WriterRouteOptions {
  writers: Pick<WriterSocketServer, 'admit' | 'maxFrameBytes'>;
  /** The configured api_token, read on every upgrade (settings may change); null: only trusted ingress. */
  apiToken: () => string | null;
  /** An upgrade the platform's proxy vouched for needs no token. */
  isTrustedIngress?: (req: IncomingMessage) => boolean;
}

/**
 * `GET /api/streams/writers/ws?transmission_id=T&writer_id=W&priority=P`: the API token
 * (`Authorization: Bearer` wins over `?token=`, compared in constant time) or trusted ingress, checked
 * before the query, so an anonymous client learns nothing about which transmissions exist.
 */
export function writerUpgradeRoute({ writers, apiToken, isTrustedIngress = () => false }: WriterRouteOptions): UpgradeRoute {
  function authorize(req: IncomingMessage, query: Record<string, string>): void {
    if (isTrustedIngress(req)) return;
    const expected = apiToken();
    const given = bearerToken(typeof req.headers.authorization === 'string' ? req.headers.authorization : undefined) ?? query.token ?? null;
    if (tokenMatches(given, expected)) return;
    const message =
      expected === null || expected === ''
        ? 'the writer API needs an api_token: set one in the streaming settings and send it as a Bearer token'
        : given === null
          ? 'missing token: send "Authorization: Bearer <api_token>" or ?token='
          : 'invalid token';
    throw new ApiError(401, 'unauthorized', message);
  }

  return {
    name: 'writer',
    match: (pathname) => (pathname === WRITER_WS_PATH || pathname === `${WRITER_WS_PATH}/` ? '' : null),
    maxPayload: writers.maxFrameBytes,
    admit({ req, query }) {
      authorize(req, query);
      return writers.admit({ ...parseQuery(query), remote: req.socket.remoteAddress });
    },
  };
}
