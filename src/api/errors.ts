import type { Context, ErrorHandler } from 'hono';
import type { Logger } from 'pino';
import { ApiError } from '../shared/errors.js';

/** An error as the API writes it, the same for an HTTP response and a refused WebSocket upgrade. */
export interface ErrorReply {
  status: ApiError['status'];
  headers: Record<string, string>;
  body: string;
}

/** The one serialisation of an error: JSON `{"error":{code,message,field}}`, never cached, with the headers its status calls for. */
export function errorReply(err: ApiError): ErrorReply {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  if (err.status === 401) headers['www-authenticate'] = 'Bearer';
  // RFC 9110: a 426 names the protocol to switch to.
  if (err.status === 426) headers.upgrade = 'websocket';
  return { status: err.status, headers, body: JSON.stringify(err.toJSON()) };
}

/** Writes an error on a Hono context (headers set on it earlier are kept). */
export function errorResponse(c: Context, err: ApiError): Response {
  const { status, headers, body } = errorReply(err);
  return c.body(body, status, headers);
}

/** The app's one error handler: an ApiError as it is, anything else a logged 500 that says nothing of the cause. */
export function onApiError(logger: Pick<Logger, 'error'> | null): ErrorHandler {
  return (err, c) => {
    if (err instanceof ApiError) return errorResponse(c, err);
    logger?.error({ err, path: c.req.path }, 'unhandled error');
    return errorResponse(c, new ApiError(500, 'internal_error', 'internal error; see the add-on log'));
  };
}
