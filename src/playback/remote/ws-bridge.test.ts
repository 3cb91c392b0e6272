import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { silentLogger } from '../../../test/fixtures/store-helpers.js';
import { removeDataDirs } from '../../../test/support/data-dir.js';
import { ENGINE_PATH, linksTo, OUTPUT_ID, PEER_SECRET, startStandInHost, TX_ID, type StandInHost } from '../../../test/support/peer-host.js';
import { LOOPBACK } from '../../../test/support/ports.js';
import { waitFor } from '../../../test/support/wait.js';
import { jsmpegUpgradeRoute, mseUpgradeRoute } from '../../api/ws/media.js';
import { createUpgradeRouter } from '../../api/ws/router.js';
import { createMediaTokens } from '../tokens.js';
import type { PeerLinks } from './peer-links.js';
import { createWsBridge, forwardedCode, type BridgedTransport } from './ws-bridge.js';

const tokens = createMediaTokens({ key: randomBytes(32) });
const tokenFor = (transport: BridgedTransport) => tokens.issue({ transmission_id: TX_ID, output_id: OUTPUT_ID, path: ENGINE_PATH, transport });

interface Frame {
  data: Buffer;
  binary: boolean;
}
/** One end of a socket as the test sees it: what it received, how it closed. */
function watch(ws: WebSocket) {
  const seen = { ws, frames: [] as Frame[], closed: null as { code: number; reason: string } | null };
  ws.on('message', (data: Buffer, binary) => seen.frames.push({ data, binary }));
  ws.on('close', (code, reason) => (seen.closed = { code, reason: reason.toString() }));
  ws.on('error', () => {});
  return seen;
}
type Watched = ReturnType<typeof watch>;

/** The host's sockets and this server's browser-side sockets, newest last. */
let hostSockets: Watched[] = [];
let bridged: WebSocket[] = [];
let host: StandInHost;
let links: PeerLinks;
const servers: Server[] = [];

