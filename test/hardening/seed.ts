/**
 * The state the bad-input suites attack, made through the API of a running server: the cameras,
 * pipeline and transmission of `arbitraries.ts`, known settings (an API token for the writer API
 * and the direct port, room for concurrent fallback sessions, downloads off), the engine and the
 * sidecar running, and signed media URLs for every browser transport of the pipeline's stream.
 * `resetSeed` puts it back after fuzzed writes changed or removed parts of it.
 */
import { waitFor } from '../support/wait.js';
import { SEED, seedCamera, seedPipeline, seedTransmission } from './arbitraries.js';
import type { Answer, Sent } from './wire.js';

export const API_TOKEN = 'hardening-api-token-0123456789';

/** Every field set, so one PATCH restores them all. Downloads stay off: tests never leave 127.0.0.1. */
export const SEED_SETTINGS = {
  server_id: 'local',
  engine: { auto_start: true, allow_download: false },
  lan_reader: { username: 'viewer', password: 'hardening-reader-pass' },
  demand: { debounce_s: 15 },
  writers: { sticky_window_ms: 2000, stale_after_ms: 3000 },
  api_token: API_TOKEN,
  jsmpeg: { enabled: true, max_sessions: 16, max_sessions_per_transmission: 16, width: 320, fps: 5 },
  mse: { enabled: true, allow_download: false },
  still: { cache_ms: 2000 },
};

const PUBLICATION_FIELDS = ['enabled', 'role', 'label', 'live_view_id', 'quality_policy', 'transport_policy', 'host_server_id', 'show_in_dashboard', 'show_in_home_assistant'];
const SEEDED_PUBLICATIONS = [`camera:${SEED.camera}:main`, `camera:${SEED.camera}:sub`];

/** Signed URLs (path and query) of the pipeline transmission's browser transports, from its playback plan. */
export interface MediaUrls {
  hls: string;
  mse: string;
  jsmpeg: string;
}

export interface Seeded {
  media: MediaUrls;
  /** The seeded camera publications' editable fields, as first stored. */
  publications: { camera: string; source: string; body: Record<string, unknown> }[];
}

type Api = (req: Sent) => Promise<Answer>;

const json = (method: string, target: string, body?: unknown): Sent =>
  body === undefined ? { method, target } : { method, target, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };

async function expectOk(api: Api, req: Sent, what: string): Promise<Answer> {
  const res = await api(req);
  if (res.status >= 300) throw new Error(`${what}: ${req.method} ${req.target} answered ${res.status} ${res.text.slice(0, 500)}`);
  return res;
}

async function engineAndSidecarRunning(api: Api): Promise<void> {
  for (const [name, route] of [
    ['the engine', 'engine'],
    ['go2rtc', 'mse'],
  ] as const) {
    await waitFor(`${name} runs`, async () => (await api(json('GET', `/api/streams/${route}/status`))).json?.state === 'running', 60_000, { intervalMs: 200 });
  }
}

async function mediaUrls(api: Api): Promise<MediaUrls> {
  // go2rtc learns the stream set within a second of a change; until then the plan blocks MSE.
  return waitFor(
    'the playback plan offers HLS, MSE and JSMpeg',
    async () => {
      const plan = (await api(json('GET', `/api/streams/transmissions/${SEED.pipelineTx}/playback-plan?client=web&context=grid`))).json as {
        transports?: { transport: string; available: boolean; url: string | null }[];
      };
      const url = (t: string) => plan.transports?.find((x) => x.transport === t && x.available)?.url ?? null;
      const [hls, mse, jsmpeg] = [url('hls'), url('mse'), url('jsmpeg')];
      return hls && mse && jsmpeg ? { hls, mse, jsmpeg } : undefined;
    },
    60_000,
    { intervalMs: 250 },
  );
}

export async function seedServer(api: Api): Promise<Seeded> {
  await expectOk(api, json('POST', '/api/cameras', seedCamera), 'seed');
  await expectOk(api, json('PUT', `/api/streams/pipelines/${SEED.pipeline}`, seedPipeline), 'seed');
  await expectOk(api, json('POST', '/api/streams/transmissions', seedTransmission), 'seed');
  await expectOk(api, json('PATCH', '/api/streams/settings', SEED_SETTINGS), 'seed');
  const listed = (await expectOk(api, json('GET', `/api/streams/publications?camera_id=${SEED.camera}`), 'seed')).json as Record<string, unknown>[];
  const publications = SEEDED_PUBLICATIONS.map((id) => {
    const p = listed.find((x) => x.id === id);
    if (!p) throw new Error(`seed: publication ${id} was not generated`);
    const [, camera, source] = id.split(':') as [string, string, string];
    return { camera, source, body: Object.fromEntries(PUBLICATION_FIELDS.filter((k) => k in p).map((k) => [k, p[k]])) };
  });
  await engineAndSidecarRunning(api);
  return { media: await mediaUrls(api), publications };
}

/**
 * Puts the seeded objects back as they were first stored, removes what fuzzed writes added (so the
 * document stays small), and starts the engine and sidecar again if a request stopped them.
 */
export async function resetSeed(api: Api, seeded: Seeded): Promise<void> {
  const list = async (target: string) => (await expectOk(api, json('GET', target), 'reset')).json as { id?: string; name?: string; metadata?: unknown }[];
  for (const t of await list('/api/streams/transmissions')) {
    if (t.metadata === null && t.id !== SEED.manualTx) await expectOk(api, json('DELETE', `/api/streams/transmissions/${encodeURIComponent(t.id!)}`), 'reset');
  }
  for (const p of await list('/api/streams/pipelines')) {
    if (p.metadata === null && p.name !== SEED.pipeline) await expectOk(api, json('DELETE', `/api/streams/pipelines/${encodeURIComponent(p.name!)}`), 'reset');
  }
  for (const c of await list('/api/cameras')) {
    if (c.id !== SEED.camera) await expectOk(api, json('DELETE', `/api/cameras/${encodeURIComponent(c.id!)}`), 'reset');
  }
  const put = async (target: string, create: string, body: unknown) => {
    if ((await api(json('PUT', target, body))).status === 404) await expectOk(api, json('POST', create, body), 'reset');
  };
  await put(`/api/cameras/${SEED.camera}`, '/api/cameras', seedCamera);
  await expectOk(api, json('PUT', `/api/streams/pipelines/${SEED.pipeline}`, seedPipeline), 'reset');
  await put(`/api/streams/transmissions/${SEED.manualTx}`, '/api/streams/transmissions', seedTransmission);
  for (const p of seeded.publications) await expectOk(api, json('PUT', `/api/streams/publications/camera-sources/${p.camera}/${p.source}`, p.body), 'reset');
  await expectOk(api, json('PATCH', '/api/streams/settings', SEED_SETTINGS), 'reset');
  for (const route of ['engine', 'mse']) {
    if ((await api(json('GET', `/api/streams/${route}/status`))).json?.state !== 'running') await expectOk(api, json('POST', `/api/streams/${route}/start`), 'reset');
  }
}
