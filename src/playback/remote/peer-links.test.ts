import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { removeDataDirs } from '../../../test/support/data-dir.js';
import { linksTo, startStandInHost, TX_ID, type StandInHost } from '../../../test/support/peer-host.js';
import { waitFor } from '../../../test/support/wait.js';
import type { PeerLinks } from './peer-links.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
  await removeDataDirs();
});

/** A host whose `/hold` requests are never answered (a host that hangs), the rest as the stand-in answers them. */
async function setup(opts: Parameters<typeof linksTo>[1]): Promise<{ host: StandInHost; links: PeerLinks }> {
  const held: ServerResponse[] = [];
  const host = await startStandInHost({ media: (_req, res) => void held.push(res) });
  const links = await linksTo(host.base, opts);
  open.push(host, { close: () => held.forEach((r) => r.destroy()) }, links);
  return { host, links };
}
const hold = (host: StandInHost) => `/api/streams/media/hls/x/index.m3u8?media_token=${host.token}`;

describe('peer links', () => {
  it('caches a resolution until shortly before its tokens expire; fresh asks again', async () => {
    const { host, links } = await setup({});
    await links.resolve(TX_ID);
    await links.resolve(TX_ID);
    expect(host.resolutions).toBe(1);
    await links.resolve(TX_ID, true);
    expect(host.resolutions).toBe(2);
    expect(links.isRemote(TX_ID)).toBe(true);
    expect(links.isRemote('not-a-transmission')).toBe(false);
  });

  it('a host that hangs: a slow call is a 504, the probe it asks for marks the host down; then calls fail at once without reaching it, and a probe brings it back', async () => {
    let hang = true;
    let reached = 0;
    const held: ServerResponse[] = [];
    const server = createServer((_req, res) => {
      reached++;
      if (hang) held.push(res);
      else res.writeHead(401, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    open.push({ close: () => new Promise((r) => (held.forEach((x) => x.destroy()), server.closeAllConnections(), server.close(r))) });
    const links = await linksTo(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { timeoutMs: 100, retryMs: 100 });
    open.push(links);
    await expect(links.toHost(TX_ID, '/api/streams/x')).rejects.toMatchObject({ status: 504, code: 'host_timeout' });
    await waitFor('the probe to mark the host down', () => links.unreachable(TX_ID)?.includes('no answer within 100 ms'));
    const before = reached;
    await expect(links.resolve(TX_ID)).rejects.toMatchObject({ status: 503, code: 'host_unreachable' });
    await expect(links.toHost(TX_ID, '/api/streams/x')).rejects.toMatchObject({ status: 503, code: 'host_unreachable' });
    // Only the probes reach a host known down, never a caller's request.
    expect(reached - before).toBeLessThanOrEqual(links.status().length * 2);
    hang = false;
    await waitFor('the probe to find the host back', () => links.unreachable(TX_ID) === null);
    expect(links.status()).toEqual([{ peer_id: 'b', reachable: true, error: null, since: expect.any(String) }]);
  });

  it('a held call that runs out of its own limit is a 504, and the host stays up', async () => {
    const { host, links } = await setup({ timeoutMs: 5000, retryMs: 60_000 });
    await expect(links.toHost(TX_ID, hold(host), { timeoutMs: 100 })).rejects.toMatchObject({ status: 504, code: 'host_timeout' });
    expect(links.unreachable(TX_ID)).toBeNull();
  });

  it('a closed port is unreachable, and the error names no secret', async () => {
    const { host, links } = await setup({ retryMs: 60_000 });
    await host.close();
    const err = await links.resolve(TX_ID).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503, code: 'host_unreachable' });
    expect(JSON.stringify(err) + String(err)).not.toContain('peer-secret');
  });

  it('refuses bad timings at start-up', async () => {
    await expect(linksTo('http://127.0.0.1:9', { timeoutMs: 0 })).rejects.toThrow(/timeoutMs/);
  });
});
