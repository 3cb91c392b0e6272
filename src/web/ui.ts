import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import { type Context, Hono } from 'hono';
import { ingressPrefix } from '../playback/urls.js';

export interface UiOptions {
  /** Where `npm run build:web` wrote the bundle. Default: `web/dist` of this checkout or image. */
  assetsDir?: string;
}

/** The base every browser URL is derived from: the ingress prefix when Home Assistant proxies us, `/` otherwise. */
export const baseFromIngressPath = (header: string | undefined): string => `${ingressPrefix(header)}/`;

const page = (base: string) => `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="toposync-base" content="${base}">
<title>Toposync Streaming</title>
<link rel="stylesheet" href="${base}assets/app.css">
<script type="module" src="${base}assets/app.js"></script>
</head>
<body><div id="app"></div></body>
</html>
`;

const missing = `<!doctype html><meta charset="utf-8"><title>Toposync Streaming</title>
<p>The web UI has not been built. Run <code>npm run build:web</code> (or <code>npm start</code>, which builds it).</p>`;

/** The ingress panel: the page with the injected base, and the bundle under `/assets/`. */
export function uiRoutes({ assetsDir = fileURLToPath(new URL('../../web/dist', import.meta.url)) }: UiOptions = {}): Hono {
  const built = existsSync(`${assetsDir}/app.js`);
  const app = new Hono();
  const index = (c: Context) => {
    c.header('cache-control', 'no-store');
    if (!built) return c.html(missing, 503);
    return c.html(page(baseFromIngressPath(c.req.header('x-ingress-path'))));
  };
  app.get('/', index);
  app.get('/index.html', index);
  app.use(
    '/assets/*',
    serveStatic({
      root: assetsDir,
      rewriteRequestPath: (p) => p.replace(/^\/assets/, ''),
      onFound: (_p, c) => {
        c.header('cache-control', 'no-cache');
      },
    }),
  );
  return app;
}
