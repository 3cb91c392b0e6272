/**
 * Property/fuzz test of every write route: thousands of random, garbage and near-valid bodies (and
 * odd path parameters) must never produce a 5xx, and a rejected request must leave the stored
 * settings byte for byte as they were, answering with the API's error shape.
 *
 * FUZZ_RUNS overrides the number of runs per route (default 2000); FUZZ_SEED replays a seed.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SettingsDoc } from '../src/domain/settings.js';
import { SEED as IDS, WRITE_ROUTES, seedCamera, seedPipeline, seedTransmission } from './arbitraries.js';
import { startHarness, type Harness } from './harness.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

const CAMERA = IDS.camera;
const PIPELINE = IDS.pipeline;
const MANUAL_TX = IDS.manualTx;
const MANUAL_OUTPUT = IDS.manualOutput;
const CAMERA_TX = IDS.cameraTx;
const PIPELINE_TX = IDS.pipelineTx;
const IMPLICIT_PIPELINE = IDS.implicitPipeline;

interface Seeded {
  plane: Omit<SettingsDoc, 'revision' | 'updated_at'>;
}

/**
 * Through the API: a camera with two sources (one with credentials), a registered pipeline with a
 * publishing node, a manual transmission with an output; then checks what the reconciler generated
 * (a transmission per publication, an implicit pipeline per camera source) has the expected ids.
 */
async function seed(h: Harness): Promise<Seeded> {
  const steps: [string, string, unknown, number][] = [
    ['POST', '/api/cameras', seedCamera, 201],
    ['PUT', `/api/streams/pipelines/${PIPELINE}`, seedPipeline, 201],
    ['POST', '/api/streams/transmissions', seedTransmission, 201],
  ];
  for (const [method, path, body, status] of steps) {
    const res = await h.request(method, path, body);
    expect(res.status, `seed ${method} ${path}: ${res.text}`).toBe(status);
  }
  const txs = (await h.request('GET', '/api/streams/transmissions')).json as { id: string; metadata: unknown }[];
  const generated = txs.filter((t) => t.metadata !== null).map((t) => t.id);
  expect(generated).toContain(CAMERA_TX);
  expect(generated).toContain(PIPELINE_TX);
  expect(txs.find((t) => t.id === MANUAL_TX)?.metadata).toBeNull();
  const pipes = (await h.request('GET', '/api/streams/pipelines')).json as { name: string; metadata: unknown }[];
  expect(pipes.filter((p) => p.metadata !== null).map((p) => p.name)).toContain(IMPLICIT_PIPELINE);
  const { revision: _r, updated_at: _u, ...plane } = structuredClone(h.store.get());
  return { plane };
}

/** Puts the seeded content back (one write, or none when nothing changed). */
async function restore(harness: Harness, state: Seeded): Promise<void> {
  await harness.store.update((draft) => {
    Object.assign(draft, structuredClone(state.plane));
  });
}

let h: Harness;
let seeded: Seeded;
beforeEach(async () => {
  h = await startHarness();
  seeded = await seed(h);
});
afterEach(() => h.close());

const clip = (s: string | undefined, n = 600) => (s === undefined ? '(no body)' : s.length > n ? `${JSON.stringify(s.slice(0, n))}… (${s.length} chars)` : JSON.stringify(s));

function isErrorShape(json: any): boolean {
  const e = json?.error;
  return (
    json !== null &&
    typeof json === 'object' &&
    e !== null &&
    typeof e === 'object' &&
    typeof e.code === 'string' &&
    typeof e.message === 'string' &&
    (e.field === null || typeof e.field === 'string')
  );
}

/** The error behind a 500, from the captured log. */
function lastUnhandled(harness: Harness): string {
  const line = harness.logs.findLast((l) => l.includes('unhandled error'));
  if (!line) return '(none)';
  const err = (JSON.parse(line) as { err?: { type?: string; message?: string } }).err;
  return `${err?.type ?? 'Error'}: ${clip(err?.message, 400)}`;
}

/**
 * After each run: put the seeded state back (a no-op when nothing changed), except when `keep`
 * (1 run in 5, so successes can pile up). After a success, check the store still takes an update:
 * an accepted document the store can no longer clone, compare or write fails every later write.
 * That is blamed on the request that stored it, and the harness is replaced so the following runs
 * (and shrinking) start clean.
 */
async function settle(succeeded: boolean, keep: boolean, what: () => string): Promise<void> {
  try {
    if (!keep) await restore(h, seeded);
    else if (succeeded) await h.store.update(() => undefined);
  } catch (err) {
    await h.close().catch(() => undefined);
    h = await startHarness();
    seeded = await seed(h);
    throw new Error(`after this request the store can no longer update the settings (${String(err)})\n${what()}`);
  }
}

