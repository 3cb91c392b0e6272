import { readdir, readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDataDir, removeDataDirs } from '../../test/support/data-dir.js';
import type { StoredSource } from '../domain/camera.js';
import type { RunResult, RunSpec } from '../process/types.js';
import { createProbeReader, probeInputDir, probeRoute } from './probe-reader.js';

afterAll(removeDataDirs);

const read = (camera_id: string, source_id: string, path: string) => ({ camera_id, source_id, path, url: 'rtsp://u:p@192.0.2.1/x', transmission_ids: ['t'] });
const plan = { sources: [read('front', 'main', 'cam/front/main'), read('front', 'sub', 'cam/front/sub/src')] };

describe('probeRoute: through the engine or at the camera', () => {
  it.each([
    { name: 'engine running, source planned → its engine path', running: true, camera: 'front', source: 'main', route: { via: 'engine', path: 'cam/front/main' } },
    { name: 'the hidden .../src path of a source without a copy output', running: true, camera: 'front', source: 'sub', route: { via: 'engine', path: 'cam/front/sub/src' } },
    { name: 'engine running, source not planned (not published) → the camera', running: true, camera: 'front', source: 'zoom', route: { via: 'camera' } },
    { name: 'another camera with the same source id → the camera', running: true, camera: 'back', source: 'main', route: { via: 'camera' } },
    { name: 'engine not running → the camera, even when planned', running: false, camera: 'front', source: 'main', route: { via: 'camera' } },
  ])('$name', ({ running, camera, source, route }) => {
    expect(probeRoute(plan, running, camera, source)).toEqual(route);
  });
});

const source = (over: Partial<StoredSource> = {}): StoredSource => ({
  id: 'main',
  role: 'main',
  label: '',
  url: 'rtsp://192.0.2.1:554/s',
  username: 'admin',
  password: "se'cret",
  publish: true,
  ...over,
});

const ffprobeOk: RunResult = {
  exit: { kind: 'expected', code: 0, signal: null, at: '' },
  stdout: Buffer.from(JSON.stringify({ streams: [{ codec_type: 'video', codec_name: 'hevc', width: 640, height: 360, avg_frame_rate: '15/1' }] })),
  stderrTail: [],
};

/** A supervisor whose one run records what it was given and what the ffconcat file held while it ran. */
function fakeSupervisor(result: RunResult) {
  const specs: RunSpec[] = [];
  const files: string[] = [];
  return {
    specs,
    files,
    supervisor: {
      async run(spec: RunSpec) {
        specs.push(spec);
        const i = spec.args.indexOf('-i');
        if (spec.args.includes('concat')) files.push(await readFile(spec.args[i + 1]!, 'utf8'));
        return result;
      },
    },
  };
}

describe('createProbeReader', () => {
  const at = Date.UTC(2026, 0, 2, 3, 4, 5);

  it('engine running: waits for the engine paths, reads the loopback URL, nothing secret anywhere', async () => {
    const f = fakeSupervisor(ffprobeOk);
    const synced: string[] = [];
    const reader = createProbeReader({
      supervisor: f.supervisor,
      ffprobePath: 'ffprobe',
      secretDir: probeInputDir(await makeDataDir('probe-reader')),
      engine: { running: () => true, internalRtspUrl: (p) => `rtsp://127.0.0.1:8554/${p}` },
      plan: () => {
        synced.push('plan');
        return plan;
      },
      synced: async () => void synced.push('synced'),
      now: () => at,
    });
    const probe = await reader.read('front', source());
    expect(synced).toEqual(['synced', 'plan']);
    expect(probe).toEqual({
      probed_at: '2026-01-02T03:04:05.000Z',
      url: 'rtsp://192.0.2.1:554/s',
      via: 'engine',
      error: null,
      video: { codec: 'h265', profile: null, width: 640, height: 360, fps: 15 },
      audio: null,
    });
    expect(f.specs[0]!.args).toContain('rtsp://127.0.0.1:8554/cam/front/main');
    expect(JSON.stringify(f.specs)).not.toMatch(/admin|se'cret/);
  });

  it('the camera itself: credentials only inside the ffconcat file, removed after the run; failures in words', async () => {
    const f = fakeSupervisor({ exit: { kind: 'crashed', code: 1, signal: null, at: '' }, stdout: Buffer.alloc(0), stderrTail: ['method DESCRIBE failed: 401 Unauthorized'] });
    const dir = probeInputDir(await makeDataDir('probe-reader'));
    let synced = 0;
    const reader = createProbeReader({
      supervisor: f.supervisor,
      ffprobePath: '/usr/bin/ffprobe',
      secretDir: dir,
      engine: { running: () => false, internalRtspUrl: () => 'unused' },
      plan: () => plan,
      synced: async () => {
        synced++;
      },
      timeoutMs: 9000,
      now: () => at,
    });
    const probe = await reader.read('front', source());
    expect(synced).toBe(0);
    expect(probe).toMatchObject({ via: 'camera', error: 'the camera refused the user name or password', video: null, audio: null });
    expect(f.specs[0]).toMatchObject({ command: '/usr/bin/ffprobe', timeoutMs: 9000, secrets: ['admin', "se'cret"] });
    expect(f.specs[0]!.args.join(' ')).not.toMatch(/admin|se'cret|192\.0\.2\.1/);
    expect(f.files[0]).toContain("file 'rtsp://admin:se'\\''cret@192.0.2.1:554/s'");
    expect(await readdir(dir)).toEqual([]);
  });

  it('a source the engine could not use either (a username without a password) is an error without a run', async () => {
    const f = fakeSupervisor(ffprobeOk);
    const reader = createProbeReader({
      supervisor: f.supervisor,
      ffprobePath: 'ffprobe',
      secretDir: probeInputDir(await makeDataDir('probe-reader')),
      engine: { running: () => false, internalRtspUrl: () => 'unused' },
      plan: () => plan,
      synced: async () => {},
    });
    const probe = await reader.read('front', source({ password: null }));
    expect(probe.error).toMatch(/^this source has a username but no password/);
    expect(f.specs).toEqual([]);
  });

  it('refuses a run limit that the socket timeout would outlast', () => {
    expect(() =>
      createProbeReader({
        supervisor: fakeSupervisor(ffprobeOk).supervisor,
        ffprobePath: 'ffprobe',
        secretDir: '/x',
        engine: { running: () => false, internalRtspUrl: () => '' },
        plan: () => plan,
        synced: async () => {},
        timeoutMs: 1000,
      }),
    ).toThrow(/timeoutMs must be above/);
  });
});
