import { describe, expect, it } from 'vitest';
import { camera, manualTransmission, plane, source } from '../reconcile/fixtures.js';
import { reconcile } from '../reconcile/reconcile.js';
import { hostedDoc } from '../domain/hosting.js';
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

describe('hostedDoc: what a server runs', () => {
  const subset = distributedSubset(withManual, 'nas');
  const pulled = { server_id: 'nas', version: 7, digest: 'abc123', ...subset };
  const nas = { ...generated, revision: 3, streaming: { ...generated.streaming, server_id: 'nas' } };

  it.each([
    {
      name: "the user's server runs what it hosts, not what it gave the NAS",
      doc: { ...withManual, revision: 3 },
      from: [],
      runs: withManual.transmissions.filter((t) => t.host_server_id === 'local').length,
      hostedFor: 0,
    },
    { name: 'the NAS runs its own and what it pulled', doc: nas, from: [{ peer_id: 'local', pulled }], runs: nas.transmissions.filter((t) => t.host_server_id === 'nas').length + 2, hostedFor: 2 },
    { name: 'nothing pulled yet: only its own', doc: nas, from: [{ peer_id: 'local', pulled: null }], runs: nas.transmissions.filter((t) => t.host_server_id === 'nas').length, hostedFor: 0 },
  ])('$name', ({ doc, from, runs, hostedFor }) => {
    const h = hostedDoc(doc, from);
    expect(h.transmissions).toHaveLength(runs);
    expect(h.hosted_for.size).toBe(hostedFor);
    expect(h.conflicts).toEqual([]);
  });

  it("pulled cameras are named apart from the server's own, and their transmissions follow", () => {
    const h = hostedDoc(nas, [{ peer_id: 'local', pulled }]);
    const mine = h.transmissions.filter((t) => h.hosted_for.get(t.id) === 'local' && t.camera_id !== null);
    expect(mine.map((t) => t.camera_id)).toEqual(['local.front']);
    expect(h.cameras.find((c) => c.id === 'local.front')?.sources.map((s) => s.id)).toEqual(['main']);
    expect(h.cameras.filter((c) => c.id === 'front')).toHaveLength(1);
  });

  it('a pulled transmission whose id or engine path is taken here is not run, and said why', () => {
    // The NAS has the same generated camera transmission as its own (the same camera id gives the same id and path).
    const clash = { ...nas, transmissions: nas.transmissions.map((t) => ({ ...t, host_server_id: 'nas' })) };
    const h = hostedDoc(clash, [{ peer_id: 'local', pulled }]);
    expect(h.conflicts.map((c) => c.reason)).toContain('its id is taken here');
    expect(h.transmissions.filter((t) => h.hosted_for.has(t.id)).length).toBeLessThan(2);
    expect(new Set(h.transmissions.map((t) => t.id)).size).toBe(h.transmissions.length);
  });

  it('the hosting key changes with the revision and with what was pulled', () => {
    const a = hostedDoc(nas, [{ peer_id: 'local', pulled }]).hosting_key;
    expect(hostedDoc(nas, [{ peer_id: 'local', pulled: { ...pulled, digest: 'def456' } }]).hosting_key).not.toBe(a);
    expect(hostedDoc({ ...nas, revision: nas.revision + 1 }, [{ peer_id: 'local', pulled }]).hosting_key).not.toBe(a);
  });
});
