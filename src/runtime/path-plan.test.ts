import { describe, expect, it } from 'vitest';
import { camera, manualTransmission, plane, publishPipeline, source } from '../reconcile/fixtures.js';
import { reconcile } from '../reconcile/reconcile.js';
import { planEngine, type EnginePlan } from './path-plan.js';

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
        return { ...d, transmissions: [...d.transmissions, manualTransmission('raw', { input: 'camera_source', camera_id: 'front', camera_source_id: 'main' }, [{ codec: 'copy' }, { engine_path: 'm/raw/small' }])] };
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
    const many = { ...d, transmissions: [...d.transmissions, ...Array.from({ length: 5 }, (_, i) => manualTransmission(`t${i}`, { input: 'camera_source', camera_id: 'front', camera_source_id: 'main' }, [{ codec: i % 2 ? 'copy' : 'h264' }]))] };
    const plan = planEngine(many, RTSP);
    const pulling = [...plan.paths.values()].filter((p) => p.source.includes('192.0.2.10/1'));
    expect(pulling).toHaveLength(1);
    expect(plan.sources.find((s) => s.source_id === 'main')!.transmission_ids).toHaveLength(6);
  });
});
