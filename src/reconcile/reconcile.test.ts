import { describe, expect, it } from 'vitest';
import { generatedTransmissionId as txId, implicitPipelineName } from '../domain/ids.js';
import type { ControlPlane } from '../domain/settings.js';
import type { StoredSource } from '../domain/camera.js';
import { camera, manualTransmission, plane, publishPipeline, source } from './fixtures.js';
import { isEmptyDiff, reconcile, type ReconcileDiff } from './reconcile.js';

const front = () => camera('front', [source('main', { role: 'main' }), source('sub', { role: 'sub', label: 'Baixa resolução' })], 'Front Door');
const base = reconcile(plane({ cameras: [front()] })).plane;

const T = (pub: string) => txId(pub);
const P = (pub: string) => implicitPipelineName(txId(pub));
const refs = (d: ReconcileDiff) => ({
  created: d.created.map((r) => `${r.kind}:${r.id}`).sort(),
  updated: d.updated.map((r) => `${r.kind}:${r.id}`).sort(),
  removed: d.removed.map((r) => `${r.kind}:${r.id}`).sort(),
});
const sorted = (...xs: string[]) => xs.sort();
const artifactsOf = (pub: string) => [`publication:${pub}`, `transmission:${T(pub)}`, `pipeline:${P(pub)}`];
const tx = (p: ControlPlane, pub: string) => p.transmissions.find((t) => t.id === T(pub));
const withCameras = (p: ControlPlane, cameras: ControlPlane['cameras']) => ({ ...p, cameras });
const editSource = (p: ControlPlane, sourceId: string, over: object) => withCameras(p, [{ ...front(), sources: front().sources.map((s) => (s.id === sourceId ? { ...s, ...over } : s)) }]);

/** A diff lists what reconciling changed relative to its input: the user's own edit is not in it. */
interface Case {
  name: string;
  from: ControlPlane;
  change: (p: ControlPlane) => ControlPlane;
  diff: ReturnType<typeof refs>;
  check?: (out: ControlPlane) => void;
}

