import { describe, expect, it } from 'vitest';
import type { OnvifProfile } from './device.js';
import { planImport } from './import-map.js';

const profile = (token: string, width: number | null, height: number | null, url = `rtsp://cam/${token}`): OnvifProfile => ({
  token,
  name: `Profile ${token}`,
  encoding: 'H264',
  width,
  height,
  fps: 25,
  stream_url: url,
  snapshot_url: null,
});

describe('planImport: profiles to sources with roles', () => {
  it.each([
    ['one profile is main', [profile('a', 1920, 1080)], [['a', 'main', 'main', true]]],
    [
      'largest main, smallest sub, whatever the order',
      [profile('s', 640, 360), profile('m', 1920, 1080)],
      [
        ['m', 'main', 'main', true],
        ['s', 'sub', 'sub', true],
      ],
    ],
    [
      'the rest are custom, unpublished, with numbered ids',
      [profile('c1', 1280, 720), profile('s', 320, 240), profile('m', 2560, 1440), profile('c2', 800, 600)],
      [
        ['m', 'main', 'main', true],
        ['c1', 'custom', 'custom', false],
        ['c2', 'custom-2', 'custom', false],
        ['s', 'sub', 'sub', true],
      ],
    ],
    [
      'two profiles of one size are no main/sub pair',
      [profile('a', 1920, 1080), profile('b', 1920, 1080)],
      [
        ['a', 'main', 'main', true],
        ['b', 'custom', 'custom', false],
      ],
    ],
    [
      'a profile without a resolution sorts last',
      [profile('x', null, null), profile('m', 1920, 1080)],
      [
        ['m', 'main', 'main', true],
        ['x', 'sub', 'sub', true],
      ],
    ],
    ['the same stream twice is imported once (the larger)', [profile('s', 640, 360, 'rtsp://cam/one'), profile('m', 1920, 1080, 'rtsp://cam/one')], [['m', 'main', 'main', true]]],
  ])('%s', (_what, found, expected) => {
    const { profiles, sources } = planImport(found);
    expect(sources.map((s) => [s.onvif_profile, s.id, s.role, s.publish])).toEqual(expected);
    expect(profiles.map((p) => [p.token, p.role])).toEqual(expected.map(([token, , role]) => [token, role]));
  });

  it('label is the profile name, url the stream URI, snapshot_url carried', () => {
    const [source] = planImport([{ ...profile('m', 1920, 1080), name: 'Main Stream', snapshot_url: 'http://cam/snap.jpg' }]).sources;
    expect(source).toEqual({ id: 'main', role: 'main', label: 'Main Stream', url: 'rtsp://cam/m', publish: true, snapshot_url: 'http://cam/snap.jpg', onvif_profile: 'm' });
  });
});
