/**
 * Requests exactly as written: node:http with a raw request-target, any method with any body, and
 * the headers chosen (fetch would normalise the path, refuse a GET body and pick Host itself).
 */
import { Agent, request } from 'node:http';
import { jsonOrNull } from '../support/json.js';

export interface Sent {
  method: string;
  /** The request-target as sent: path and query, already percent-encoded. */
  target: string;
  headers?: Record<string, string>;
  body?: string | Buffer | undefined;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

// A connection per request: a kept-alive one may be closed by the server just as it is reused,
// and a retry then could not tell whether the server had already acted on the request.
const agent = new Agent({ keepAlive: false });

export function send(port: number, req: Sent, timeoutMs = 30_000): Promise<Answer> {
  const body = typeof req.body === 'string' ? Buffer.from(req.body) : req.body;
  // node:http frames a GET, DELETE or OPTIONS body only when told its length (else the server reads it as the next request).
  const headers = body === undefined ? { ...req.headers } : { 'content-length': String(body.length), ...req.headers };
  return new Promise<Answer>((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, method: req.method, path: req.target, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: jsonOrNull(text) });
      });
    });
    r.setTimeout(timeoutMs, () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    r.on('error', reject);
    r.end(body);
  });
}

/** The API's error shape: `{"error":{code,message,field}}`. */
export function isErrorShape(json: any): boolean {
  const e = json?.error;
  return (
    json !== null && typeof json === 'object' && e !== null && typeof e === 'object' && typeof e.code === 'string' && typeof e.message === 'string' && (e.field === null || typeof e.field === 'string')
  );
}

/**
 * Node's HTTP parser refuses some requests itself, before any route or upgrade handler runs (431:
 * a request head over 16 KiB; 400: a head it cannot parse), with no body and the connection closed.
 */
export const refusedByNode = (status: number, body: string, connectionClose: boolean) => (status === 400 || status === 431) && body === '' && connectionClose;

/** A value for a failure message: clipped, quoted. */
export const clip = (s: string | undefined, n = 400) => (s === undefined ? '(none)' : s.length > n ? `${JSON.stringify(s.slice(0, n))}… (${s.length} chars)` : JSON.stringify(s));