const cases: Case[] = [
  {
    name: 'create: each published source gets a publication, transmission, implicit pipeline and a live view',
    from: plane(),
    change: () => plane({ cameras: [front()] }),
    diff: {
      created: sorted(...artifactsOf('camera:front:main'), ...artifactsOf('camera:front:sub'), 'live_view:front'),
      updated: [],
      removed: [],
    },
    check: (out) => {
      const main = tx(out, 'camera:front:main')!;
      expect(main).toMatchObject({
        name: 'Front Door · Principal',
        enabled: true,
        input: 'camera_source',
        camera_id: 'front',
        camera_source_id: 'main',
        metadata: { generated_by: 'stream_publication', publication_id: 'camera:front:main', owner_kind: 'camera_source', camera_id: 'front', camera_source_id: 'main', role: 'main' },
      });
      expect(main.outputs).toEqual([expect.objectContaining({ engine_path: 'cam/front/main', codec: 'copy', enable_webrtc: false })]);
      const pipe = out.pipelines.find((p) => p.name === P('camera:front:main'))!;
      expect(pipe.nodes.map((n) => n.type)).toEqual(['camera.source', 'stream.publish_video']);
      expect(pipe.nodes[1]!.config.transmission_id).toBe(main.id);
      expect(out.live_views).toEqual([
        expect.objectContaining({
          id: 'front',
          name: 'Front Door',
          camera_id: 'front',
          variants: [expect.objectContaining({ role: 'main', label: 'Principal', transmission_id: main.id }), expect.objectContaining({ role: 'sub', label: 'Baixa resolução' })],
        }),
      ]);
    },
  },
  {
    name: 'rename label: publication, transmission, output and variant follow; nothing is recreated',
    from: base,
    change: (p) => editSource(p, 'sub', { label: 'Corredor' }),
    diff: { created: [], updated: sorted('publication:camera:front:sub', `transmission:${T('camera:front:sub')}`, 'live_view:front'), removed: [] },
    check: (out) => {
      expect(tx(out, 'camera:front:sub')).toMatchObject({ name: 'Front Door · Corredor', outputs: [expect.objectContaining({ name: 'Corredor' })] });
      expect(out.live_views[0]!.variants[1]).toMatchObject({ label: 'Corredor' });
    },
  },
  {
    name: 'change role: sub becomes zoom, which turns WebRTC on and orders the variant last',
    from: base,
    change: (p) => editSource(p, 'sub', { role: 'zoom' }),
    diff: {
      created: [],
      updated: sorted('publication:camera:front:sub', `transmission:${T('camera:front:sub')}`, `pipeline:${P('camera:front:sub')}`, 'live_view:front'),
      removed: [],
    },
    check: (out) => {
      expect(tx(out, 'camera:front:sub')!.outputs[0]!.enable_webrtc).toBe(true);
      expect(out.live_views[0]!.variants.map((v) => v.role)).toEqual(['main', 'zoom']);
    },
  },
  {
    name: 'disable: artifacts stay but are disabled, and the variant leaves the live view',
    from: base,
    change: (p) => editSource(p, 'sub', { publish: false }),
    diff: {
      created: [],
      updated: sorted('publication:camera:front:sub', `transmission:${T('camera:front:sub')}`, `pipeline:${P('camera:front:sub')}`, 'live_view:front'),
      removed: [],
    },
    check: (out) => {
      expect(tx(out, 'camera:front:sub')!.enabled).toBe(false);
      expect(out.pipelines.find((p) => p.name === P('camera:front:sub'))!.enabled).toBe(false);
      expect(out.live_views[0]!.variants.map((v) => v.publication_id)).toEqual(['camera:front:main']);
    },
  },
  {
    name: 're-enable: back to exactly what it was before disabling',
    from: reconcile(editSource(base, 'sub', { publish: false })).plane,
    change: (p) => editSource(p, 'sub', { publish: true }),
    diff: {
      created: [],
      updated: sorted('publication:camera:front:sub', `transmission:${T('camera:front:sub')}`, `pipeline:${P('camera:front:sub')}`, 'live_view:front'),
      removed: [],
    },
    check: (out) => expect(out).toEqual(base),
  },
  {
    name: 'delete camera: every generated artifact of it goes',
    from: base,
    change: (p) => withCameras(p, []),
    diff: {
      created: [],
      updated: [],
      removed: sorted(...artifactsOf('camera:front:main'), ...artifactsOf('camera:front:sub'), 'live_view:front'),
    },
    check: (out) => {
      expect(out.transmissions).toEqual([]);
      expect(out.pipelines).toEqual([]);
      expect(out.publications).toEqual([]);
    },
  },
  {
    name: 'delete source: only that source’s artifacts go',
    from: base,
    change: (p) => withCameras(p, [{ ...front(), sources: [front().sources[0]!] }]),
    diff: { created: [], updated: ['live_view:front'], removed: sorted(...artifactsOf('camera:front:sub')) },
    check: (out) => expect(out.transmissions.map((t) => t.id)).toEqual([T('camera:front:main')]),
  },
  {
    name: 'pipeline publication: a writers transmission is generated and its id written back into the node',
    from: base,
    change: (p) => ({
      ...p,
      pipelines: [publishPipeline('yard-ai', { publication_camera_id: 'front', publication_role: 'custom', publication_label: 'Detecções' }), ...p.pipelines],
    }),
    diff: {
      created: sorted('publication:pipeline:yard-ai:out', `transmission:${T('pipeline:yard-ai:out')}`),
      updated: sorted('live_view:front', 'pipeline:yard-ai'),
      removed: [],
    },
    check: (out) => {
      const t = tx(out, 'pipeline:yard-ai:out')!;
      expect(t).toMatchObject({ input: 'writers', metadata: { owner_kind: 'pipeline_output', pipeline_name: 'yard-ai', publish_node_id: 'out' } });
      expect(t.outputs[0]).toMatchObject({ engine_path: 'pipe/yard-ai/out', codec: 'h264', width: 1280, height: 720, fps: 15 });
      const node = out.pipelines.find((p) => p.name === 'yard-ai')!.nodes.find((n) => n.id === 'out')!;
      expect(node.config.transmission_id).toBe(t.id);
      expect(out.live_views[0]!.variants.map((v) => v.label)).toEqual(['Principal', 'Baixa resolução', 'Detecções']);
    },
  },
  {
    name: 'pipeline disabled: its generated transmission is disabled and leaves the live view',
    from: reconcile({ ...base, pipelines: [publishPipeline('yard-ai', { publication_camera_id: 'front' }), ...base.pipelines] }).plane,
    change: (p) => ({ ...p, pipelines: p.pipelines.map((x) => (x.name === 'yard-ai' ? { ...x, enabled: false } : x)) }),
    diff: {
      created: [],
      updated: sorted('publication:pipeline:yard-ai:out', `transmission:${T('pipeline:yard-ai:out')}`, 'live_view:front'),
      removed: [],
    },
    check: (out) => {
      expect(tx(out, 'pipeline:yard-ai:out')!.enabled).toBe(false);
      expect(out.live_views[0]!.variants).toHaveLength(2);
    },
  },
  {
    name: 'pipeline removal: its publication and transmission are removed',
    from: reconcile({ ...base, pipelines: [publishPipeline('yard-ai', { publication_camera_id: 'front' }), ...base.pipelines] }).plane,
    change: (p) => ({ ...p, pipelines: p.pipelines.filter((x) => x.name !== 'yard-ai') }),
    diff: {
      created: [],
      updated: ['live_view:front'],
      removed: sorted('publication:pipeline:yard-ai:out', `transmission:${T('pipeline:yard-ai:out')}`),
    },
  },
  {
    name: 'publication switched off in the node: the written-back id is cleared',
    from: reconcile({ ...base, pipelines: [publishPipeline('yard-ai', {}), ...base.pipelines] }).plane,
    change: (p) => ({
      ...p,
      pipelines: p.pipelines.map((x) => (x.name === 'yard-ai' ? { ...x, nodes: x.nodes.map((n) => (n.id === 'out' ? { ...n, config: { ...n.config, publication_enabled: false } } : n)) } : x)),
    }),
    diff: {
      created: [],
      updated: ['pipeline:yard-ai'],
      removed: sorted('publication:pipeline:yard-ai:out', `transmission:${T('pipeline:yard-ai:out')}`, 'live_view:pipeline-yard-ai'),
    },
    check: (out) => expect(out.pipelines.find((p) => p.name === 'yard-ai')!.nodes[2]!.config.transmission_id).toBe(''),
  },
  {
    name: 'two publications into one live view: sources of two cameras grouped by live_view_id',
    from: reconcile(plane({ cameras: [camera('gate', [source('main')]), camera('yard', [source('main')])] })).plane,
    change: (p) => ({ ...p, publications: p.publications.map((x) => ({ ...x, live_view_id: 'outside' })) }),
    diff: {
      created: ['live_view:outside'],
      updated: [],
      removed: sorted('live_view:gate', 'live_view:yard'),
    },
    check: (out) => {
      expect(out.live_views).toHaveLength(1);
      expect(out.live_views[0]).toMatchObject({ id: 'outside', name: 'outside', camera_id: null });
      expect(out.live_views[0]!.variants.map((v) => v.publication_id)).toEqual(['camera:gate:main', 'camera:yard:main']);
    },
  },
  {
    name: 'quality policy on a camera source: the output transcodes at that size instead of copying',
    from: base,
    change: (p) => ({ ...p, publications: p.publications.map((x) => (x.id === 'camera:front:main' ? { ...x, quality_policy: { profile_id: 'sd', fps: 5 } } : x)) }),
    diff: { created: [], updated: [`transmission:${T('camera:front:main')}`], removed: [] },
    check: (out) => expect(tx(out, 'camera:front:main')!.outputs[0]).toMatchObject({ codec: 'h264', width: 640, height: 360, fps: 5 }),
  },
  {
    name: 'manual transmissions are left alone',
    from: base,
    change: (p) => ({ ...p, transmissions: [manual, ...p.transmissions] }),
    diff: { created: [], updated: [], removed: [] },
    check: (out) => expect(out.transmissions[0]).toBe(manual),
  },
];

