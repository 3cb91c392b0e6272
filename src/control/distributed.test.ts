import { describe, expect, it } from 'vitest';
import { camera, manualTransmission, plane, source } from '../reconcile/fixtures.js';
import { reconcile } from '../reconcile/reconcile.js';
import { distributedSubset } from './distributed.js';

// Two cameras: the front door's main source is hosted by the NAS, everything else stays local.
const cameras = [
  camera('front', [source('main', { username: 'front-user', password: 'front-main-pass' }), source('sub', { role: 'sub', username: 'front-user', password: 'front-sub-pass' })]),
  camera('yard', [source('main', { username: 'yard-user', password: 'yard-pass' })]),
];
const generated = reconcile(plane({ cameras })).plane;
const hostedOn = (doc: typeof generated, publication: string, host: string) => {
  const publications = doc.publications.map((p) => (p.id === publication ? { ...p, host_server_id: host } : p));
  return reconcile({ ...doc, publications }).plane;
};
const doc = hostedOn(generated, 'camera:front:main', 'nas');
const withManual = { ...doc, transmissions: [...doc.transmissions, manualTransmission('11111111-1111-4111-8111-111111111111', { host_server_id: 'nas' })] };

describe('distributedSubset', () => {
  it.each([
    {
      name: 'the NAS gets its transmissions, the camera sources they read and their pipelines',
      server: 'nas',
      expected: { transmissions: 2, cameras: ['front:main'], pipelines: 1 },
    },
    { name: 'a peer hosting nothing gets nothing', server: 'garage', expected: { transmissions: 0, cameras: [], pipelines: 0 } },
  ])('$name', ({ server, expected }) => {
    const subset = distributedSubset(withManual, server);
    expect(subset.transmissions.every((t) => t.host_server_id === server)).toBe(true);
    expect(subset.transmissions).toHaveLength(expected.transmissions);
    expect(subset.cameras.flatMap((c) => c.sources.map((s) => `${c.id}:${s.id}`))).toEqual(expected.cameras);
    expect(subset.pipelines).toHaveLength(expected.pipelines);
    expect(subset.pipelines.every((p) => p.processing_server_id === server)).toBe(true);
  });

  it("a camera's credentials reach only the peer that hosts one of its sources' transmissions", () => {
    const text = JSON.stringify(distributedSubset(withManual, 'nas'));
    expect(text).toContain('front-main-pass');
    for (const other of ['front-sub-pass', 'yard-pass']) expect(text).not.toContain(other);
    expect(JSON.stringify(distributedSubset(withManual, 'garage'))).not.toMatch(/pass/);
  });
});
