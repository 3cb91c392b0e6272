import { serve } from '@hono/node-server';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareDoc } from '../../src/control/bootstrap.js';
import { createPeerSync, type PeerSync } from '../../src/control/peer-sync.js';
import { openSettingsStore, type SettingsStore } from '../../src/store/settings-store.js';
import { captureLogger } from '../fixtures/proc-helpers.js';
import { makeDataDir, removeDataDirs } from '../support/data-dir.js';
import { freePort } from '../support/ports.js';
import { startLiveServer } from '../runtime/server-harness.js';
import { waitFor } from '../support/wait.js';
import { startHarness, type Harness } from '../harness.js';

const SECRET = 'shared-between-a-and-nas-42';

/** A: the instance the user edits (server id `local`), serving its API on 127.0.0.1. */
async function startA(): Promise<{ a: Harness; url: string; close(): Promise<void> }> {
  const a = await startHarness();
  const http = serve({ fetch: a.app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  await new Promise((r) => http.once('listening', r));
  await a.request('PATCH', '/api/streams/settings', { peers: [{ id: 'nas', base_url: 'http://127.0.0.1:1', secret: SECRET }] });
  await a.request('POST', '/api/cameras', { id: 'front', name: 'Front', sources: [{ id: 'main', url: 'rtsp://127.0.0.1:8554/front', username: 'cam', password: 'cam-pass-81' }] });
  await a.request('PUT', '/api/streams/publications/camera-sources/front/main', { host_server_id: 'nas' });
  return {
    a,
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise((r) => http.close(r));
      await a.close();
    },
  };
}

/** B: the processing side (server id `nas`), whose peer `local` is A. */
async function storeB(aUrl: string, secret = SECRET, dataDir?: string): Promise<{ store: SettingsStore; dataDir: string }> {
  const dir = dataDir ?? (await makeDataDir('peer-sync-b'));
  const store = await openSettingsStore({ dataDir: dir, logger: captureLogger('debug').logger });
  await store.update((draft) => {
    Object.assign(draft, prepareDoc(draft));
    draft.streaming.server_id = 'nas';
    draft.streaming.peers = [{ id: 'local', name: 'Home Assistant', base_url: aUrl, secret, enabled: true }];
  });
  return { store, dataDir: dir };
}

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
  await removeDataDirs();
});

function startSync(store: SettingsStore, dataDir: string, pollMs = 60_000) {
  const { logger, lines } = captureLogger('debug');
  let changes = 0;
  const sync: PeerSync = createPeerSync({ store, dataDir, logger, pollMs, timeoutMs: 2_000, onChange: () => changes++ });
  open.push({ close: () => sync.stop() });
  return { sync, lines, changes: () => changes };
}

