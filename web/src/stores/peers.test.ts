import { describe, expect, it } from 'vitest';
import type { DistributedStatus } from '../../../src/api/contract.js';
import { ApiFailure } from '../api/client.js';
import { toFormErrors } from './form-errors.js';
import {
  createDistributedStatusStore,
  distributedDirty,
  distributedErrorField,
  distributedForm,
  distributedPatch,
  generateSecret,
  hostOptions,
  newPeerForm,
  peerStatus,
  refreshDistributedStatus,
  SECRET_LENGTH,
  type HostingSettings,
} from './peers.js';

const settings: HostingSettings = {
  server_id: 'ha',
  peers: [
    { id: 'nas', name: 'NAS', base_url: 'http://192.168.1.20:8099', enabled: true, has_secret: true },
    { id: 'mini', name: '', base_url: 'http://192.168.1.21:8099', enabled: false, has_secret: true },
  ],
};

describe('distributed hosting form', () => {
  it('loads every peer with its secret field empty, and sends nothing new when untouched', () => {
    const form = distributedForm(settings);
    expect(form.server_id).toBe('ha');
    expect(form.peers.map((p) => [p.id, p.secret, p.has_secret])).toEqual([
      ['nas', '', true],
      ['mini', '', true],
    ]);
    expect(distributedDirty(distributedForm(settings), form)).toBe(false);
  });

  it('sends the whole list in the form order, a secret only where one was typed', () => {
    const form = distributedForm(settings);
    const added = { ...newPeerForm(), id: ' pc ', name: 'PC', base_url: 'http://192.168.1.30:8099/', secret: ' 0123456789abcdef0123 ' };
    const edited = { ...form, server_id: ' home ', peers: [added, { ...form.peers[1]!, enabled: true }, form.peers[0]!] };
    expect(distributedPatch(edited)).toEqual({
      server_id: 'home',
      peers: [
        { id: 'pc', name: 'PC', base_url: 'http://192.168.1.30:8099/', enabled: true, secret: '0123456789abcdef0123' },
        { id: 'mini', name: '', base_url: 'http://192.168.1.21:8099', enabled: true },
        { id: 'nas', name: 'NAS', base_url: 'http://192.168.1.20:8099', enabled: true },
      ],
    });
    expect(distributedDirty(form, edited)).toBe(true);
  });

  it('a secret of blanks is no secret: the stored one is kept', () => {
    const form = distributedForm(settings);
    const blank = { ...form, peers: [{ ...form.peers[0]!, secret: '   ' }, form.peers[1]!] };
    expect(distributedPatch(blank).peers[0]).not.toHaveProperty('secret');
    expect(distributedDirty(form, blank)).toBe(false);
  });

  it('a 422 shows beside the field it names, the row of a peer, or the whole form', () => {
    expect(distributedErrorField('server_id')).toBe('server_id');
    expect(distributedErrorField('peers.1.secret')).toBe('peers.1.secret');
    expect(distributedErrorField('peers.0.base_url')).toBe('peers.0.base_url');
    expect(distributedErrorField('peers.2')).toBe('peers.2');
    expect(distributedErrorField('peers')).toBe('peers');
    expect(distributedErrorField('peers.0.has_secret')).toBe('peers.0');
    expect(distributedErrorField('jsmpeg.fps')).toBeNull();
    const refused = new ApiFailure(422, 'invalid', 'peers.1.secret: must be at least 16 characters', 'peers.1.secret');
    expect(toFormErrors(refused, distributedErrorField)).toEqual({ fields: { 'peers.1.secret': 'must be at least 16 characters' }, general: null });
  });
});

describe('generated secret', () => {
  it('is 32 letters and digits from the random bytes, drawing again for the bytes that would bias it', () => {
    const batches = [new Uint8Array(SECRET_LENGTH).fill(255), Uint8Array.from({ length: SECRET_LENGTH }, (_, i) => (i % 2 === 0 ? 0 : 61 + 62))];
    let calls = 0;
    const secret = generateSecret((bytes) => {
      bytes.set(batches[calls++]!);
      return bytes;
    });
    expect(calls).toBe(2);
    expect(secret).toBe('A9'.repeat(SECRET_LENGTH / 2));
  });

  it('uses the platform random source by default', () => {
    const a = generateSecret();
    expect(a).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(generateSecret()).not.toBe(a);
  });
});

describe('peer status', () => {
  const status: DistributedStatus = {
    peers: [{ peer_id: 'nas', version: 4, transmissions: 2, pulled_at: '2024-01-01T00:00:00.000Z', checked_at: '2024-01-01T00:01:00.000Z', error: null }],
  };

  it('finds what was pulled for a peer; without `hosts` and `conflicts` there is no reachability and no conflict', () => {
    expect(peerStatus(status, 'nas')).toEqual({ pull: status.peers[0], conflicts: [], host: null });
    expect(peerStatus(status, 'mini')).toEqual({ pull: null, conflicts: [], host: null });
    expect(peerStatus(null, 'nas')).toEqual({ pull: null, conflicts: [], host: null });
  });

  it("adds reachability and the peer's own conflicts when the server reports them", () => {
    const host = { peer_id: 'nas', reachable: false, error: 'cannot reach http://192.168.1.20:8099', since: '2024-01-01T00:02:00.000Z' };
    const conflict = { peer_id: 'nas', transmission_id: 'tx-1', reason: 'its id is taken here' };
    const other = { peer_id: 'mini', transmission_id: 'tx-2', reason: 'engine path "a" is taken here' };
    expect(peerStatus({ ...status, hosts: [host], conflicts: [other, conflict] }, 'nas')).toEqual({ pull: status.peers[0], conflicts: [conflict], host });
  });

  it('loads the status, and keeps the last one when a refresh fails', async () => {
    const store = createDistributedStatusStore();
    const signal = new AbortController().signal;
    const paths: string[] = [];
    await refreshDistributedStatus(store, signal, async <T>(path: string) => {
      paths.push(path);
      return status as T;
    });
    expect(paths).toEqual(['api/streams/distributed/status']);
    expect(store.get()).toEqual({ status, error: null });
    await refreshDistributedStatus(store, signal, async () => {
      throw new Error('HTTP 404');
    });
    expect(store.get()).toEqual({ status, error: 'HTTP 404' });
  });
});

describe('host options', () => {
  it('offers this server and the enabled peers, by name', () => {
    expect(hostOptions(settings, 'ha')).toEqual([
      { value: 'ha', kind: 'self', name: 'ha' },
      { value: 'nas', kind: 'peer', name: 'NAS' },
    ]);
  });

  it('keeps a host that is neither (a disabled peer, an old id), so saving does not move the transmission unseen', () => {
    expect(hostOptions(settings, 'mini').at(-1)).toEqual({ value: 'mini', kind: 'other', name: 'mini' });
    expect(hostOptions(null, 'local')).toEqual([{ value: 'local', kind: 'other', name: 'local' }]);
  });
});
