import { Hono } from 'hono';
import * as v from 'valibot';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/fixtures/proc-helpers.js';
import { waitFor } from '../../test/support/wait.js';
import { averageRgb, classifyColor, decodeImage, dominantColor, solidJpeg } from '../../test/media/frames.js';
import { stopAllMediaProcesses } from '../../test/media/proc.js';
import { startRtspCamera, type RtspCamera } from '../../test/media/rtsp-camera.js';
import { stillRoutes } from '../api/routes/still.js';
import { streamingSettingsSchema, type SettingsDoc } from '../domain/settings.js';
import type { Output, Transmission } from '../domain/transmission.js';
import { ApiError } from '../shared/errors.js';
import { createSupervisor } from '../process/supervisor.js';
import type { RunSpec } from '../process/types.js';
import { createDemandTracker } from '../runtime/demand.js';
import { jpegSize } from '../runtime/jpeg.js';
import type { EnginePlan } from '../runtime/path-plan.js';
import { createPlaceholders } from '../runtime/placeholder.js';
import { createRuntimeRegistry } from '../runtime/transmission-state.js';
import { createStillService, placeholderReasonFor, stillFilter, targetSize, type StillService } from './still.js';
import { fixtureOutput, fixtureTransmission } from '../reconcile/fixtures.js';
import { onApiError } from '../api/errors.js';

const TX_W = 'tx-writers';
const TX_EMPTY = 'tx-empty';
const TX_CAM = 'tx-cam';
const TX_OFF = 'tx-off';
const CAM_PATH = 'cam/front/main';

const output = (id: string, path: string, extra: Partial<Output> = {}): Output => fixtureOutput(id, path, { ...{ width: 640, height: 360 }, ...extra });
const transmission = (id: string, outputs: Output[], extra: Partial<Transmission> = {}): Transmission => fixtureTransmission(id, outputs, { ...{}, ...extra });

type Doc = Pick<SettingsDoc, 'transmissions' | 'streaming'>;
const camOutput = output('main', CAM_PATH, { codec: 'copy', width: null, height: null });
const makeDoc = (cacheMs = 2000): Doc => ({
  transmissions: [
    transmission(TX_W, [output('main', 'w/main'), output('small', 'w/small', { width: 320, height: 240 })]),
    transmission(TX_EMPTY, [output('main', 'empty')]),
    transmission(TX_CAM, [camOutput], { input: 'camera_source', camera_id: 'front', camera_source_id: 'main' }),
    transmission(TX_OFF, [output('main', 'off')], { enabled: false }),
  ],
  streaming: v.parse(streamingSettingsSchema, { still: { cache_ms: cacheMs } }),
});
const plan: Pick<EnginePlan, 'outputs' | 'sources'> = {
  outputs: [{ transmission_id: TX_CAM, output_id: 'main', path: CAM_PATH, feed: { kind: 'camera_pull', camera_id: 'front', source_id: 'main' }, output: camOutput, onRequest: false }],
  sources: [{ camera_id: 'front', source_id: 'main', path: CAM_PATH, url: 'rtsp://camera.invalid/x', transmission_ids: [TX_CAM] }],
};

const log = captureLogger('info');
const supervisor = createSupervisor({ logger: log.logger });
const placeholders = createPlaceholders({ supervisor });
/** The still service's own FFmpeg runs (placeholder renders go through the real supervisor directly). */
const runs: string[] = [];
const counting = { run: (spec: RunSpec) => (runs.push(spec.name), supervisor.run(spec)) };
/** The registry's and the still service's clock: it moves only when a test moves it (a busy machine cannot expire a cache). */
let clock = 1_000_000;
const now = () => clock;
let registry = createRuntimeRegistry({ stickyWindowMs: 0, staleAfterMs: 2000, now });
let demand = createDemandTracker({ heartbeatTtlMs: 30_000, now: Date.now });
let doc: Doc = makeDoc();
let engineRunning = false;
let camera: RtspCamera | null = null;
let still: StillService;

