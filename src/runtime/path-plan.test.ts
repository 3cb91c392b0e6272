import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { camera, manualTransmission, plane, publishPipeline, source } from '../reconcile/fixtures.js';
import { reconcile } from '../reconcile/reconcile.js';
import { cameraUrlWithCredentials, planEngine, type EnginePlan } from './path-plan.js';

const RTSP = 18554;
const front = camera('front', [source('main', { url: 'rtsp://192.0.2.10/1', username: 'admin', password: 'p@ss:w/rd' }), source('sub', { role: 'sub', url: 'rtsp://192.0.2.10/2' })]);
const generated = (over: Parameters<typeof plane>[0] = {}) => reconcile(plane({ cameras: [front], ...over })).plane;

const summary = (plan: EnginePlan) => ({
  paths: Object.fromEntries([...plan.paths].map(([k, v]) => [k, v.source === 'publisher' ? 'publisher' : v.source])),
  feeds: Object.fromEntries(plan.outputs.map((o) => [o.path, o.feed.kind === 'alias' || o.feed.kind === 'transcode' ? `${o.feed.kind}<${o.feed.from}` : o.feed.kind])),
  reads: plan.sources.map((s) => `${s.camera_id}/${s.source_id}@${s.path}`),
});

const withQuality = () => {
  const p = plane({ cameras: [front] });
  const first = reconcile(p).plane;
  return reconcile({ ...first, publications: first.publications.map((x) => (x.id === 'camera:front:main' ? { ...x, quality_policy: { width: 640, height: 360 } } : x)) }).plane;
};

describe('planEngine: an H.265 camera', () => {
  const probed = (audio: string | null) =>
    camera('yard', [
      source('main', {
        url: 'rtsp://192.0.2.20/hevc',
        probe: {
          probed_at: '2026-12-06T00:00:00.000Z',
          url: 'rtsp://192.0.2.20/hevc',
          via: 'camera',
          error: null,
          video: { codec: 'h265', profile: 'Main', width: 1920, height: 1080, fps: 15 },
          audio: audio === null ? null : { codec: audio, sample_rate: 48000, channels: 1 },
        },
      }),
    ]);
  it.each([
    { audio: 'aac', copyAudio: true },
    { audio: 'opus', copyAudio: true },
    { audio: 'pcm_alaw', copyAudio: false },
    { audio: null, copyAudio: false },
  ])('the copy is pulled, its H.264 twin is transcoded from it on request; camera audio $audio copied: $copyAudio', ({ audio, copyAudio }) => {
    const plan = planEngine(reconcile(plane({ cameras: [probed(audio)] })).plane, RTSP);
    expect(summary(plan).feeds).toEqual({ 'cam/yard/main': 'camera_pull', 'cam/yard/main/h264': 'transcode<cam/yard/main' });
    const twin = plan.outputs.find((o) => o.output_id === 'h264')!;
    expect(twin).toMatchObject({ onRequest: true, feed: { kind: 'transcode', copyAudio } });
    expect(plan.outputs.find((o) => o.output_id === 'default')!.onRequest).toBe(false);
  });

  it('a transcode with no copy beside it (a quality policy) is an ordinary output', () => {
    expect(planEngine(withQuality(), RTSP).outputs.every((o) => !o.onRequest)).toBe(true);
  });
});

