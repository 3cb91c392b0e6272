import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { generatedTransmissionId } from '../../src/domain/ids.js';
import { descendants, sweepProcesses } from '../hardening/process-table.js';
import { stopAllMediaProcesses } from '../media/proc.js';
import { startRtspCamera, type RtspCamera } from '../media/rtsp-camera.js';
import { startLiveServer, type LiveServer } from './server-harness.js';

/**
 * Issue 10.2: with the engine missing the frame decoder reads the camera itself, and its command
 * line is visible to every local user (`ps`). The camera's credentials must reach it another way.
 */
let server: LiveServer | null = null;
let camera: RtspCamera | null = null;
afterEach(async () => {
  await server?.close();
  await camera?.stop();
  server = null;
  camera = null;
});
afterAll(stopAllMediaProcesses);

const cases = [
  { name: 'plain canaries', username: 'canary-user-7Qx', password: 'canary-pass-9Zk', auth: 'basic' as const },
  // Quotes, backslashes, spaces, URL delimiters and non-ASCII: each must survive the way the secret travels.
  { name: "a password with ' \\ space @ : % and unicode (digest)", username: 'canary-ü ser', password: "cAn'a\\ry p@ss:%2Fwörd-8Rt", auth: 'digest' as const },
];

describe('frame decoder reading the camera directly (engine missing)', () => {
  it.each(cases)(
    '$name: the still is a decoded frame; no credential in any descendant process argv or environment',
    async ({ username, password, auth }) => {
      camera = await startRtspCamera({ username, password, auth, pattern: 'green', width: 320, height: 240, fps: 10 });
      server = await startLiveServer({ cameraFrames: { fps: 5, maxWidth: 640 } });
      expect(server.streaming.engine.status().state).toBe('missing');
      const cam = await server.request('POST', '/api/cameras', { name: 'Door', sources: [{ url: camera.bareUrl, username, password }] });
      expect(cam.status).toBe(201);
      const tx = generatedTransmissionId(cam.json.sources[0].publication_id);

      // Held for the whole test, so the decoder is running while the process table is read.
      const release = server.streaming.demand.acquire(tx);
      try {
        const res = await fetch(`${server.base}/api/streams/transmissions/${tx}/still.jpg`);
        const jpeg = Buffer.from(await res.arrayBuffer());
        expect(res.status).toBe(200);
        expect(res.headers.get('x-still-source')).toBe('frame');
        expect(jpeg.subarray(0, 2).toString('hex')).toBe('ffd8');
        expect(camera.connections()).toBeGreaterThanOrEqual(1);

        const decoder = server.streaming.supervisor.list().find((c) => c.name.startsWith('frames:'));
        expect(decoder?.pid).toBeGreaterThan(0);
        // The decoder is among the processes read: the sweep sees the one that used to leak.
        expect(descendants()).toContain(decoder!.pid);
        const sweep = sweepProcesses([username, password]);
        console.info(`[secrets] ${sweep.processes} descendant processes read, ${sweep.findings.length} findings`);
        expect(sweep.processes).toBeGreaterThanOrEqual(2); // the camera and the decoder at least
        expect(sweep.findings).toEqual([]);
      } finally {
        release();
      }
    },
    60_000,
  );
});
