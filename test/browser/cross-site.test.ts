/**
 * The attack of issue 10 (point 3) as a browser makes it: a page on another site (here
 * http://localhost:<port>, another site than http://127.0.0.1:<server port>) posts a camera with
 * `no-cors` fetches and opens a frame-writer WebSocket to the server, in Debian's Chromium, which
 * sets Origin and Sec-Fetch-Site itself. The same script from the server's own page is the control.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveServer, type LiveServer } from '../runtime/server-harness.js';
import { launchChromium, openPage } from './browser.js';

interface Attempt {
  target: string;
  writer: string;
  id: string;
  /** `no-cors` is all a page elsewhere can use for a write it cannot preflight; the panel uses `cors` with JSON. */
  mode: 'no-cors' | 'cors';
}

/** Runs in the page: a text/plain POST, a body with no type at all, and a WebSocket; says whether the socket opened. */
const attack = async ({ target, writer, id, mode }: Attempt) => {
  const body = JSON.stringify({ id, name: id, sources: [] });
  const sent = async (init: RequestInit) => {
    try {
      return (await fetch(`${target}/api/cameras`, { method: 'POST', mode, ...init })).status;
    } catch {
      return -1;
    }
  };
  const plain = await sent({ headers: { 'content-type': mode === 'cors' ? 'application/json' : 'text/plain' }, body });
  const untyped = await sent({ body: new Blob([body.replace(id, `${id}-blob`)]), ...(mode === 'cors' ? { headers: { 'content-type': 'application/json' } } : {}) });
  const opened = await new Promise<boolean>((resolve) => {
    const ws = new WebSocket(writer);
    ws.onopen = () => {
      ws.close();
      resolve(true);
    };
    ws.onerror = () => resolve(false);
  });
  return { plain, untyped, opened };
};

describe('a page on another site', () => {
  let s: LiveServer;
  let elsewhere: Server;
  let browser: Browser;
  let writer: string;

  beforeAll(async () => {
    s = await startLiveServer();
    const tx = await s.request('POST', '/api/streams/transmissions', { name: 'Drawn' });
    writer = `${s.base.replace(/^http/, 'ws')}/api/streams/writers/ws?transmission_id=${tx.json.id}&writer_id=w&token=${s.streaming.store.get().streaming.api_token}`;
    elsewhere = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>elsewhere</title>'));
    await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', () => r()));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    elsewhere?.closeAllConnections();
    await new Promise((r) => elsewhere?.close(r));
    await s?.close();
  });

  const cameraIds = () => s.streaming.store.get().cameras.map((c) => c.id);
  const refusals = () =>
    s.logs
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg === 'request' && l.path === '/api/cameras')
      .map((l) => l.status);

  it('cannot add a camera or open a writer socket', async () => {
    const { page } = await openPage(browser, `http://localhost:${(elsewhere.address() as AddressInfo).port}/`);
    const result = await page.evaluate(attack, { target: s.base, writer, id: 'sneaky', mode: 'no-cors' } satisfies Attempt);
    await page.context().close();
    expect(cameraIds()).toEqual([]);
    expect(result.opened).toBe(false);
    // Both posts reached the server and were refused there, not by the browser.
    expect(refusals()).toEqual([403, 403]);
  });

  it('the control: the same script on the server’s own page adds the camera and opens the socket', async () => {
    const { page } = await openPage(browser, `${s.base}/`);
    const result = await page.evaluate(attack, { target: s.base, writer, id: 'own', mode: 'cors' } satisfies Attempt);
    await page.context().close();
    expect(result).toEqual({ plain: 201, untyped: 201, opened: true });
    expect(cameraIds()).toEqual(['own', 'own-blob']);
  });
});