function build(waitMs = 400): StillService {
  return createStillService({
    doc: () => doc,
    registry,
    demand,
    supervisor: counting,
    placeholders,
    plan: () => plan,
    engine: { running: () => engineRunning, internalRtspUrl: (p) => (p === CAM_PATH && camera ? camera.url : 'rtsp://127.0.0.1:1/none') },
    logger: log.logger,
    waitMs,
    now,
  });
}

beforeAll(async () => {
  camera = await startRtspCamera({ pattern: 'green', width: 640, height: 360, fps: 15 });
});

beforeEach(() => {
  clock = 1_000_000;
  registry = createRuntimeRegistry({ stickyWindowMs: 0, staleAfterMs: 2000, now });
  demand = createDemandTracker({ heartbeatTtlMs: 30_000, now: Date.now });
  doc = makeDoc();
  engineRunning = false;
  runs.length = 0;
  still = build();
});

afterAll(async () => {
  await camera?.stop();
  await supervisor.stopAll();
  await stopAllMediaProcesses();
});

const apiError = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return { status: err.status, field: err.field, code: err.code };
    throw err;
  }
  throw new Error('expected an ApiError');
};

describe('pure parts', () => {
  it('contain sizes and filters', () => {
    expect(targetSize({ width: 640, height: 360 }, {})).toEqual({ width: 640, height: 360 });
    expect(targetSize({ width: 640, height: 360 }, { width: 320 })).toEqual({ width: 320, height: 180 });
    expect(targetSize({ width: 640, height: 360 }, { height: 100 })).toEqual({ width: 178, height: 100 });
    expect(targetSize({ width: 640, height: 360 }, { width: 200, height: 200 })).toEqual({ width: 200, height: 200 });
    expect(stillFilter(200, 200)).toBe('scale=200:200:force_original_aspect_ratio=decrease,pad=200:200:(ow-iw)/2:(oh-ih)/2:color=black,format=yuvj420p');
    expect(stillFilter(201, undefined)).toBe('scale=201:-2,format=yuvj444p');
  });

  it('placeholder reasons: the registry reason for writers; warming_up then offline for a camera', () => {
    expect(placeholderReasonFor('writers', 'all_writers_closed', true)).toBe('all_writers_closed');
    expect(placeholderReasonFor('writers', null, false)).toBe('no_writer');
    expect(placeholderReasonFor('camera_source', 'no_writer', false)).toBe('warming_up');
    expect(placeholderReasonFor('camera_source', 'writers_stale', true)).toBe('offline');
  });
});

