import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseFromIngressPath, uiRoutes } from './ui.js';

function built() {
  const dir = mkdtempSync(join(tmpdir(), 'ui-'));
  writeFileSync(join(dir, 'app.js'), 'console.log("app")');
  writeFileSync(join(dir, 'app.css'), 'body{}');
  return dir;
}

describe('baseFromIngressPath', () => {
  it.each([
    [undefined, '/'],
    ['', '/'],
    ['/api/hassio_ingress/AbC_d-9', '/api/hassio_ingress/AbC_d-9/'],
    ['/api/hassio_ingress/AbC/', '/api/hassio_ingress/AbC/'],
    ['/api/hassio_ingress/x"><script>alert(1)</script>', '/'],
    ['/elsewhere/abc', '/'],
    ['/api/hassio_ingress/../../etc', '/'],
    ['//evil.example/api/hassio_ingress/abc', '/'],
  ])('%j -> %s', (header, expected) => {
    expect(baseFromIngressPath(header)).toBe(expected);
  });
});

describe('uiRoutes', () => {
  it('injects the ingress prefix into the page and every asset URL', async () => {
    const app = uiRoutes({ assetsDir: built() });
    const res = await app.request('/', { headers: { 'x-ingress-path': '/api/hassio_ingress/tok123' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<meta name="toposync-base" content="/api/hassio_ingress/tok123/">');
    expect(html).toContain('src="/api/hassio_ingress/tok123/assets/app.js"');
    expect(html).toContain('href="/api/hassio_ingress/tok123/assets/app.css"');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('uses / without ingress, and ignores a header that is not an ingress path', async () => {
    const app = uiRoutes({ assetsDir: built() });
    for (const headers of [{}, { 'x-ingress-path': '/x"><img src=x onerror=alert(1)>' }] as Record<string, string>[]) {
      const html = await (await app.request('/', { headers })).text();
      expect(html).toContain('content="/"');
      expect(html).not.toContain('onerror');
    }
  });

  it('serves the bundle under /assets/ and nothing outside it', async () => {
    const app = uiRoutes({ assetsDir: built() });
    const js = await app.request('/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(await js.text()).toContain('console.log');
    expect((await app.request('/assets/../package.json')).status).toBe(404);
    expect((await app.request('/assets/%2e%2e/package.json')).status).toBe(404);
  });

  it('answers 503 with a hint when the UI was not built', async () => {
    const app = uiRoutes({ assetsDir: mkdtempSync(join(tmpdir(), 'ui-empty-')) });
    const res = await app.request('/');
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build:web');
  });
});
