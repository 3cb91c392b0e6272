import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProxyServer } from 'http-proxy-3';

export interface IngressProxy {
  /** `http://127.0.0.1:<port>/api/hassio_ingress/<token>/`: what the panel's iframe loads. */
  url: string;
  prefix: string;
  close(): Promise<void>;
}

/**
 * A stand-in for Home Assistant's ingress proxy (not the real one): it serves the add-on under
 * `/api/hassio_ingress/<token>/`, strips that prefix, adds `X-Ingress-Path`, and proxies
 * WebSockets too, as the Supervisor does. Anything outside the prefix gets 404.
 */
export async function startIngressProxy(target: string, token = 'Tk3n_ingress-test'): Promise<IngressProxy> {
  const prefix = `/api/hassio_ingress/${token}`;
  const proxy = createProxyServer({ target, ws: true, headers: { 'x-ingress-path': prefix } });
  proxy.on('error', (_err, _req, res) => {
    if (res && 'writeHead' in res && !res.headersSent) res.writeHead(502).end();
    else res?.destroy();
  });
  const strip = (url: string | undefined): string | null => {
    if (!url || !(url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`))) return null;
    const rest = url.slice(prefix.length);
    return rest.startsWith('/') ? rest : `/${rest}`;
  };
  const server: Server = createServer((req, res) => {
    const path = strip(req.url);
    if (path === null) return void res.writeHead(404).end();
    req.url = path;
    proxy.web(req, res);
  });
  server.on('upgrade', (req, socket, head) => {
    const path = strip(req.url);
    if (path === null) return void socket.destroy();
    req.url = path;
    proxy.ws(req, socket, head);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${prefix}/`,
    prefix,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      proxy.close();
    },
  };
}