describe('still service', () => {
  it('serves a fresh selected frame from the registry as is, without any FFmpeg', async () => {
    const red = await solidJpeg('red', 640, 360);
    registry.ensure(TX_W).update('w1', red);
    const s = await still.get(TX_W);
    expect(s.source).toBe('frame');
    expect(s.jpeg.equals(red)).toBe(true);
    expect(s.age_ms).toBe(0);
    expect(runs).toEqual([]);
  });

  it('resizes with one FFmpeg run: one side keeps the aspect, both sides contain (black bars)', async () => {
    registry.ensure(TX_W).update('w1', await solidJpeg('red', 640, 360));
    const wide = await still.get(TX_W, { width: 320 });
    expect(jpegSize(wide.jpeg)).toEqual({ width: 320, height: 180 });
    expect(runs).toEqual([`still:resize:${TX_W}`]);
    const square = await still.get(TX_W, { width: 200, height: 200 });
    expect(jpegSize(square.jpeg)).toEqual({ width: 200, height: 200 });
    const { rgb } = await decodeImage(square.jpeg);
    const row = (y: number) => averageRgb(rgb.subarray(y * 200 * 3, (y + 1) * 200 * 3));
    expect(classifyColor(row(5))).toBe('black'); // the bar above the 200x113 picture
    expect(classifyColor(row(100))).toBe('red');
    expect(runs).toHaveLength(2);
  });

  it('caches per (transmission, size) for cache_ms: same bytes, no new run; then a fresh one', async () => {
    doc = makeDoc(300);
    const state = registry.ensure(TX_W);
    state.update('w1', await solidJpeg('red', 640, 360));
    const first = await still.get(TX_W, { width: 320 });
    state.update('w1', await solidJpeg('blue', 640, 360));
    const second = await still.get(TX_W, { width: 320 });
    expect(second.cached).toBe(true);
    expect(second.jpeg.equals(first.jpeg)).toBe(true);
    expect(runs).toHaveLength(1);
    // Another size is another entry.
    await still.get(TX_W, { width: 160 });
    expect(runs).toHaveLength(2);
    clock += 299;
    expect((await still.get(TX_W, { width: 320 })).cached).toBe(true);
    clock += 1;
    const third = await still.get(TX_W, { width: 320 });
    expect(third.cached).toBe(false);
    expect(runs).toHaveLength(3);
    expect(classifyColor(await dominantColor(third.jpeg))).toBe('blue');
  });

  it('concurrent requests share one computation', async () => {
    registry.ensure(TX_W).update('w1', await solidJpeg('red', 640, 360));
    const all = await Promise.all([1, 2, 3, 4].map(() => still.get(TX_W, { width: 100 })));
    expect(runs).toHaveLength(1);
    for (const s of all) expect(s.jpeg.equals(all[0]!.jpeg)).toBe(true);
  });

  it('no writer at all: the placeholder at once (nothing to wait for), at the output size or the asked one', async () => {
    still = build(60_000); // a wait would time the test out
    const s = await still.get(TX_EMPTY);
    expect(s).toMatchObject({ source: 'placeholder', reason: 'no_writer', age_ms: null, width: 640, height: 360 });
    expect(s.jpeg.equals(await placeholders.get(640, 360, 'no_writer'))).toBe(true);
    const small = await still.get(TX_EMPTY, { width: 320 });
    expect(jpegSize(small.jpeg)).toEqual({ width: 320, height: 180 });
    expect(runs).toEqual([]);
  });

  it('a writer warming up: waits for its first frame (no demand: writers push whatever the demand)', async () => {
    const state = registry.ensure(TX_W);
    state.open('w1', 0);
    const red = await solidJpeg('red', 640, 360);
    still = build(60_000);
    let answered = false;
    const pending = still.get(TX_W).finally(() => (answered = true));
    await waitFor('the still to wait', () => still.counters.waited === 1);
    await new Promise((r) => setImmediate(r));
    expect(answered).toBe(false);
    expect(demand.describe(TX_W).consumers).toBe(0);
    state.update('w1', red);
    const s = await pending;
    expect(s.source).toBe('frame');
    expect(s.jpeg.equals(red)).toBe(true);
    expect(demand.describe(TX_W).consumers).toBe(0);
  });

  it('a camera with no frame: demand makes the runtime decode it, and the first decoded frame is served', async () => {
    engineRunning = true;
    still = build(60_000); // no grab: the decoded frame comes first, however slow the machine
    const green = await solidJpeg('green', 640, 360);
    // Stands in for the runtime: a camera source with demand gets its frame decoder, whose frames land in the registry.
    const runtime = setInterval(() => {
      if (demand.wantsFrames(TX_CAM)) registry.ensure(TX_CAM).update('camera:front:main', green);
    }, 50);
    try {
      const s = await still.get(TX_CAM);
      expect(s.source).toBe('frame');
      expect(s.jpeg.equals(green)).toBe(true);
      expect(runs).toEqual([]);
    } finally {
      clearInterval(runtime);
    }
  });

  it('a camera with no frame and the engine running: one grab from the internal RTSP path, resized in the same run', async () => {
    engineRunning = true;
    let demandWhileWaiting = -1;
    setTimeout(() => (demandWhileWaiting = demand.describe(TX_CAM).consumers), 100);
    const s = await still.get(TX_CAM, { width: 320 });
    expect(demandWhileWaiting).toBe(1); // the runtime would start the camera's frame decoder
    expect(s.source).toBe('grab');
    expect(jpegSize(s.jpeg)).toEqual({ width: 320, height: 180 });
    expect(classifyColor(await dominantColor(s.jpeg))).toBe('green');
    expect(runs).toEqual([`still:grab:${CAM_PATH}`]);
    expect(demand.describe(TX_CAM).consumers).toBe(0);
  });

  it('a camera with no frame and no engine: the "offline" placeholder after the wait', async () => {
    const s = await still.get(TX_CAM, { width: 320, height: 180 });
    expect(s).toMatchObject({ source: 'placeholder', reason: 'offline', width: 320, height: 180 });
    expect(runs).toEqual([]);
  });

  it('a placeholder is never served from the cache: the frame that arrives next is', async () => {
    const first = await still.get(TX_CAM, { width: 320, height: 180 });
    expect(first).toMatchObject({ source: 'placeholder', cached: false });
    registry.ensure(TX_CAM).update('camera:front:main', await solidJpeg('green', 320, 180));
    // Same key, well within cache_ms (the test clock has not moved).
    expect(await still.get(TX_CAM, { width: 320, height: 180 })).toMatchObject({ source: 'frame', cached: false });
  });

  it('validation and lookups: 422 naming the field, 404, 409', async () => {
    expect(await apiError(still.get(TX_W, { width: 15 }))).toMatchObject({ status: 422, field: 'width' });
    expect(await apiError(still.get(TX_W, { height: 3841 }))).toMatchObject({ status: 422, field: 'height' });
    expect(await apiError(still.get(TX_W, { width: 100.5 }))).toMatchObject({ status: 422, field: 'width' });
    expect(await apiError(still.get('nope'))).toMatchObject({ status: 404 });
    expect(await apiError(still.get(TX_W, { output_id: 'nope' }))).toMatchObject({ status: 404, field: 'output_id' });
    expect(await apiError(still.get(TX_OFF))).toMatchObject({ status: 409, field: 'enabled' });
  });
});