describe('write API fuzz', () => {
  it.each(WRITE_ROUTES.map((r) => [r.name, r] as const))(`%s: ${RUNS} random bodies, never 5xx, rejections change nothing`, async (name, r) => {
    const tally: Record<string, number> = {};
    try {
      await fc.assert(
        fc.asyncProperty(r.path, r.body, fc.nat(4), async (path, body, keepRoll) => {
          const keep = keepRoll === 0;
          const before = await h.settingsBytes();
          const res = await h.request(r.method, path, body.text);
          const bucket = `${Math.floor(res.status / 100)}xx`;
          tally[bucket] = (tally[bucket] ?? 0) + 1;
          tally[res.status] = (tally[res.status] ?? 0) + 1;
          const what = () => `${r.method} ${path}\nbody (${body.kind}): ${clip(body.text)}\n→ ${res.status} ${clip(res.text, 800)}`;
          if (res.status >= 500) throw new Error(`server error\n${what()}\nserver log: ${lastUnhandled(h)}`);
          if (res.status >= 400) {
            if (!isErrorShape(res.json)) throw new Error(`4xx without the error shape\n${what()}`);
            const after = await h.settingsBytes();
            if (after !== before) throw new Error(`a rejected request changed the stored settings\n${what()}`);
          }
          await settle(res.status < 300, keep, what);
        }),
        { numRuns: RUNS, seed: SEED },
      );
    } finally {
      // Statuses seen, shrinking included: shows how much of each route the bodies reach.
      console.log(`${name}: ${JSON.stringify(tally)}`);
    }
  }, 300_000);
});

// ---------------------------------------------------------------------------------------------
// Deterministic guards: malformed JSON is 400, a wrong field is 422 naming the field.

async function expectRejected(method: string, path: string, body: string | object, status: number, code: string, field: string | null) {
  const before = await h.settingsBytes();
  const res = await h.request(method, path, body);
  expect(res.status, res.text).toBe(status);
  expect(res.json).toEqual({ error: expect.objectContaining({ code, field, message: expect.any(String) }) });
  expect(await h.settingsBytes()).toBe(before);
}
const malformed = (method: string, path: string, text: string) => expectRejected(method, path, text, 400, 'malformed_json', 'body');
const invalidField = (method: string, path: string, body: object | string, field: string) => expectRejected(method, path, body, 422, 'invalid_field', field);

