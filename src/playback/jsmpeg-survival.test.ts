import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as v from 'valibot';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { captureLogger, waitFor } from '../../test/fixtures/proc-helpers.js';
import { solidJpeg } from '../../test/media/frames.js';
import { streamingSettingsSchema } from '../domain/settings.js';
import { createSupervisor } from '../process/supervisor.js';
import { fixtureOutput, fixtureTransmission } from '../reconcile/fixtures.js';
import { createDemandTracker } from '../runtime/demand.js';
import { createPlaceholders } from '../runtime/placeholder.js';
import { createRuntimeRegistry } from '../runtime/transmission-state.js';
import { jsmpegUpgradeRoute } from '../api/ws/media.js';
import { createUpgradeRouter } from '../api/ws/router.js';
import { createJsmpegSessions } from './jsmpeg/sessions.js';
import { createMediaTokens } from './tokens.js';

/**
 * Issue 10, point 7: a fallback session must outlive its encoder being killed from outside (the OOM
 * killer) as long as its source is alive. It used to close with 1011 at the third death within a minute.
 */
const TX = 'tx-survive';
const PATH = 'pipe/survive/main';
const KILLS = 6;

const log = captureLogger('info');
const supervisor = createSupervisor({ logger: log.logger });
const registry = createRuntimeRegistry({ stickyWindowMs: 0, staleAfterMs: 2000 });
const tokens = createMediaTokens({ key: randomBytes(32) });
const doc = {
  transmissions: [fixtureTransmission(TX, [fixtureOutput('main', PATH)])],
  streaming: v.parse(streamingSettingsSchema, { jsmpeg: { width: 320, fps: 10 } }),
};
const jsmpeg = createJsmpegSessions({
  supervisor,
  logger: log.logger,
  registry,
  demand: createDemandTracker({ heartbeatTtlMs: 30_000, now: Date.now }),
  placeholders: createPlaceholders({ supervisor }),
  doc: () => doc,
  pingIntervalMs: 0,
});
let server: Server | undefined;
let feeder: NodeJS.Timeout | undefined;

afterAll(async () => {
  clearInterval(feeder);
  await jsmpeg.close();
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await supervisor.stopAll();
});

describe('a JSMpeg session whose encoder is killed from outside', () => {
  it(`keeps its socket open and gets bytes again after each of ${KILLS} SIGKILLs`, async () => {
    const jpeg = await solidJpeg('green', 320, 180);
    feeder = setInterval(() => registry.ensure(TX).update('w1', jpeg), 100);
    server = createServer((_q, res) => res.writeHead(404).end());
    const router = createUpgradeRouter({ routes: [jsmpegUpgradeRoute({ sessions: jsmpeg, tokens })], logger: log.logger });
    server.on('upgrade', (req, socket, head) => {
      if (!router.handle(req, socket, head)) socket.destroy();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const token = tokens.issue({ transmission_id: TX, output_id: 'main', path: PATH, transport: 'jsmpeg' });
    const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/streams/media/jsmpeg/${PATH}/ws?media_token=${encodeURIComponent(token)}`);
    let bytes = 0;
    let closed: { code: number; reason: string } | null = null;
    ws.on('message', (data: Buffer) => (bytes += data.length));
    ws.on('close', (code, reason) => (closed = { code, reason: reason.toString() }));
    await once(ws, 'open');

    const encoder = () => jsmpeg.sessions()[0]?.encoder ?? null;
    await waitFor(() => bytes > 0, 30_000, 'first bytes');
    const killed: number[] = [];
    for (let i = 0; i < KILLS; i++) {
      const running = encoder();
      expect(running?.state).toBe('running');
      const pid = running!.pid!;
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
      // A new encoder process, and TS bytes from it (the old one's pipe may still drain: count from the new start).
      await waitFor(() => closed !== null || (encoder()?.pid != null && encoder()!.pid !== pid && encoder()!.state === 'running'), 30_000, `encoder back after kill ${i + 1}`);
      expect(closed).toBeNull();
      const at = bytes;
      await waitFor(() => closed !== null || bytes > at, 30_000, `bytes after kill ${i + 1}`);
      expect(closed).toBeNull();
    }
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(encoder()?.restarts).toBe(KILLS);
    expect(new Set(killed).size).toBe(KILLS);
    expect(jsmpeg.counters.encoder_failures).toBe(0);
    ws.close();
    await once(ws, 'close');
    await waitFor(() => supervisor.count('jsmpeg:') === 0, 30_000, 'encoder gone after close');
  });
});