const manual = manualTransmission('0b7f9ad4-4b1e-4f57-9a55-0c1f7e3a3c11', { name: 'Mosaic' });

describe('reconcile', () => {
  it.each(cases)('$name', ({ from, change, diff, check }) => {
    const { plane: out, diff: got } = reconcile(change(from));
    expect(refs(got)).toEqual(diff);
    check?.(out);
  });

  it.each(cases)('idempotent after: $name', ({ from, change }) => {
    const once = reconcile(change(from)).plane;
    const twice = reconcile(once);
    expect(isEmptyDiff(twice.diff)).toBe(true);
    expect(twice.plane).toEqual(once);
    // Unchanged artifacts keep their identity, so callers can skip work by reference.
    twice.plane.transmissions.forEach((t, i) => expect(t).toBe(once.transmissions[i]));
  });

  it('does not mutate its input', () => {
    const input = plane({ cameras: [front()], pipelines: [publishPipeline('yard-ai', {})] });
    const snapshot = structuredClone(input);
    reconcile(input);
    expect(input).toEqual(snapshot);
  });

  it("names a pipeline's own live view for the pipeline, a camera's for the camera", () => {
    const out = reconcile(plane({ cameras: [front()], pipelines: [publishPipeline('yard-ai', {})] })).plane;
    expect(out.live_views.map((v) => [v.id, v.name])).toEqual(
      expect.arrayContaining([
        ['pipeline-yard-ai', 'yard-ai'],
        ['front', front().name],
      ]),
    );
  });

  it('gives pipeline names that fold to the same path distinct engine paths', () => {
    const out = reconcile(plane({ pipelines: [publishPipeline('Yard', {}), publishPipeline('yard', {})] })).plane;
    expect(out.transmissions.map((t) => t.outputs[0]!.engine_path)).toEqual(['pipe/yard/out', 'pipe/yard/out-2']);
  });
});

