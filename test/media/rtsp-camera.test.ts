import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyColor, grabFrames, probe } from './frames.js';
import { FFPROBE, runToBuffer, stopAllMediaProcesses } from './proc.js';
import { startRtspCamera, type RtspCamera } from './rtsp-camera.js';

afterAll(stopAllMediaProcesses);

/** Pulls about one second of packets with ffprobe; returns how many video packets it read. */
async function pullOneSecond(url: string, transport: 'tcp' | 'udp' = 'tcp'): Promise<{ packets: number; stderr: string; exitCode: number | undefined }> {
  const r = await runToBuffer(
    FFPROBE,
    [
      '-v',
      'error',
      '-analyzeduration',
      '0',
      '-probesize',
      '32',
      '-rtsp_transport',
      transport,
      '-select_streams',
      'v:0',
      '-read_intervals',
      '%+1',
      '-show_entries',
      'packet=pts_time',
      '-of',
      'csv=p=0',
      url,
    ],
    { timeoutMs: 15_000 },
  );
  const packets = r.stdout
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '').length;
  return { packets, stderr: r.stderr, exitCode: r.exitCode };
}

function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('rtsp-camera fixture (GStreamer RTSP server)', () => {
  it('serves H.264 over TCP and counts each RTSP client connection', async () => {
    const cam = await startRtspCamera({ path: '/cam', width: 640, height: 360, fps: 15 });
    try {
      console.info(`[media] camera ready in ${cam.readyMs.toFixed(0)} ms on port ${cam.port}`);
      expect(cam.url).toBe(`rtsp://127.0.0.1:${cam.port}/cam`);
      expect(cam.port).toBeGreaterThan(0);
      expect(cam.connections()).toBe(0);

      const first = await pullOneSecond(cam.url);
      expect(first.exitCode, first.stderr).toBe(0);
      expect(first.packets).toBeGreaterThanOrEqual(10);
      await cam.waitForConnections(1, 2_000);
      expect(cam.connections()).toBe(1);

      const second = await pullOneSecond(cam.url);
      expect(second.exitCode, second.stderr).toBe(0);
      await cam.waitForConnections(2, 2_000);
      expect(cam.connections()).toBe(2);

      const p = await probe(cam.url);
      expect(p).toMatchObject({ codecName: 'h264', width: 640, height: 360, rFrameRate: 15 });
      await cam.waitForConnections(3, 2_000);
    } finally {
      await cam.stop();
    }
    expect(isAlive(cam.process.pid)).toBe(false);
  });

  it('serves H.265 with a solid colour, readable over UDP', async () => {
    const cam = await startRtspCamera({ codec: 'h265', pattern: 'blue', width: 320, height: 240, fps: 10, path: '/h265' });
    try {
      const grab = await grabFrames(cam.url, { count: 3, timeoutMs: 10_000, transport: 'udp' });
      console.info(`[media] h265 camera: first frame ${grab.firstFrameMs.toFixed(0)} ms after ffmpeg start (udp)`);
      expect(grab.codec).toBe('hevc');
      expect([grab.width, grab.height]).toEqual([320, 240]);
      for (const f of grab.frames) expect(classifyColor(f.avg)).toBe('blue');
      expect(cam.connections()).toBe(1);
    } finally {
      await cam.stop();
    }
  });

  it.each(['basic', 'digest'] as const)('requires %s auth when a username is set', async (auth) => {
    const cam: RtspCamera = await startRtspCamera({ username: 'alice', password: 's3cr:et', auth, pattern: 'red', width: 320, height: 240, fps: 10 });
    try {
      expect(cam.url).toBe(`rtsp://alice:s3cr%3Aet@127.0.0.1:${cam.port}/cam`);
      // The credentials went over stdin: a process-table sweep finds nothing in the camera's argv.
      expect(readFileSync(`/proc/${cam.process.pid}/cmdline`, 'utf8')).not.toContain('s3cr');
      const denied = await pullOneSecond(cam.bareUrl);
      expect(denied.exitCode).not.toBe(0);
      expect(denied.stderr).toMatch(/401/);
      const wrong = await pullOneSecond(`rtsp://alice:nope@127.0.0.1:${cam.port}/cam`);
      expect(wrong.exitCode).not.toBe(0);

      const grab = await grabFrames(cam.url, { count: 2, timeoutMs: 10_000 });
      expect(classifyColor(grab.frames[0]!.avg)).toBe('red');
    } finally {
      await cam.stop();
    }
  });

  it('fails fast on a taken port and on a bad pattern', async () => {
    const cam = await startRtspCamera({});
    try {
      await expect(startRtspCamera({ port: cam.port, readyTimeoutMs: 5_000 })).rejects.toThrow(/cannot bind|exited/);
      await expect(startRtspCamera({ pattern: 'no-such-pattern', readyTimeoutMs: 5_000 })).rejects.toThrow(/unknown pattern/);
    } finally {
      await cam.stop();
    }
  });
});
