import * as v from 'valibot';
import { afterEach, describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/fixtures/proc-helpers.js';
import { makeDataDir, removeDataDirs } from '../../test/support/data-dir.js';
import { waitFor } from '../../test/support/wait.js';
import { cameraInputSchema, type StoredSource } from '../domain/camera.js';
import type { SourceProbe } from '../domain/source-facts.js';
import { ApiError } from '../shared/errors.js';
import { openSettingsStore, type SettingsStore } from '../store/settings-store.js';
import { prepareDoc } from './bootstrap.js';
import { createCameraService } from './cameras.js';
import { createProbeService } from './probe.js';

/** A read the test finishes by hand: which source was asked, and a way to answer. */
interface PendingRead {
  cameraId: string;
  source: StoredSource;
  answer(video?: string): void;
}

function manualReads() {
  const pending: PendingRead[] = [];
  const read = (cameraId: string, source: StoredSource) =>
    new Promise<SourceProbe>((resolve) =>
      pending.push({
        cameraId,
        source,
        answer: (codec = 'h264') =>
          resolve({ probed_at: '2026-01-01T00:00:00.000Z', url: source.url, via: 'camera', error: null, video: { codec, profile: null, width: 640, height: 360, fps: 15 }, audio: null }),
      }),
    );
  return { pending, read };
}

let store: SettingsStore | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
  await removeDataDirs();
});

async function setup(auto = false) {
  const { logger } = captureLogger('debug');
  store = await openSettingsStore({ dataDir: await makeDataDir('probe-service'), logger });
  await store.update((draft) => Object.assign(draft, prepareDoc(draft)));
  const reads = manualReads();
  const probes = createProbeService({ store, read: reads.read, auto, logger });
  const service = createCameraService(store, { onSaved: probes.saved });
  // As the API hands them over: parsed, defaults filled in.
  const cameras = {
    get: service.get,
    create: (body: unknown) => service.create(v.parse(cameraInputSchema, body)),
    replace: (id: string, body: unknown) => service.replace(id, v.parse(cameraInputSchema, body)),
  };
  const s = store;
  const stored = (cameraId: string, sourceId: string) =>
    s
      .get()
      .cameras.find((c) => c.id === cameraId)
      ?.sources.find((x) => x.id === sourceId)?.probe ?? null;
  return { probes, cameras, reads, stored };
}

const camera = {
  id: 'front',
  name: 'Front',
  sources: [
    { id: 'main', url: 'rtsp://127.0.0.1:1/a', username: 'u', password: 'p' },
    { id: 'sub', url: 'rtsp://127.0.0.1:1/b' },
  ],
};

const rejection = async (p: Promise<unknown>) => {
  const err: unknown = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  const e = err as ApiError;
  return { status: e.status, code: e.code, field: e.field };
};