describe('reconcile: an H.264 version of H.265 cameras', () => {
  const probe = (codec: string, width = 1920): NonNullable<StoredSource['probe']> => ({
    probed_at: '2026-12-06T00:00:00.000Z',
    url: 'rtsp://127.0.0.1/cam',
    via: 'camera',
    error: null,
    video: { codec, profile: null, width, height: Math.round((width * 9) / 16), fps: 15 },
    audio: null,
  });
  const outputsOf = (src: StoredSource) => reconcile(plane({ cameras: [camera('c', [src])] })).plane.transmissions[0]!.outputs;

  it.each([
    {
      name: 'H.265 camera: the copy, then an H.264 twin under its path',
      src: source('main', { probe: probe('h265') }),
      expected: [
        ['default', 'copy', null],
        ['h264', 'h264', null],
      ],
    },
    {
      name: 'a 4K H.265 camera: the twin is scaled to 1920 wide',
      src: source('main', { probe: probe('h265', 3840) }),
      expected: [
        ['default', 'copy', null],
        ['h264', 'h264', 1920],
      ],
    },
    { name: 'H.264 camera: the copy only', src: source('main', { probe: probe('h264') }), expected: [['default', 'copy', null]] },
    { name: 'never probed: the copy only', src: source('main'), expected: [['default', 'copy', null]] },
  ])('$name', ({ src, expected }) => {
    const outputs = outputsOf(src);
    expect(outputs.map((o) => [o.id, o.codec, o.width])).toEqual(expected);
    if (outputs[1]) expect(outputs[1].engine_path).toBe(`${outputs[0]!.engine_path}/h264`);
  });

  it('a probe that finds H.265 adds the twin, as an update of the same transmission', () => {
    const first = reconcile(plane({ cameras: [camera('c', [source('main')])] })).plane;
    const probed = { ...first, cameras: [camera('c', [source('main', { probe: probe('h265') })])] };
    const { plane: next, diff } = reconcile(probed);
    expect(next.transmissions[0]!.outputs).toHaveLength(2);
    expect(diff.updated).toContainEqual({ kind: 'transmission', id: next.transmissions[0]!.id });
  });
});