describe('write API known-bad inputs', () => {
  it('cameras', async () => {
    await malformed('POST', '/api/cameras', '{"name":');
    await malformed('POST', '/api/cameras', '');
    await malformed('PUT', `/api/cameras/${CAMERA}`, "{'name':'x'}");
    await invalidField('POST', '/api/cameras', { name: 'X', sources: [{ url: 'http://192.0.2.1/' }] }, 'sources.0.url');
    await invalidField('POST', '/api/cameras', { name: 'X', sources: [{ url: 'rtsp://h/', id: 'Main!' }] }, 'sources.0.id');
    await invalidField('POST', '/api/cameras', { name: 'X', sources: [{ url: 'rtsp://h/', password: 'p'.repeat(257) }] }, 'sources.0.password');
    await invalidField('POST', '/api/cameras', { name: 'X', bogus: 1 }, 'bogus');
    await invalidField('POST', '/api/cameras', { name: '   ' }, 'name');
    await invalidField('POST', '/api/cameras', 'null', 'body');
    await invalidField('POST', '/api/cameras', '"Front"', 'body');
    await invalidField('PUT', `/api/cameras/${CAMERA}`, { name: 'F', sources: [{ url: 'rtsp://h/1', id: 'a' }, { url: 'rtsp://h/2', id: 'a' }] }, 'sources.1.id');
    await invalidField('PUT', `/api/cameras/${CAMERA}`, { id: 'other', name: 'F' }, 'id');
    await expectRejected('POST', '/api/cameras', { ...seedCamera }, 409, 'already_exists', 'id');
    await expectRejected('DELETE', '/api/cameras/ghost', '', 404, 'not_found', null);
  });

  it('publications', async () => {
    const path = `/api/streams/publications/camera-sources/${CAMERA}/main`;
    await malformed('PUT', path, '{');
    await invalidField('PUT', path, { quality_policy: { width: 8 } }, 'quality_policy.width');
    await invalidField('PUT', path, { transport_policy: { prefer: 'rtsp' } }, 'transport_policy.prefer');
    await invalidField('PUT', path, { live_view_id: 'Not A Slug' }, 'live_view_id');
    await invalidField('PUT', path, { label: 5 }, 'label');
    await invalidField('PUT', path, { metadata: null }, 'metadata');
    await expectRejected('PUT', `/api/streams/publications/camera-sources/${CAMERA}/ghost`, { enabled: false }, 404, 'not_found', null);
  });

  it('pipelines', async () => {
    await malformed('PUT', `/api/streams/pipelines/${PIPELINE}`, 'nul');
    await invalidField('PUT', `/api/streams/pipelines/${PIPELINE}`, { nodes: 'x' }, 'nodes');
    await invalidField('PUT', `/api/streams/pipelines/${PIPELINE}`, { nodes: [{ id: 'a', type: 'stream.publish_video', config: { writer_priority: 5000 } }] }, 'nodes.0.config.writer_priority');
    await invalidField('PUT', `/api/streams/pipelines/${PIPELINE}`, { nodes: [{ id: 'a', type: 'x.y', inputs: ['b'] }] }, 'nodes.0.inputs.0');
    await invalidField('PUT', `/api/streams/pipelines/${PIPELINE}`, { nodes: [{ id: 'a', type: 'x.y' }, { id: 'a', type: 'x.y' }] }, 'nodes.1.id');
    await invalidField('PUT', `/api/streams/pipelines/${encodeURIComponent('bad name')}`, { nodes: [] }, 'name');
    await expectRejected('PUT', `/api/streams/pipelines/${encodeURIComponent(IMPLICIT_PIPELINE)}`, { nodes: [] }, 409, 'generated_artifact', null);
    await expectRejected('DELETE', `/api/streams/pipelines/${encodeURIComponent(IMPLICIT_PIPELINE)}`, '', 409, 'generated_artifact', null);
  });

  it('transmissions and outputs', async () => {
    await malformed('POST', '/api/streams/transmissions', '{"name":"x",}');
    await invalidField('POST', '/api/streams/transmissions', { name: 'x', outputs: [{ engine_path: 'cam/x' }] }, 'outputs.0.engine_path');
    await invalidField('POST', '/api/streams/transmissions', { name: 'x', id: 'not-a-uuid' }, 'id');
    await invalidField('POST', '/api/streams/transmissions', { name: 'x', outputs: [{ codec: 'copy' }] }, 'outputs.0.codec');
    await invalidField('POST', '/api/streams/transmissions', { name: 'x', input: 'camera_source', camera_id: 'ghost', camera_source_id: 'main' }, 'camera_id');
    await expectRejected('POST', '/api/streams/transmissions', { name: 'x', outputs: [{ engine_path: 'manual/one' }] }, 409, 'engine_path_taken', 'outputs.0.engine_path');
    await invalidField('PUT', `/api/streams/transmissions/${MANUAL_TX}`, { name: '' }, 'name');
    await expectRejected('PUT', `/api/streams/transmissions/${CAMERA_TX}`, { name: 'x' }, 409, 'generated_artifact', null);
    await expectRejected('DELETE', `/api/streams/transmissions/${PIPELINE_TX}`, '', 409, 'generated_artifact', null);
    await malformed('POST', `/api/streams/transmissions/${MANUAL_TX}/outputs`, '[');
    await invalidField('POST', `/api/streams/transmissions/${MANUAL_TX}/outputs`, { width: 10 }, 'width');
    await invalidField('POST', `/api/streams/transmissions/${MANUAL_TX}/outputs`, { id: MANUAL_OUTPUT }, 'id');
    await invalidField('PUT', `/api/streams/transmissions/${MANUAL_TX}/outputs/${MANUAL_OUTPUT}`, { fps: 0 }, 'fps');
    await expectRejected('PUT', `/api/streams/transmissions/${MANUAL_TX}/outputs/ghost`, {}, 404, 'not_found', null);
    await expectRejected('POST', `/api/streams/transmissions/${CAMERA_TX}/outputs`, {}, 409, 'generated_artifact', null);
  });

  it('settings', async () => {
    await malformed('PATCH', '/api/streams/settings', '');
    await malformed('PATCH', '/api/streams/settings', '{} {}');
    await invalidField('PATCH', '/api/streams/settings', { engine: { rtsp_port: 70_000 } }, 'engine.rtsp_port');
    await invalidField('PATCH', '/api/streams/settings', { jsmpeg: { fps: 0 } }, 'jsmpeg.fps');
    await invalidField('PATCH', '/api/streams/settings', { lan_reader: { password: 'short' } }, 'lan_reader.password');
    await invalidField('PATCH', '/api/streams/settings', { engine: { rtsp_prot: 8554 } }, 'engine.rtsp_prot');
    await invalidField('PATCH', '/api/streams/settings', { api_token: null }, 'api_token');
  });

  it('wizard', async () => {
    const path = '/api/streams/wizard/create-pipeline';
    await malformed('POST', path, '{"transmission_id"');
    await invalidField('POST', path, { transmission_id: '', pipeline_name: 'x' }, 'transmission_id');
    await invalidField('POST', path, { transmission_id: MANUAL_TX, pipeline_name: 'bad name' }, 'pipeline_name');
    await invalidField('POST', path, { transmission_id: 'missing', pipeline_name: 'wiz' }, 'transmission_id');
    await invalidField('POST', path, { transmission_id: MANUAL_TX, pipeline_name: 'wiz', processing_server_id: 'elsewhere' }, 'processing_server_id');
    await invalidField('POST', path, { transmission_id: MANUAL_TX, pipeline_name: 'wiz', writer_priority: 1.5 }, 'writer_priority');
    await expectRejected('POST', path, { transmission_id: MANUAL_TX, pipeline_name: PIPELINE }, 409, 'already_exists', 'pipeline_name');
  });

  it('a body over the size limit is 413 and changes nothing', async () => {
    await expectRejected('POST', '/api/cameras', JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) }), 413, 'body_too_large', 'body');
  });
});