describe('planEngine', () => {
  it.each([
    {
      name: 'camera sources with copy outputs: the engine pulls each camera on demand at the output path',
      doc: generated(),
      expected: {
        paths: { 'cam/front/main': 'rtsp://admin:p%40ss%3Aw%2Frd@192.0.2.10/1', 'cam/front/sub': 'rtsp://192.0.2.10/2' },
        feeds: { 'cam/front/main': 'camera_pull', 'cam/front/sub': 'camera_pull' },
        reads: ['front/main@cam/front/main', 'front/sub@cam/front/sub'],
      },
    },
    {
      name: 'an output at another size: a hidden path pulls the camera, a publisher transcodes from it',
      doc: withQuality(),
      expected: {
        paths: { 'cam/front/main/src': 'rtsp://admin:p%40ss%3Aw%2Frd@192.0.2.10/1', 'cam/front/main': 'publisher', 'cam/front/sub': 'rtsp://192.0.2.10/2' },
        feeds: { 'cam/front/main': 'transcode<cam/front/main/src', 'cam/front/sub': 'camera_pull' },
        reads: ['front/main@cam/front/main/src', 'front/sub@cam/front/sub'],
      },
    },
    {
      name: 'a second transmission of the same source copies through the engine, not from the camera',
      doc: (() => {
        const d = generated();
        return {
          ...d,
          transmissions: [...d.transmissions, manualTransmission('raw', { input: 'camera_source', camera_id: 'front', camera_source_id: 'main' }, [{ codec: 'copy' }, { engine_path: 'm/raw/small' }])],
        };
      })(),
      expected: {
        paths: {
          'cam/front/main': 'rtsp://admin:p%40ss%3Aw%2Frd@192.0.2.10/1',
          'cam/front/sub': 'rtsp://192.0.2.10/2',
          'm/raw/0': `rtsp://127.0.0.1:${RTSP}/cam/front/main`,
          'm/raw/small': 'publisher',
        },
        feeds: { 'cam/front/main': 'camera_pull', 'cam/front/sub': 'camera_pull', 'm/raw/0': 'alias<cam/front/main', 'm/raw/small': 'transcode<cam/front/main' },
        reads: ['front/main@cam/front/main', 'front/sub@cam/front/sub'],
      },
    },
    {
      name: 'a copy output appearing after a transcode-only transmission becomes the pulling path',
      doc: {
        cameras: [front],
        transmissions: [
          manualTransmission('small', { input: 'camera_source', camera_id: 'front', camera_source_id: 'main' }, [{}]),
          manualTransmission('copy', { input: 'camera_source', camera_id: 'front', camera_source_id: 'main' }, [{ codec: 'copy' }]),
        ],
      },
      expected: {
        paths: { 'm/copy/0': 'rtsp://admin:p%40ss%3Aw%2Frd@192.0.2.10/1', 'm/small/0': 'publisher' },
        feeds: { 'm/small/0': 'transcode<m/copy/0', 'm/copy/0': 'camera_pull' },
        reads: ['front/main@m/copy/0'],
      },
    },
    {
      name: 'a writers transmission is published by FFmpeg into its paths',
      doc: reconcile(plane({ pipelines: [publishPipeline('yard', {})] })).plane,
      expected: { paths: { 'pipe/yard/out': 'publisher' }, feeds: { 'pipe/yard/out': 'writers' }, reads: [] },
    },
    {
      name: 'disabled transmissions and disabled outputs have no path',
      doc: {
        cameras: [front],
        transmissions: [manualTransmission('off', { enabled: false }, [{}]), manualTransmission('half', {}, [{ enabled: false }, { engine_path: 'm/half/on' }])],
      },
      expected: { paths: { 'm/half/on': 'publisher' }, feeds: { 'm/half/on': 'writers' }, reads: [] },
    },
    {
      name: 'a camera-source transmission whose source is gone plays nothing',
      doc: { cameras: [], transmissions: [manualTransmission('orphan', { input: 'camera_source', camera_id: 'gone', camera_source_id: 'main' }, [{ codec: 'copy' }])] },
      expected: { paths: {}, feeds: {}, reads: [] },
    },
  ])('$name', ({ doc, expected }) => {
    expect(summary(planEngine(doc, RTSP))).toEqual(expected);
  });

  it('every camera source is read by exactly one path whatever the number of transmissions', () => {
    const d = generated();
    const many = {
      ...d,
      transmissions: [
        ...d.transmissions,
        ...Array.from({ length: 5 }, (_, i) => manualTransmission(`t${i}`, { input: 'camera_source', camera_id: 'front', camera_source_id: 'main' }, [{ codec: i % 2 ? 'copy' : 'h264' }])),
      ],
    };
    const plan = planEngine(many, RTSP);
    const pulling = [...plan.paths.values()].filter((p) => p.source.includes('192.0.2.10/1'));
    expect(pulling).toHaveLength(1);
    expect(plan.sources.find((s) => s.source_id === 'main')!.transmission_ids).toHaveLength(6);
  });
});

/** Any UTF-16 text, lone surrogates included (what JSON's "\\uXXXX" escapes can put in a stored document). */
const utf16 = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)), maxLength: 40 });

describe('cameraUrlWithCredentials', () => {
  it('never throws: well-formed credentials round-trip through the URL, others are a problem without the secret', () => {
    fc.assert(
      fc.property(fc.option(utf16), fc.option(utf16), fc.constantFrom('rtsp://192.0.2.10/1', 'rtsps://cam.local:8322/a/b?x=1', 'rtsp://[2001:db8::1]/s'), (username, password, url) => {
        const built = cameraUrlWithCredentials(source('main', { url, username, password }));
        const wellFormed = [username, password].every((s) => s === null || !/\p{Cs}/u.test(s));
        const given = (s: string | null) => s !== null && s !== '';
        if ('problem' in built && wellFormed) {
          // MediaMTX takes both or neither (4d).
          expect(given(username)).not.toBe(given(password));
          expect(built.problem).toMatch(/^has a (username but no password|password but no username); the engine \(MediaMTX\) needs both/);
          return;
        }
        if ('problem' in built) {
          expect(built.problem).toMatch(/^(username|password) is not well-formed Unicode/);
          for (const s of [username, password]) if (s) expect(built.problem).not.toContain(s);
          return;
        }
        expect(wellFormed).toBe(true);
        expect(given(username)).toBe(given(password));
        if (!given(username)) {
          expect(built.url).toBe(url);
        } else {
          const u = new URL(built.url);
          expect([decodeURIComponent(u.username), decodeURIComponent(u.password)]).toEqual([username ?? '', password ?? '']);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('planEngine with a source that cannot be read', () => {
  it('leaves that source out and names it; every other camera is planned as before', () => {
    const bad = camera('bad', [source('main', { url: 'rtsp://192.0.2.20/1', username: 'admin', password: 'Secret-\ud800-41' })]);
    const doc = reconcile(plane({ cameras: [front, bad] })).plane;
    const plan = planEngine(doc, RTSP);
    expect(summary(plan)).toEqual(summary(planEngine(generated(), RTSP)));
    expect(plan.unusable).toEqual([
      { camera_id: 'bad', source_id: 'main', problem: expect.stringMatching(/^password is not well-formed Unicode/), transmission_ids: [doc.transmissions.find((t) => t.camera_id === 'bad')!.id] },
    ]);
    expect(JSON.stringify(plan.unusable)).not.toContain('Secret-');
  });
});
