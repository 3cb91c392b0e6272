import { describe, expect, it } from 'vitest';
import type { PipelineNode } from '../domain/pipeline.js';
import { publishPipeline } from './fixtures.js';
import { pipelineWarnings } from './continuity.js';

const node = (id: string, type: string, inputs: string[], config: Record<string, unknown> = {}): PipelineNode => ({ id, type, inputs, config });
const publish = (inputs: string[]) => node('out', 'stream.publish_video', inputs);

describe('pipelineWarnings', () => {
  it.each([
    { name: 'camera straight into publish', nodes: [node('cam', 'camera.source', []), publish(['cam'])], expected: [] },
    { name: 'behind a motion gate', nodes: [node('cam', 'camera.source', []), node('gate', 'motion.gate', ['cam']), publish(['gate'])], expected: ['not_continuous:out'] },
    {
      name: 'two hops behind a gate',
      nodes: [node('cam', 'camera.source', []), node('gate', 'motion.gate', ['cam']), node('draw', 'render.overlay', ['gate']), publish(['draw'])],
      expected: ['not_continuous:out'],
    },
    {
      name: 'behind an event-only detector',
      nodes: [node('cam', 'camera.source', []), node('det', 'vision.detector', ['cam'], { mode: 'event' }), publish(['det'])],
      expected: ['not_continuous:out'],
    },
    {
      name: 'behind an event_only tracker',
      nodes: [node('cam', 'camera.source', []), node('trk', 'tracker.bytetrack', ['cam'], { event_only: true }), publish(['trk'])],
      expected: ['not_continuous:out'],
    },
    {
      name: 'behind a continuous detector',
      nodes: [node('cam', 'camera.source', []), node('det', 'vision.detector', ['cam'], { mode: 'continuous' }), publish(['det'])],
      expected: [],
    },
    { name: 'a gate on another branch', nodes: [node('cam', 'camera.source', []), node('gate', 'motion.gate', ['cam']), publish(['cam'])], expected: [] },
    { name: 'an input that does not exist is skipped', nodes: [publish(['ghost'])], expected: [] },
    { name: 'a cycle does not hang', nodes: [node('a', 'render.x', ['b']), node('b', 'render.y', ['a']), publish(['a'])], expected: [] },
  ])('$name', ({ nodes, expected }) => {
    const warnings = pipelineWarnings({ ...publishPipeline('p', {}), nodes });
    expect(warnings.map((w) => `${w.code}:${w.node_id}`)).toEqual(expected);
  });
});
