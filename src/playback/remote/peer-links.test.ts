import type { ServerResponse } from 'node:http';
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

  it('a host that hangs is marked down; calls then fail at once without reaching it, and a probe brings it back', async () => {
    const { host, links } = await setup({ timeoutMs: 100, retryMs: 100 });
    await expect(links.toHost(TX_ID, hold(host))).rejects.toMatchObject({ status: 503, code: 'host_unreachable' });
    expect(links.unreachable(TX_ID)).toMatch(/no answer within 100 ms/);
    const reached = host.requests.length;
    await expect(links.resolve(TX_ID)).rejects.toMatchObject({ status: 503, code: 'host_unreachable' });
    expect(host.resolutions).toBe(0);
    // The probe (any answer of the host) marks it up again by itself.
    await waitFor('the probe to find the host', () => links.unreachable(TX_ID) === null);
    expect(host.requests.length).toBeGreaterThan(reached);
    expect((await links.resolve(TX_ID)).transmission_id).toBe(TX_ID);
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
