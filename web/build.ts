// Bundles the ingress UI into web/dist (app.js, app.css) for the server to serve.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
await build({
  absWorkingDir: root,
  entryPoints: { app: 'src/main.tsx' },
  bundle: true,
  format: 'esm',
  target: ['chrome109', 'safari15', 'firefox115'],
  outdir: 'dist',
  sourcemap: true,
  minify: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'linked',
  logLevel: 'warning',
});