describe('peer sync (two instances on 127.0.0.1)', () => {
  it('pulls on start what it hosts, keeps it on disk, and a notification pulls a change at once', async () => {
    const A = await startA();
    open.push(A);
    const B = await storeB(A.url);
    open.push(B.store);
    const { sync, changes, lines } = startSync(B.store, B.dataDir);
    await sync.start();
    const [state] = sync.pulled();
    expect(state).toMatchObject({ peer_id: 'local', error: null });
    expect(state!.pulled!.transmissions.map((t) => t.host_server_id)).toEqual(['nas']);
    expect(state!.pulled!.cameras[0]!.sources[0]!.password).toBe('cam-pass-81');
    expect(changes()).toBe(1);
    const kept = JSON.parse(await readFile(join(B.dataDir, 'peers', 'local.json'), 'utf8')) as { digest: string };
    expect(kept.digest).toBe(state!.pulled!.digest);

    // Nothing changed: the peer answers 304, nothing is written or announced.
    await sync.notified('local');
    expect(changes()).toBe(1);
    await A.a.request('PUT', '/api/streams/publications/camera-sources/front/main', { label: 'Porta' });
    await sync.notified('local');
    expect(changes()).toBe(2);
    expect(sync.pulled()[0]!.pulled!.transmissions[0]!.name).toContain('Porta');
    expect(lines.join('\n')).not.toContain(SECRET);
    // What the status shows: versions and counts, never the pulled cameras' credentials.
    expect(sync.status()).toEqual([{ peer_id: 'local', version: expect.any(Number), transmissions: 1, pulled_at: expect.any(String), checked_at: expect.any(String), error: null }]);
    expect(JSON.stringify(sync.status())).not.toContain('cam-pass-81');
  });

  it('a dropped notification is caught by the poll', async () => {
    const A = await startA();
    open.push(A);
    const B = await storeB(A.url);
    open.push(B.store);
    const { sync, changes } = startSync(B.store, B.dataDir, 200);
    await sync.start();
    await A.a.request('PUT', '/api/streams/publications/camera-sources/front/main', { label: 'Polled' });
    await waitFor('the poll to pull the change', () => changes() === 2);
    expect(sync.pulled()[0]!.pulled!.transmissions[0]!.name).toContain('Polled');
  });

  it('a wrong secret is refused and said so; a peer that is down keeps what was pulled, and a restart reads it from disk', async () => {
    const A = await startA();
    open.push(A);
    const wrong = await storeB(A.url, 'not-the-shared-secret-000');
    open.push(wrong.store);
    const refused = startSync(wrong.store, wrong.dataDir).sync;
    await refused.start();
    expect(refused.pulled()[0]).toMatchObject({ pulled: null, error: expect.stringContaining('refused this server ("nas")') });

    const B = await storeB(A.url);
    open.push(B.store);
    const first = startSync(B.store, B.dataDir);
    await first.sync.start();
    const digest = first.sync.pulled()[0]!.pulled!.digest;
    first.sync.stop();
    await A.close();
    open.splice(open.indexOf(A), 1);
    // A is gone: a restarted B still has what it hosts, and says why it cannot refresh it.
    const again = startSync(B.store, B.dataDir);
    await again.sync.start();
    expect(again.sync.pulled()[0]).toMatchObject({ pulled: { digest }, error: expect.stringContaining('cannot reach') });
  });

  it('refuses a bad poll period or timeout at start-up', async () => {
    const B = await storeB(`http://127.0.0.1:${await freePort()}`);
    open.push(B.store);
    expect(() => createPeerSync({ store: B.store, dataDir: B.dataDir, logger: captureLogger('debug').logger, pollMs: 0 })).toThrow(/pollMs/);
  });
});

describe('two servers through their APIs', () => {
  it("a save on A notifies B, which pulls what it hosts at once; B's notify refuses a wrong secret", async () => {
    const A = await startLiveServer({ peerPollMs: 60_000 });
    open.push(A);
    const B = await startLiveServer({ peerPollMs: 60_000 }, { server_id: 'nas' });
    open.push(B);
    expect((await B.request('PATCH', '/api/streams/settings', { peers: [{ id: 'local', base_url: A.base, secret: SECRET }] })).status).toBe(200);
    expect((await A.request('PATCH', '/api/streams/settings', { peers: [{ id: 'nas', base_url: B.base, secret: SECRET }] })).status).toBe(200);
    await A.request('POST', '/api/cameras', { id: 'front', name: 'Front', sources: [{ id: 'main', url: 'rtsp://127.0.0.1:8554/front', username: 'cam', password: 'cam-pass-81' }] });
    await A.request('PUT', '/api/streams/publications/camera-sources/front/main', { host_server_id: 'nas' });
    // No poll for a minute: only A's notification can have made B pull.
    const status = await waitFor('B to pull from A', async () => {
      const s = (await B.request('GET', '/api/streams/distributed/status')).json as { peers: { transmissions: number }[] };
      return s.peers[0]?.transmissions === 1 ? s : undefined;
    });
    expect(status.peers[0]).toMatchObject({ peer_id: 'local', error: null });

    const refused = await fetch(`${B.base}/api/streams/distributed/notify/local`, { method: 'POST', headers: { authorization: 'Bearer not-the-shared-secret-00' } });
    expect(refused.status).toBe(401);
    const accepted = await fetch(`${B.base}/api/streams/distributed/notify/local`, { method: 'POST', headers: { authorization: `Bearer ${SECRET}` } });
    expect(accepted.status).toBe(202);
    for (const s of [A, B]) expect(s.logs.join('\n')).not.toContain(SECRET);
  });
});