describe('GET /api/streams/transmissions/{id}/still.jpg', () => {
  const app = () => new Hono().route('/api/streams', stillRoutes(still)).onError(onApiError(null));

  it('answers the JPEG with its source and age headers', async () => {
    const red = await solidJpeg('red', 640, 360);
    registry.ensure(TX_W).update('w1', red);
    const res = await app().request(`/api/streams/transmissions/${TX_W}/still.jpg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-still-source')).toBe('frame');
    expect(res.headers.get('x-frame-age-ms')).toBe('0');
    expect(Buffer.from(await res.arrayBuffer()).equals(red)).toBe(true);

    const ph = await app().request(`/api/streams/transmissions/${TX_EMPTY}/still.jpg?width=320&height=240`);
    expect(ph.headers.get('x-still-source')).toBe('placeholder');
    expect(ph.headers.get('x-still-reason')).toBe('no_writer');
    expect(ph.headers.get('x-frame-age-ms')).toBeNull();
    expect(jpegSize(Buffer.from(await ph.arrayBuffer()))).toEqual({ width: 320, height: 240 });
  });

  it.each([
    ['width=abc', 'width'],
    ['width=8', 'width'],
    ['height=4000', 'height'],
    ['width=-5', 'width'],
    ['output_id=NOT%20AN%20ID', 'output_id'],
  ])('%s → 422 naming %s', async (query, field) => {
    const res = await app().request(`/api/streams/transmissions/${TX_W}/still.jpg?${query}`);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { field: string } }).error.field).toBe(field);
  });

  it('unknown transmission → 404', async () => {
    const res = await app().request('/api/streams/transmissions/nope/still.jpg');
    expect(res.status).toBe(404);
  });
});
