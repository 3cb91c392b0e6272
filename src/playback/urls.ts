import { isWellFormed } from '../domain/unicode.js';
import type { MediaTransport } from './tokens.js';

/** Home Assistant's ingress prefix, as its proxy sends it; anything else is ignored. */
const INGRESS_PATH_RE = /^\/api\/hassio_ingress\/[A-Za-z0-9_-]{1,128}$/;

export function ingressPrefix(header: string | undefined | null): string {
  const value = header?.trim().replace(/\/+$/, '') ?? '';
  return INGRESS_PATH_RE.test(value) ? value : '';
}

/**
 * Browser media URLs are root-relative and start with the ingress prefix when there is one, so they
 * work at `/` and under `/api/hassio_ingress/<token>/` alike; a player turns a WebSocket path into
 * `ws(s)://` against its own location. Engine paths are made of URL-safe characters only.
 */
export function mediaUrl(prefix: string, transport: Exclude<MediaTransport, 'still' | 'webrtc'>, path: string, token: string): string {
  const q = `media_token=${encodeURIComponent(token)}`;
  switch (transport) {
    case 'hls':
      return `${prefix}/api/streams/media/hls/${path}/index.m3u8?${q}`;
    case 'mse':
      return `${prefix}/api/streams/media/mse/${path}/ws?${q}`;
    case 'jsmpeg':
      return `${prefix}/api/streams/media/jsmpeg/${path}/ws?${q}`;
  }
}

export const webrtcOfferUrl = (prefix: string, transmissionId: string, outputId: string) =>
  `${prefix}/api/streams/transmissions/${transmissionId}/webrtc/offer?output_id=${encodeURIComponent(outputId)}`;

interface Reader {
  username: string;
  password: string | null;
}

/** Why the LAN reader's password cannot go into a URL (a lone surrogate an older version stored), or null. */
export function readerProblem(reader: Reader): string | null {
  return reader.password !== null && !isWellFormed(reader.password)
    ? 'lan_reader.password is not well-formed Unicode (a lone UTF-16 surrogate): RTSP URLs are left out until a new reader password is set'
    : null;
}

/**
 * For LAN players (VLC, Home Assistant): the engine's RTSP port with the reader user, never a
 * camera's credentials. Null when {@link readerProblem} says why no URL can carry the reader.
 */
export function lanRtspUrl(host: string, port: number, path: string, reader: Reader): string | null {
  if (readerProblem(reader)) return null;
  const auth = reader.password ? `${encodeURIComponent(reader.username)}:${encodeURIComponent(reader.password)}@` : '';
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `rtsp://${auth}${h}:${port}/${path}`;
}

/** The Host header's host name without its port (IPv6 brackets kept). */
export function hostOf(hostHeader: string | undefined): string {
  if (!hostHeader) return '127.0.0.1';
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- ':8080' has an empty host name
  return hostHeader.split(':')[0] || '127.0.0.1';
}
