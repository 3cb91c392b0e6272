/**
 * Two servers on 127.0.0.1 with their own ports and data directories: A (server id `local`, the one
 * the browser talks to) gives its demo stream to B (`nas`) to host. B's settings exist before its
 * first start, so it adds no demo of its own; its demo writer feeds the one A gives it.
 */
import type { ServerOptions } from '../../src/server.js';
import { DEMO_TRANSMISSION_ID } from '../../src/demo/pipeline.js';
import { prepareDoc } from '../../src/control/bootstrap.js';
import { openSettingsStore } from '../../src/store/settings-store.js';
import { ENGINE_BINS, REAL_ENGINES } from '../engines.js';
import { captureLogger } from '../fixtures/proc-helpers.js';
import { startLiveServer, type LiveServer } from '../runtime/server-harness.js';
import { makeDataDir, removeDataDir } from '../support/data-dir.js';
import { waitFor } from '../support/wait.js';

export const PEER_SECRET = 'shared-between-a-and-nas-42';
export const DEMO_PATH = 'pipe/demo/video';
export { DEMO_TRANSMISSION_ID };

export interface Pair {
  a: LiveServer;
  b: LiveServer;
  /** B stopped (every child with it), its port closed. */
  stopB(): Promise<void>;
  /** B started again over its data directory on its old port. */
  startB(): Promise<LiveServer>;
  /** With the MediaMTX double, B's engine serves the demo path's HLS from a test source (the real engine from B's publisher). */
  hlsSourceOnB(method: 'POST' | 'DELETE'): Promise<void>;
  close(): Promise<void>;
}

export interface PairOptions {
  pollMs?: number;
  /** A's calls to B (peer links). */
  links?: ServerOptions['peerLinks'];
  /** B runs go2rtc (the engine double's or the real one), so MSE plays. */
  mse?: boolean;
}

export async function startPair({ pollMs = 60_000, links = { timeoutMs: 1000, retryMs: 200, checkMs: 300 }, mse = false }: PairOptions = {}): Promise<Pair> {
  const bDir = await makeDataDir('pair-b');
  const seed = await openSettingsStore({ dataDir: bDir, logger: captureLogger('info').logger });
  await seed.update((draft) => {
    Object.assign(draft, prepareDoc(draft));
    draft.streaming.server_id = 'nas';
  });
  await seed.close();
  const engine = { mediamtxPath: ENGINE_BINS.mediamtx };
  const startBOn = async (port: number) => {
    const server = await startLiveServer({ ...engine, ...(mse ? { go2rtcPath: ENGINE_BINS.go2rtc } : {}), demo: true, dataDir: bDir, peerPollMs: pollMs }, undefined, port);
    if (mse) await server.streaming.sidecar.start();
    return server;
  };
  let b = await startBOn(0);
  const bPort = Number(new URL(b.base).port);
  const a = await startLiveServer({ ...engine, demo: true, peerPollMs: pollMs, peerLinks: links });
  const ok = async (p: Promise<{ status: number; json: unknown }>) => {
    const r = await p;
    if (r.status >= 300) throw new Error(`setup refused: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  };
  await ok(b.request('PATCH', '/api/streams/settings', { peers: [{ id: 'local', name: 'Home Assistant', base_url: a.base, secret: PEER_SECRET }] }));
  await ok(a.request('PATCH', '/api/streams/settings', { peers: [{ id: 'nas', name: 'NAS', base_url: b.base, secret: PEER_SECRET }] }));
  const demo = (await ok(a.request('GET', '/api/streams/pipelines/demo'))) as { enabled: boolean; description: string; nodes: unknown[] };
  await ok(a.request('PUT', '/api/streams/pipelines/demo', { enabled: demo.enabled, description: demo.description, nodes: demo.nodes, processing_server_id: 'nas' }));
  const hostsDemo = (s: LiveServer) => s.streaming.runtime.plan().outputs.some((o) => o.transmission_id === DEMO_TRANSMISSION_ID);
  await waitFor('B to host the demo stream A gave it', () => hostsDemo(b));

  const doubleApi = () => `http://127.0.0.1:${b.streaming.store.get().streaming.engine.api_port}`;
  return {
    a,
    get b() {
      return b;
    },
    async stopB() {
      await b.close();
    },
    async startB() {
      b = await startBOn(bPort);
      await waitFor('B to host the demo stream again', () => hostsDemo(b));
      return b;
    },
    async hlsSourceOnB(method) {
      if (REAL_ENGINES.mediamtx) return;
      // A double just (re)started may drop the first connection: asked again until it answers.
      const res = await waitFor('the MediaMTX double to take the HLS source', () =>
        fetch(`${doubleApi()}/_double/paths/${DEMO_PATH}/hls`, {
          method,
          ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ source: 'testsrc', size: '640x360', fps: 10 }) } : {}),
        }).catch(() => null),
      );
      if (res.status >= 300) throw new Error(`the MediaMTX double refused the HLS source: ${res.status}`);
    },
    async close() {
      await a.close();
      await b.close().catch(() => undefined);
      await removeDataDir(bDir);
    },
  };
}
