import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HaCameraList } from '../api/contract.js';
import { createMediaTokens } from '../playback/tokens.js';
import type { PeerResolution } from '../playback/remote/resolution.js';
import { ApiError } from '../shared/errors.js';
import { startHarness, type Harness } from '../../test/harness.js';
import { createHaCameras } from './ha-cameras.js';

const SECRET = 'shared-between-a-and-b-0001';
const HOST_READER = 'rtsp://nas-reader:nas-pass@192.0.2.9:8554';

/** Cameras hosted here, by a LAN peer, by a peer on this machine's loopback, and by a peer that does not answer. */
const PLACES: Record<string, string> = { gate: 'local', front: 'nas', yard: 'box', shed: 'down' };

describe('Home Assistant cameras of transmissions a peer hosts', () => {
  let h: Harness;
  let body: HaCameraList;
  beforeAll(async () => {
    h = await startHarness();
    const peer = (id: string, base_url: string) => ({ id, base_url, secret: SECRET });
    expect(
      (await h.request('PATCH', '/api/streams/settings', { peers: [peer('nas', 'http://192.0.2.9:8099'), peer('box', 'http://127.0.0.1:9'), peer('down', 'http://192.0.2.77:8099')] })).status,
    ).toBe(200);
    for (const [id, host] of Object.entries(PLACES)) {
      expect((await h.request('POST', '/api/cameras', { id, name: id, sources: [{ id: 'main', url: `rtsp://192.0.2.50/${id}` }] })).status).toBe(201);
      expect((await h.request('PUT', `/api/streams/publications/camera-sources/${id}/main`, { host_server_id: host })).status).toBe(200);
    }
    const doc = () => h.store.get();
    const remote = {
      hostOf(txId: string) {
        const tx = doc().transmissions.find((t) => t.id === txId);
        if (!tx || tx.host_server_id === 'local') return null;
        return { tx, peer: doc().streaming.peers.find((p) => p.id === tx.host_server_id) ?? null };
      },
      resolve(txId: string): Promise<PeerResolution> {
        const tx = doc().transmissions.find((t) => t.id === txId)!;
        if (tx.host_server_id === 'down') return Promise.reject(new ApiError(503, 'host_unreachable', 'down', 'host_server_id'));
        const outputs = tx.outputs.map((o) => ({
          output_id: o.id,
          engine_path: o.engine_path,
          video_codec: 'h264' as const,
          audio_codec: null,
          hls: '/api/streams/x',
          mse: '/api/streams/x',
          jsmpeg: '/api/streams/x',
          rtsp: `${HOST_READER}/${o.engine_path}`,
        }));
        return Promise.resolve({
          transmission_id: txId,
          expires_in_s: 600,
          engine: 'running',
          webrtc_lan_unknown: false,
          sidecar: 'running',
          jsmpeg: { enabled: true, sessions: 0, max_sessions: 1, transmission_sessions: 0, max_per_transmission: 1 },
          outputs,
        });
      },
    };
    const cameras = createHaCameras({
      store: h.store,
      tokens: createMediaTokens({ key: Buffer.alloc(32, 7) }),
      supervisor: { addonHost: () => Promise.resolve({ host: '192.0.2.1', source: 'supervisor' as const }) },
      rtspPort: () => 8554,
      directPort: 8099,
      remote,
    });
    body = await cameras.list();
  });
  afterAll(() => h?.close());

  const cameraOf = (id: string) => body.cameras.find((c) => c.camera_id === id);

  it.each([
    { camera: 'gate', via: 'local', stream: /^rtsp:\/\/[^@]*@?192\.0\.2\.1:8554\/cam\/gate\// },
    { camera: 'front', via: 'host', stream: /^rtsp:\/\/nas-reader:nas-pass@192\.0\.2\.9:8554\/cam\/front\// },
    { camera: 'yard', via: 'relay', stream: /^rtsp:\/\/[^@]*@?192\.0\.2\.1:8554\/relay\/box\/cam\/yard\// },
  ])('$camera is read through $via', ({ camera, via, stream }) => {
    expect(cameraOf(camera)).toMatchObject({ stream_via: via, stream_source: expect.stringMatching(stream) });
    // The still image is this server's, whoever hosts the stream (it forwards the request to the host).
    expect(cameraOf(camera)!.still_image_url).toMatch(/^http:\/\/192\.0\.2\.1:8099\/api\/streams\/transmissions\//);
  });

  it('a host that does not answer leaves its cameras out, said in the warnings', () => {
    expect(cameraOf('shed')).toBeUndefined();
    expect(body.warnings.join('\n')).toMatch(/host_unreachable: .*camera:shed:main/);
  });
});
