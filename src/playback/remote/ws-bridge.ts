/**
 * MSE and JSMpeg of a transmission another server hosts (issue 14): the browser's socket, its token
 * already checked here, is bridged to the host's socket for the same output (the host's path and
 * token from the resolution, this server's peer headers), so the browser only talks to this server.
 *
 * Frames pass unchanged both ways (binary stays binary, text stays text); what the browser sends
 * before the host's socket is open waits in a short queue. A close on either side closes the other
 * with the same code and reason when that code may be sent on, else 1011. The host unreachable or
 * refusing the socket closes the browser's with 4503 and a reason starting `host_unreachable` or
 * `host_refused` (the code both players show as "not available here now"); an output the host does
 * not serve, with 4404. A 401 of the host (its token expired, or it restarted with a new key) asks it
 * for fresh URLs once.
 *
 * Backpressure: when the browser's socket holds more than HIGH_WATER_BYTES unsent, the host's socket
 * is no longer read (TCP pushes back on the host) until the browser has drained below LOW_WATER_BYTES.
 */
import type { Logger } from 'pino';
import { WebSocket, type RawData } from 'ws';
import { ApiError } from '../../shared/errors.js';
import { closeSocket } from '../jsmpeg/socket.js';
import { CLOSE_SIDECAR_UNAVAILABLE, CLOSE_UNKNOWN_PATH } from '../mse-relay-types.js';
import type { MediaScope } from '../tokens.js';
import type { PeerLinks } from './peer-links.js';

export type BridgedTransport = 'mse' | 'jsmpeg';

const HIGH_WATER_BYTES = 4 * 1024 * 1024;
const LOW_WATER_BYTES = 1024 * 1024;
/** Browser messages are small (an MSE codec request); a player that sends this many before the host answered is broken. */
const MAX_QUEUED_MESSAGES = 32;
const HANDSHAKE_TIMEOUT_MS = 5000;
const NO_STATUS = 1005;

/** The code a close is passed on with: the codes an endpoint may send as is, a close without a status as a normal one, anything else as 1011. */
export function forwardedCode(code: number): number {
  if (code === NO_STATUS) return 1000;
  return code === 1000 || code === 1001 || code === 1003 || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999) ? code : 1011;
}

export function createWsBridge({ links, logger }: { links: Pick<PeerLinks, 'resolve' | 'baseOf' | 'headersFor'>; logger: Logger }) {
  const log = logger.child({ component: 'ws-bridge' });

  /** The host's WebSocket URL and headers for the scope's output; a close code and reason instead when there is none. */
  async function hostSocket(scope: MediaScope, transport: BridgedTransport, fresh: boolean): Promise<{ url: string; headers: Record<string, string> } | { code: number; reason: string }> {
    const txId = scope.transmission_id;
    try {
      const out = (await links.resolve(txId, fresh)).outputs.find((o) => o.output_id === scope.output_id);
      if (!out) return { code: CLOSE_UNKNOWN_PATH, reason: `unknown path: the transmission host does not serve output "${scope.output_id}"` };
      return { url: `${links.baseOf(txId).replace(/^http/, 'ws')}${out[transport]}`, headers: links.headersFor(txId) };
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return { code: CLOSE_SIDECAR_UNAVAILABLE, reason: `${err.code}: ${err.message}` };
    }
  }

  function bridge(browser: WebSocket, scope: MediaScope, transport: BridgedTransport): void {
    const queued: { data: RawData; binary: boolean }[] = [];
    const seen = { transmission_id: scope.transmission_id, output_id: scope.output_id, transport };
    let upstream: WebSocket | null = null;
    let paused = false;

    const refuse = (code: number, reason: string) => {
      log.warn({ ...seen, code, reason }, 'bridge to the transmission host not opened');
      closeSocket(browser, code, reason);
    };
    const drained = () => {
      if (paused && browser.bufferedAmount <= LOW_WATER_BYTES) {
        paused = false;
        upstream?.resume();
      }
    };

    browser.on('error', () => {});
    browser.on('message', (data, binary) => {
      if (upstream?.readyState === WebSocket.OPEN) upstream.send(data, { binary });
      else if (queued.length < MAX_QUEUED_MESSAGES) queued.push({ data, binary });
      else closeSocket(browser, 1008, 'too many messages before the stream opened');
    });
    browser.on('close', (code, reason) => {
      queued.length = 0;
      if (upstream?.readyState === WebSocket.OPEN) upstream.close(forwardedCode(code), reason);
      else upstream?.terminate();
    });

    async function connect(fresh: boolean): Promise<void> {
      const target = await hostSocket(scope, transport, fresh);
      if (browser.readyState !== WebSocket.OPEN) return;
      if ('code' in target) {
        refuse(target.code, target.reason);
        return;
      }
      const up = new WebSocket(target.url, { headers: target.headers, handshakeTimeout: HANDSHAKE_TIMEOUT_MS, perMessageDeflate: false, followRedirects: false });
      upstream = up;
      let opened = false;
      let refusedStatus: number | null = null;
      let failure = 'no answer';
      up.on('unexpected-response', (_req, res) => {
        refusedStatus = res.statusCode ?? 0;
        res.resume();
        up.terminate();
      });
      up.on('error', (err: NodeJS.ErrnoException) => {
        // The code, not the message: the message of a failed handshake may quote the URL and its token.
        failure = err.code ?? 'handshake failed';
      });
      up.on('open', () => {
        opened = true;
        for (const m of queued.splice(0)) up.send(m.data, { binary: m.binary });
      });
      up.on('message', (data, binary) => {
        browser.send(data, { binary }, drained);
        if (!paused && browser.bufferedAmount > HIGH_WATER_BYTES) {
          paused = true;
          up.pause();
        }
      });
      up.on('close', (code, reason) => {
        if (opened) closeSocket(browser, forwardedCode(code), reason.toString());
        if (opened || browser.readyState !== WebSocket.OPEN) return;
        if (refusedStatus === 401 && !fresh) return void connect(true).catch(fail);
        if (refusedStatus !== null) return refuse(CLOSE_SIDECAR_UNAVAILABLE, `host_refused: the transmission host answered HTTP ${refusedStatus}`);
        refuse(CLOSE_SIDECAR_UNAVAILABLE, `host_unreachable: the transmission host did not take the connection (${failure})`);
      });
    }

    function fail(err: unknown): void {
      log.error({ ...seen, err: err instanceof Error ? err.message : String(err) }, 'bridge to the transmission host failed');
      closeSocket(browser, 1011, 'bridge to the transmission host failed');
    }

    void connect(false).catch(fail);
  }

  return {
    /** An authorised upgrade of a remote transmission: bridged to its host once the handshake is done. */
    admit: (scope: MediaScope, transport: BridgedTransport) => ({ open: (ws: WebSocket) => bridge(ws, scope, transport) }),
  };
}
export type WsBridge = ReturnType<typeof createWsBridge>;