describe('probe service', () => {
  it('stores what the read found on the source and answers it', async () => {
    const { probes, cameras, reads, stored } = await setup();
    await cameras.create(camera);
    const answer = probes.probeSource('front', 'sub');
    await waitFor('the read starts', () => reads.pending.length === 1);
    expect(reads.pending[0]).toMatchObject({ cameraId: 'front', source: { id: 'sub', url: 'rtsp://127.0.0.1:1/b' } });
    reads.pending[0]!.answer('h265');
    const got = await answer;
    expect(got).toMatchObject({ camera_id: 'front', source_id: 'sub', probe: { video: { codec: 'h265' } } });
    expect(stored('front', 'sub')).toEqual(got.probe);
    expect(cameras.get('front').sources[1]!.probe).toEqual(got.probe);
    expect(stored('front', 'main')).toBeNull();
  });

  it('unknown camera or source: 404, nothing read', async () => {
    const { probes, cameras, reads } = await setup();
    await cameras.create(camera);
    expect(await rejection(probes.probeSource('ghost', 'main'))).toEqual({ status: 404, code: 'not_found', field: null });
    expect(await rejection(probes.probeSource('front', 'ghost'))).toEqual({ status: 404, code: 'not_found', field: null });
    expect(reads.pending).toEqual([]);
  });

  it('concurrent probes of one source share one read', async () => {
    const { probes, cameras, reads } = await setup();
    await cameras.create(camera);
    const a = probes.probeSource('front', 'main');
    const b = probes.probeSource('front', 'main');
    await waitFor('the read starts', () => reads.pending.length >= 1);
    reads.pending[0]!.answer();
    expect(await b).toEqual(await a);
    expect(reads.pending).toHaveLength(1);
    // Once it ended, the next probe reads again.
    const c = probes.probeSource('front', 'main');
    await waitFor('a second read', () => reads.pending.length === 2);
    reads.pending[1]!.answer();
    await c;
  });

  it.each([
    { name: 'the URL', edit: { url: 'rtsp://127.0.0.1:1/other', username: 'u', password: 'p' } },
    { name: 'the password', edit: { url: 'rtsp://127.0.0.1:1/a', username: 'u', password: 'changed' } },
  ])('$name edited while the probe runs: its facts are dropped (409), the source keeps none', async ({ edit }) => {
    const { probes, cameras, reads, stored } = await setup();
    await cameras.create(camera);
    const answer = probes.probeSource('front', 'main');
    await waitFor('the read starts', () => reads.pending.length === 1);
    await cameras.replace('front', { name: 'Front', sources: [{ id: 'main', ...edit }, camera.sources[1]!] });
    // A probe asked now reads the source as it stands: it does not join the stale one.
    const fresh = probes.probeSource('front', 'main');
    await waitFor('a second read', () => reads.pending.length === 2);
    expect(reads.pending[1]!.source).toMatchObject(edit);
    reads.pending[0]!.answer();
    expect(await rejection(answer)).toEqual({ status: 409, code: 'source_changed', field: 'url' });
    expect(stored('front', 'main')).toBeNull();
    reads.pending[1]!.answer('h265');
    expect((await fresh).probe.url).toBe(edit.url);
    expect(stored('front', 'main')?.video?.codec).toBe('h265');
  });

  it('auto: a save probes its sources without facts, one at a time; a URL kept keeps its facts and is not probed again', async () => {
    const { cameras, reads, stored } = await setup(true);
    await cameras.create(camera);
    await waitFor('the first source is read', () => reads.pending.length === 1);
    expect(reads.pending[0]!.source.id).toBe('main');
    reads.pending[0]!.answer();
    await waitFor('then the second', () => reads.pending.length === 2);
    expect(reads.pending[1]!.source.id).toBe('sub');
    reads.pending[1]!.answer();
    await waitFor('both stored', () => stored('front', 'main') !== null && stored('front', 'sub') !== null);

    // Only the source whose URL changed is probed anew.
    await cameras.replace('front', { name: 'Front', sources: [camera.sources[0]!, { id: 'sub', url: 'rtsp://127.0.0.1:1/c' }] });
    await waitFor('the changed source is read', () => reads.pending.length === 3);
    expect(reads.pending[2]!.source).toMatchObject({ id: 'sub', url: 'rtsp://127.0.0.1:1/c' });
    expect(stored('front', 'main')).not.toBeNull();
    reads.pending[2]!.answer('mjpeg');
    await waitFor('stored', () => stored('front', 'sub')?.video?.codec === 'mjpeg');
    expect(reads.pending).toHaveLength(3);
  });

  it.each([
    { auto: true, read: ['front/main', 'front/sub'] },
    { auto: false, read: [] },
  ])('at start-up (auto $auto): sources saved without facts are probed one at a time, those with facts are not', async ({ auto, read }) => {
    const { probes, cameras, reads, stored } = await setup(auto);
    await cameras.create(camera);
    await cameras.create({ id: 'yard', name: 'Yard', sources: [{ id: 'main', url: 'rtsp://127.0.0.1:1/c' }] });
    // On a save with auto on, the first camera's sources were probed already: answer them, then see what start-up adds.
    if (auto) {
      for (const r of ['front/main', 'front/sub', 'yard/main']) {
        await waitFor(`save probe of ${r}`, () => reads.pending.some((p) => `${p.cameraId}/${p.source.id}` === r));
        reads.pending.find((p) => `${p.cameraId}/${p.source.id}` === r)!.answer();
        await waitFor(`${r} stored`, () => stored(r.split('/')[0]!, r.split('/')[1]!) !== null);
      }
      await store!.update((draft) => {
        for (const s of draft.cameras[0]!.sources) s.probe = null; // as a version that did not probe left them
      });
      reads.pending.length = 0;
    }
    probes.unprobed();
    for (const r of read) {
      await waitFor(`start-up probe of ${r}`, () => reads.pending.length === 1);
      expect(`${reads.pending[0]!.cameraId}/${reads.pending[0]!.source.id}`).toBe(r);
      reads.pending.shift()!.answer();
    }
    if (auto) await waitFor('both stored', () => stored('front', 'sub') !== null);
    expect(reads.pending).toEqual([]);
  });

  it('auto off: a save reads nothing', async () => {
    const { cameras, reads, stored } = await setup(false);
    await cameras.create(camera);
    await cameras.replace('front', { name: 'Front', sources: [{ id: 'main', url: 'rtsp://127.0.0.1:1/z' }] });
    // Nothing to wait for: the background work would have started synchronously with the save.
    expect(reads.pending).toEqual([]);
    expect(stored('front', 'main')).toBeNull();
  });
});
