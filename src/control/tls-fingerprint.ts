import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { connect } from 'node:tls';

/** Source URL schemes carried over TLS, with the port their URL means when it names none. */
const TLS_DEFAULT_PORTS: Record<string, number> = { 'rtsps:': 322, 'rtsps+http:': 443, 'rtsps+ws:': 443, 'rtmps:': 443, 'https:': 443, 'wheps:': 443 };

/** Whether the engine reaches this source over TLS (and so checks its certificate). */
export const usesTls = (url: string): boolean => {
  try {
    return new URL(url).protocol in TLS_DEFAULT_PORTS;
  } catch {
    return false;
  }
};

/** `host:port` a TLS source is dialled at: a new endpoint is another certificate to trust. */
export function tlsEndpoint(url: string): string | null {
  try {
    const u = new URL(url);
    const port = TLS_DEFAULT_PORTS[u.protocol];
    return port === undefined ? null : `${u.hostname}:${u.port || port}`;
  } catch {
    return null;
  }
}

/**
 * The SHA-256 of the DER certificate a TLS source presents, lowercase hex: what MediaMTX's
 * `sourceFingerprint` compares with (v1.20.1 internal/protocols/tls: sha256 of PeerCertificates[0].Raw,
 * hex, compared lowercased). Self-signed certificates are the point (cameras, NVRs), so nothing is
 * verified here: this is trust on first use, shown to the user, who can change or reset it. Null when
 * the source cannot be reached within `timeoutMs`.
 */
export function readTlsFingerprint(url: string, timeoutMs = 3000): Promise<string | null> {
  const endpoint = tlsEndpoint(url);
  if (endpoint === null) return Promise.resolve(null);
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  const port = Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port, rejectUnauthorized: false, ...(isIP(host) ? {} : { servername: host }) });
    const done = (value: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.once('secureConnect', () => {
      const raw = socket.getPeerCertificate().raw as Buffer | undefined;
      done(raw && raw.length > 0 ? createHash('sha256').update(raw).digest('hex') : null);
    });
    socket.once('error', () => done(null));
  });
}
