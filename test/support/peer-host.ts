/**
 * A stand-in for the host of a remote transmission (issue 14), on 127.0.0.1: it answers the peer's
 * resolution (`GET /api/streams/internal/transmissions/{id}/urls`, only with this server's peer
 * headers) with paths carrying its own media token, refuses any media request or upgrade with
 * another token (401, as the real host does once its token expired or it restarted with a new key),
 * and hands everything else to the test. Plus the peer links of "this server" (A) pointing at it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { manualTransmission } from '../../src/reconcile/fixtures.js';
import { createPeerLinks, type PeerLinksOptions } from '../../src/playback/remote/peer-links.js';
import type { PeerResolution } from '../../src/playback/remote/resolution.js';
import { openSettingsStore } from '../../src/store/settings-store.js';
import { silentLogger } from '../fixtures/store-helpers.js';
import { makeDataDir } from './data-dir.js';
import { LOOPBACK } from './ports.js';

export const TX_ID = 'tx-remote';
export const OUTPUT_ID = 'main';
export const ENGINE_PATH = 'cam/front/main';
export const PEER_SECRET = 'peer-secret-0123456789';

export interface StandInHost {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** The media token the host accepts now (a test changes it to play a restart with a new key). */
  token: string;
  /** Resolutions answered so far. */
  resolutions: number;
  /** Every media request and upgrade that reached the host, as sent (path, query, headers). */
  requests: { url: string; headers: IncomingMessage['headers'] }[];
  /** When set, every upgrade with a valid token is refused with this HTTP status. */
  refuseUpgrades: number | null;
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

function resolution(token: string): PeerResolution {
  const t = `media_token=${encodeURIComponent(token)}`;
  return {
    transmission_id: TX_ID,
    expires_in_s: 600,
    engine: 'running',
    webrtc_lan_unknown: false,
    sidecar: 'running',
    jsmpeg: { enabled: true, sessions: 0, max_sessions: 8, transmission_sessions: 0, max_per_transmission: 4 },
    outputs: [
      {
        output_id: OUTPUT_ID,
        engine_path: ENGINE_PATH,
        video_codec: 'h264',
        audio_codec: null,
        hls: `/api/streams/media/hls/${ENGINE_PATH}/index.m3u8?${t}`,
        mse: `/api/streams/media/mse/${ENGINE_PATH}/ws?${t}`,
        jsmpeg: `/api/streams/media/jsmpeg/${ENGINE_PATH}/ws?${t}`,
        rtsp: null,
      },
    ],
  };
}

/** Starts the host; `media` answers its media requests, `socket` takes its accepted WebSockets. */
export async function startStandInHost({
  media = (_req, res) => json(res, 404, { error: { code: 'not_found' } }),
  socket = () => {},
}: {
  media?: (req: IncomingMessage, res: ServerResponse) => void;
  socket?: (ws: WebSocket, req: IncomingMessage) => void;
} = {}): Promise<StandInHost> {
  const wss = new WebSocketServer({ noServer: true });
  const tokenOk = (req: IncomingMessage) => new URL(req.url ?? '/', 'http://b.invalid').searchParams.get('media_token') === host.token;
  const server = createServer((req, res) => {
    if (req.url === `/api/streams/internal/transmissions/${TX_ID}/urls`) {
      if (req.headers['x-toposync-peer'] !== 'local' || req.headers.authorization !== `Bearer ${PEER_SECRET}`) return json(res, 401, { error: { code: 'unauthorized' } });
      host.resolutions++;
      return json(res, 200, { peer: resolution(host.token) });
    }
    host.requests.push({ url: req.url ?? '', headers: req.headers });
    if (!tokenOk(req)) return json(res, 401, { error: { code: 'invalid_token', message: 'media_token signature does not match' } });
    media(req, res);
  });
  server.on('upgrade', (req: IncomingMessage, raw: Duplex, head: Buffer) => {
    host.requests.push({ url: req.url ?? '', headers: req.headers });
    const status = tokenOk(req) ? host.refuseUpgrades : 401;
    if (status !== null) return raw.end(`HTTP/1.1 ${status} Refused\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    wss.handleUpgrade(req, raw, head, (ws) => socket(ws, req));
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const host: StandInHost = {
    base: `http://${LOOPBACK}:${(server.address() as { port: number }).port}`,
    token: 'b-token-1',
    resolutions: 0,
    requests: [],
    refuseUpgrades: null,
    close: () =>
      new Promise((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return host;
}

/** This server's (A's) peer links over a real settings store: peer `b` at `base`, the transmission hosted by it. */
export async function linksTo(base: string, opts: Partial<Omit<PeerLinksOptions, 'store' | 'logger'>> = {}) {
  const store = await openSettingsStore({ dataDir: await makeDataDir('peer-links'), logger: silentLogger() });
  await store.update((d) => {
    d.streaming.peers = [{ id: 'b', name: 'B', base_url: base, secret: PEER_SECRET, enabled: true }];
    d.transmissions.push(manualTransmission(TX_ID, { host_server_id: 'b' }, [{ id: OUTPUT_ID, engine_path: ENGINE_PATH }]));
  });
  return createPeerLinks({ store, logger: silentLogger(), ...opts });
}
