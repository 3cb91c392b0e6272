import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApiError } from '../shared/errors.js';
import { errorReply } from './errors.js';

/**
 * Refuses a WebSocket upgrade with the API's JSON error, on the raw socket before any handshake
 * (a browser then sees the status in devtools; a client library gets the body).
 */
export function refuseUpgrade(socket: Duplex, err: ApiError): void {
  if (socket.destroyed) return;
  const { status, headers, body } = errorReply(err);
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    ...Object.entries({ ...headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' }).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