/** This server's WebSocket edge (the real upgrade routes) with the bridge for remote transmissions, on 127.0.0.1. */
async function startEdge(peerLinks: PeerLinks): Promise<string> {
  const bridge = createWsBridge({ links: peerLinks, logger: silentLogger() });
  const remote = {
    isRemote: peerLinks.isRemote,
    admit: (scope: Parameters<typeof bridge.admit>[0], transport: BridgedTransport) => {
      const admitted = bridge.admit(scope, transport);
      return { open: (ws: WebSocket) => (bridged.push(ws), admitted.open(ws)) };
    },
  };
  const local = () => {
    throw new Error('a remote transmission reached the local service');
  };
  const router = createUpgradeRouter({
    logger: silentLogger(),
    routes: [mseUpgradeRoute({ relay: { admit: local }, tokens, remote }), jsmpegUpgradeRoute({ sessions: { admit: local, noteRefused: () => {} }, tokens, remote })],
  });
  const server = createServer();
  server.on('upgrade', (req, socket, head) => router.handle(req, socket, head) || socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  servers.push(server);
  return `ws://${LOOPBACK}:${(server.address() as { port: number }).port}`;
}
let edge: string;

/** A browser's socket to this server for the output, its first message sent as soon as it is open. */
function browser(transport: BridgedTransport, first?: string, at = edge): Watched {
  const ws = new WebSocket(`${at}/api/streams/media/${transport}/${ENGINE_PATH}/ws?media_token=${encodeURIComponent(tokenFor(transport))}`);
  if (first !== undefined) ws.once('open', () => ws.send(first));
  return watch(ws);
}
const closedOf = (w: Watched) => waitFor('the socket closes', () => w.closed);
/** The host's next socket (call it before that socket can have arrived: right after opening the browser's). */
const hostSocket = (index = hostSockets.length) => waitFor('the host takes the socket', () => hostSockets[index]);

beforeAll(async () => {
  host = await startStandInHost({ socket: (ws) => hostSockets.push(watch(ws)) });
  links = await linksTo(host.base);
  edge = await startEdge(links);
});
afterEach(() => {
  host.refuseUpgrades = null;
  hostSockets = [];
  bridged = [];
});
afterAll(async () => {
  links.close();
  await host.close();
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await removeDataDirs();
});

describe('the WebSocket bridge to the host of a remote transmission', () => {
  it('opens the output on the host with its token and the peer headers; text stays text, binary stays binary, both ways', async () => {
    const b = browser('mse', '{"type":"mse","value":"avc1.640029"}');
    const up = await hostSocket();
    const asked = host.requests.at(-1)!;
    expect(asked.url).toBe(`/api/streams/media/mse/${ENGINE_PATH}/ws?media_token=b-token-1`);
    expect(asked.headers).toMatchObject({ 'x-toposync-peer': 'local', authorization: `Bearer ${PEER_SECRET}` });

    // The first message was sent before the host's socket existed: it waited, then went as text.
    await waitFor('the request reaches the host', () => up.frames.length === 1);
    expect(up.frames[0]).toEqual({ data: Buffer.from('{"type":"mse","value":"avc1.640029"}'), binary: false });
    b.ws.send(Buffer.from([1, 2, 3]));
    await waitFor('the binary message reaches the host', () => up.frames.length === 2);
    expect(up.frames[1]).toEqual({ data: Buffer.from([1, 2, 3]), binary: true });

    up.ws.send('{"type":"mse","value":"avc1.640029"}');
    up.ws.send(Buffer.from([9, 8, 7]));
    await waitFor('both reach the browser', () => b.frames.length === 2);
    expect(b.frames).toEqual([
      { data: Buffer.from('{"type":"mse","value":"avc1.640029"}'), binary: false },
      { data: Buffer.from([9, 8, 7]), binary: true },
    ]);
    b.ws.close(1000);
    await closedOf(up);
  });

  it("closes each side with the other's code and reason; one that may not be sent on becomes 1011", async () => {
    const fromHost = browser('jsmpeg');
    (await hostSocket()).ws.close(4502, 'upstream closed');
    expect(await closedOf(fromHost)).toEqual({ code: 4502, reason: 'upstream closed' });

    const fromBrowser = browser('jsmpeg');
    const up = await hostSocket();
    await waitFor('the browser is open', () => fromBrowser.ws.readyState === WebSocket.OPEN);
    fromBrowser.ws.close(4000, 'bye');
    expect(await closedOf(up)).toEqual({ code: 4000, reason: 'bye' });

    const cut = browser('jsmpeg');
    (await hostSocket()).ws.terminate();
    expect((await closedOf(cut)).code).toBe(1011);
  });

  it.each([
    [1000, 1000],
    [1001, 1001],
    [1003, 1003],
    [1005, 1000],
    [1006, 1011],
    [1002, 1011],
    [1009, 1009],
    [1015, 1011],
    [3000, 3000],
    [4999, 4999],
  ])('close code %i is passed on as %i', (code, passed) => {
    expect(forwardedCode(code)).toBe(passed);
  });

  it('asks the host for fresh URLs once when it refuses its own token, then bridges', async () => {
    host.token = `b-token-${host.resolutions + 10}`;
    const resolutions = host.resolutions;
    const b = browser('mse', 'hello');
    const up = await hostSocket();
    await waitFor('the message reaches the host', () => up.frames.length === 1);
    expect(host.resolutions).toBe(resolutions + 1);
    expect(b.closed).toBeNull();
    b.ws.close(1000);
  });

  it('closes the browser with 4503 host_refused when the host refuses the socket', async () => {
    host.refuseUpgrades = 403;
    const closed = await closedOf(browser('mse'));
    expect(closed.code).toBe(4503);
    expect(closed.reason).toMatch(/^host_refused: .*403/);
  });

  it("closes the browser with 4503 host_unreachable when the host is down, naming neither the secret nor the host's token", async () => {
    const gone = await startStandInHost();
    const goneLinks = await linksTo(gone.base);
    const goneEdge = await startEdge(goneLinks);
    await gone.close();
    // Once with nothing known of the host, once with its URLs cached from before it went down.
    const unknown = await closedOf(browser('mse', undefined, goneEdge));
    expect(unknown.code).toBe(4503);
    expect(unknown.reason).toMatch(/^host_unreachable: /);

    const later = await startStandInHost();
    const laterLinks = await linksTo(later.base);
    const laterEdge = await startEdge(laterLinks);
    await laterLinks.resolve(TX_ID);
    await later.close();
    const cached = await closedOf(browser('jsmpeg', undefined, laterEdge));
    goneLinks.close();
    laterLinks.close();
    expect(cached.code).toBe(4503);
    expect(cached.reason).toMatch(/^host_unreachable: .*ECONNREFUSED/);
    for (const reason of [unknown.reason, cached.reason]) {
      expect(reason).not.toContain(PEER_SECRET);
      expect(reason).not.toContain('b-token');
    }
  });

  it('stops reading the host while the browser does not read, and loses nothing once it does', async () => {
    const CHUNK = 256 * 1024;
    const TOTAL = 256; // 64 MiB: far beyond what the bridge may hold for one browser plus the sockets' buffers
    const b = browser('jsmpeg');
    const up = await hostSocket();
    await waitFor('the browser is open', () => b.ws.readyState === WebSocket.OPEN);
    b.ws.pause();
    const aSide = bridged.at(-1)!;
    // The host sends each chunk once the previous one left its socket: it stalls as soon as nobody reads.
    let sent = 0;
    let pending = false;
    let maxBuffered = 0;
    const next = () => {
      if (sent === TOTAL) return;
      const chunk = Buffer.alloc(CHUNK, sent);
      chunk.writeUInt32BE(sent);
      pending = true;
      up.ws.send(chunk, () => {
        pending = false;
        sent++;
        maxBuffered = Math.max(maxBuffered, aSide.bufferedAmount);
        next();
      });
    };
    next();
    let last = -1;
    await waitFor(
      'the host stalls (or sends everything)',
      () => {
        const stalled = pending && sent === last;
        last = sent;
        return stalled || sent === TOTAL;
      },
      30_000,
      { intervalMs: 200 },
    );
    expect(sent).toBeLessThan(TOTAL);
    expect(Math.max(maxBuffered, aSide.bufferedAmount)).toBeLessThanOrEqual(4 * 1024 * 1024 + 4 * CHUNK);

    b.ws.resume();
    await waitFor('every chunk reaches the browser', () => b.frames.length === TOTAL);
    expect(b.frames.every((f, i) => f.binary && f.data.length === CHUNK && f.data.readUInt32BE(0) === i)).toBe(true);
    b.ws.close(1000);
  });
});
