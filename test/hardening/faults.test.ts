/**
 * Faults suite (issue 10, point 9): supervised children killed from outside (SIGKILL, by the pid the
 * supervisor reports), as the OOM killer or a crash would: the engine (MediaMTX), the sidecar (go2rtc),
 * a publisher, a fallback encoder (a JSMpeg session's FFmpeg) and a frame decoder (the engine missing,
 * reading the GStreamer camera). Each must recover, or end its session cleanly; the API reports each
 * fault while it lasts; nothing is left behind (no orphan, no zombie).
 *
 * Engine-agnostic: the MediaMTX and go2rtc doubles by default, the real binaries when
 * TOPOSYNC_STREAMING_MEDIAMTX_PATH / TOPOSYNC_STREAMING_GO2RTC_PATH point to them.
 *
 * Recovery times are measured from the kill to the recovered state (polled every 10 ms) and printed as
 * one JSON line. The 2 s bound is asserted only under `npm run soak`: a soak is a benchmark-like run
 * on a machine given to it, while the CI run shares two cores and may only assert that recovery happens.
 * It is asserted for every real child: FFmpeg always, MediaMTX and go2rtc when the real binaries are
 * configured. A double's own start-up (node + tsx: one to several seconds on a loaded machine) is not
 * the server's recovery, so with a double the engine's and sidecar's times are printed, not bounded.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { generatedTransmissionId } from '../../src/domain/ids.js';
import { ENGINE_BINS, REAL_ENGINES } from '../engines.js';
import { stopAllMediaProcesses } from '../media/proc.js';
import { waitFor } from '../support/wait.js';
import { startRtspCamera, type RtspCamera } from '../media/rtsp-camera.js';
import { startRtspReceiver, type RtspReceiver } from '../media/rtsp-receiver.js';
import { startLiveServer, type LiveServer } from '../runtime/server-harness.js';
import { scale, SOAK, suiteTimeout } from './scale.js';

const KILLS = scale(3, 100);
const RECOVERY_BOUND_MS = 2000;
const PIPELINE = 'faults';
const TX = generatedTransmissionId(`pipeline:${PIPELINE}:out`);
const PATH = `pipe/${PIPELINE}/out`;

type Kind = 'engine' | 'sidecar' | 'publisher' | 'fallback_encoder' | 'frame_decoder';
const recoveries: Record<Kind, number[]> = { engine: [], sidecar: [], publisher: [], fallback_encoder: [], frame_decoder: [] };
const faultsSeen: Record<Kind, number> = { engine: 0, sidecar: 0, publisher: 0, fallback_encoder: 0, frame_decoder: 0 };

let server: LiveServer | undefined;
let receiver: RtspReceiver | undefined;
let camera: RtspCamera | undefined;

afterAll(async () => {
  await server?.close();
  await receiver?.stop();
  await camera?.stop();
  await stopAllMediaProcesses();
  const summary = Object.fromEntries(
    Object.entries(recoveries).map(([kind, times]) => {
      const sorted = [...times].sort((a, b) => a - b);
      const p95 = sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)]! : null;
      return [
        kind,
        {
          count: sorted.length,
          median_ms: sorted.length ? Math.round(sorted[Math.floor(sorted.length / 2)]!) : null,
          max_ms: sorted.length ? Math.round(sorted.at(-1)!) : null,
          p95_ms: p95 === null ? null : Math.round(p95),
          faults_reported: faultsSeen[kind as Kind],
        },
      ];
    }),
  );
  console.log(
    JSON.stringify({
      suite: 'faults',
      soak: SOAK,
      engine: REAL_ENGINES.mediamtx ? 'mediamtx' : 'double',
      sidecar: REAL_ENGINES.go2rtc ? 'go2rtc' : 'double',
      kills_per_kind: KILLS,
      recovery: summary,
    }),
  );
}, 60_000);

const get = async (path: string) => (await server!.request('GET', path)).json;

/**
 * Kills `pid` and measures how long until `recovered()` holds, while `faultShown()` is polled on the API
 * until it reports the fault (it must, before the recovery is seen). Returns the recovery time.
 */
async function killAndMeasure(kind: Kind, pid: number, faultShown: () => Promise<boolean>, recovered: () => boolean | Promise<boolean>): Promise<number> {
  noteChildren();
  leaders.add(pid);
  process.kill(pid, 'SIGKILL');
  const t0 = performance.now();
  let shown = false;
  // The API is sampled right after the kill and until it shows the fault (or the child is back).
  let done = false;
  const watcher = (async () => {
    while (!done && !shown) shown = await faultShown();
  })();
  try {
    await waitFor(`${kind} recovered after SIGKILL of ${pid}`, recovered, 30_000, { intervalMs: 10 });
  } finally {
    done = true;
    await watcher;
  }
  const ms = performance.now() - t0;
  recoveries[kind].push(ms);
  if (shown) faultsSeen[kind]++;
  expect(shown, `${kind}: the API reported the fault after the kill`).toBe(true);
  const doubled = (kind === 'engine' && !REAL_ENGINES.mediamtx) || (kind === 'sidecar' && !REAL_ENGINES.go2rtc);
  if (SOAK && !doubled) expect(ms, `${kind} recovery time`).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
  noteChildren();
  return ms;
}

interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  comm: string;
}

function processTable(): Proc[] {
  const all: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses: parse after the last ')'.
      const [state, ppid, pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      all.push({ pid: Number(entry), ppid: Number(ppid), pgid: Number(pgid), state: state!, comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) });
    } catch {
      // ended while we looked
    }
  }
  return all;
}

/**
 * What is left of the children: our descendants (zombies included: a child nobody reaped), and any
 * process still in the group of a child we killed or ran (every supervised child leads its own
 * group, so a grandchild that outlived it and was re-parented to init is found by its group).
 */
function leftovers(leaders: ReadonlySet<number>): Proc[] {
  const all = processTable();
  const found = new Map<number, Proc>();
  const queue = [process.pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const p of all) {
      if (p.ppid !== parent || found.has(p.pid)) continue;
      found.set(p.pid, p);
      queue.push(p.pid);
    }
  }
  for (const p of all) if (leaders.has(p.pgid) && p.pid !== process.pid) found.set(p.pid, p);
  return [...found.values()];
}

/** Pids of every supervised child seen: group leaders, for the orphan check. */
const leaders = new Set<number>();
const noteChildren = () => {
  for (const c of server?.streaming.supervisor.list() ?? []) if (c.pid !== null) leaders.add(c.pid);
};

describe('faults: children killed from outside', () => {
  it(
    `engine and sidecar: ${KILLS} kills each, back and reported while down`,
    async () => {
      server = await startLiveServer({ mediamtxPath: ENGINE_BINS.mediamtx, go2rtcPath: ENGINE_BINS.go2rtc });
      // A transmission, so that health has a row to report the engine on.
      await server.request('PUT', `/api/streams/pipelines/${PIPELINE}`, { nodes: [{ id: 'out', type: 'stream.publish_video', config: { publication_enabled: true } }] });
      const { engine, sidecar } = server.streaming;
      await waitFor('engine running', () => engine.status().state === 'running', 30_000);
      await waitFor('sidecar running', () => sidecar.status().state === 'running', 30_000);

      for (let i = 0; i < KILLS; i++) {
        const pid = await waitFor('engine running', () => engine.status().state === 'running' && (engine.status().pid ?? undefined), 30_000);
        await killAndMeasure(
          'engine',
          pid,
          async () => {
            const [status, health] = await Promise.all([get('/api/streams/engine/status'), get('/api/streams/runtime/health')]);
            const row = (health as { transmission_id: string; problems: string[] }[]).find((h) => h.transmission_id === TX);
            return status.state !== 'running' && row?.problems.some((p) => /^engine_(crashed|starting)/.test(p)) === true;
          },
          () => engine.status().state === 'running' && engine.status().pid !== pid,
        );
      }
      expect(engine.status().restarts).toBeGreaterThanOrEqual(KILLS);

      for (let i = 0; i < KILLS; i++) {
        const pid = await waitFor('sidecar running', () => sidecar.status().state === 'running' && (sidecar.status().pid ?? undefined), 30_000);
        await killAndMeasure(
          'sidecar',
          pid,
          async () => {
            const status = await get('/api/streams/mse/status');
            // The error is the kill's, or a crash of the restart (another go2rtc of a parallel test run may hold the API port).
            return status.state !== 'running' && status.last_error !== null;
          },
          () => sidecar.status().state === 'running' && sidecar.status().pid !== pid,
        );
      }
      expect(sidecar.status().restarts).toBeGreaterThanOrEqual(KILLS);
    },
    suiteTimeout(180_000, 3_600_000),
  );

  it(
    `a publisher with demand: ${KILLS} kills, publishing again each time`,
    async () => {
      const { streaming } = server!;
      // The doubled engine serves no RTSP: a receiver stands in for its RTSP role on its port.
      if (!REAL_ENGINES.mediamtx) receiver = await startRtspReceiver({ port: streaming.engine.rtspPort(), path: PATH, relisten: true });
      const publishing = async (): Promise<boolean> => {
        if (receiver) return receiver.frames().length > 0;
        return (await streaming.engine.videoCodec(PATH)) === 'h264';
      };
      const pidOf = async () => {
        const d = await get('/api/streams/runtime/diagnostics');
        const p = (d.publisher.running as { path: string; pid: number | null; state: string }[]).find((r) => r.path === PATH);
        return p?.state === 'running' ? (p.pid ?? undefined) : undefined;
      };
      for (let i = 0; i < KILLS; i++) {
        await server!.request('POST', `/api/streams/transmissions/${TX}/demand/prime`, { seconds: 120 });
        const pid = await waitFor('publisher running', pidOf, 30_000);
        await waitFor('publishing', publishing, 30_000);
        const framesBefore = receiver?.frames().length ?? 0;
        await killAndMeasure(
          'publisher',
          pid,
          async () => {
            const health = (await get('/api/streams/runtime/health')) as { transmission_id: string; problems: string[] }[];
            return health.find((h) => h.transmission_id === TX)?.problems.some((p) => p.startsWith(`publisher_restarting: ${PATH}`)) ?? false;
          },
          async () => {
            const now = await pidOf();
            if (now === undefined || now === pid) return false;
            // Frames from the new process reach the engine's RTSP role again.
            return receiver ? receiver.frames().length > framesBefore + 1 : (await streaming.engine.videoCodec(PATH)) === 'h264';
          },
        );
      }
    },
    suiteTimeout(180_000, 3_600_000),
  );

  it(
    `a fallback session: its encoder killed ${KILLS} times, the viewer keeps its socket and gets bytes again`,
    async () => {
      const plan = await get(`/api/streams/transmissions/${TX}/playback-plan?client=web&context=grid`);
      const url = (plan.transports as { transport: string; url: string | null }[]).find((t) => t.transport === 'jsmpeg')!.url!;
      const ws = new WebSocket(server!.base.replace(/^http/, 'ws') + url);
      let bytes = 0;
      let closed: { code: number; reason: string } | null = null;
      ws.on('message', (d: Buffer) => (bytes += d.length));
      ws.on('close', (code, reason) => (closed = { code, reason: reason.toString() }));
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const encoder = async () => {
        const s = await get('/api/streams/runtime/jsmpeg/sessions');
        return (s.sessions[0]?.encoder ?? null) as { state: string; pid: number | null } | null;
      };
      for (let i = 0; i < KILLS; i++) {
        const at = bytes;
        await waitFor('bytes flowing', () => closed === null && bytes > at, 30_000, { abort: () => (closed ? `closed ${JSON.stringify(closed)}` : undefined) });
        const pid = await waitFor(
          'encoder running',
          async () => {
            const e = await encoder();
            return e?.state === 'running' && (e.pid ?? undefined);
          },
          30_000,
        );
        let newPidBytes = -1;
        await killAndMeasure(
          'fallback_encoder',
          pid,
          async () => {
            const e = await encoder();
            return e !== null && e.state === 'backoff';
          },
          async () => {
            if (closed) throw new Error(`the session closed: ${JSON.stringify(closed)}`);
            if (newPidBytes < 0) {
              const e = await encoder();
              if (e?.state === 'running' && e.pid !== pid) newPidBytes = bytes;
              return false;
            }
            return bytes > newPidBytes;
          },
        );
      }
      expect(closed).toBeNull();
      ws.close();
      await new Promise((r) => ws.once('close', r));
      await waitFor('session gone', () => server!.streaming.supervisor.count('jsmpeg:') === 0);
      noteChildren();
      await server!.close();
      server = undefined;
      await receiver?.stop();
      receiver = undefined;
    },
    suiteTimeout(180_000, 3_600_000),
  );

  it(
    `a frame decoder reading the camera (engine missing): ${KILLS} kills, frames again each time`,
    async () => {
      // A decoder starts at a keyframe: one every half second, so what is measured is the server, not the camera's GOP.
      camera = await startRtspCamera({ width: 320, height: 240, fps: 10, gop: 5 });
      server = await startLiveServer({ mediamtxPath: undefined, mediamtxBundledPaths: [], go2rtcBundledPaths: [] });
      expect(server.streaming.engine.status().state).toBe('missing');
      const created = await server.request('POST', '/api/cameras', { id: 'faults', name: 'Faults', sources: [{ id: 'main', url: camera.url }] });
      expect(created.status).toBe(201);
      const tx = generatedTransmissionId('camera:faults:main');
      const decoder = async () => {
        const d = await get('/api/streams/runtime/diagnostics');
        return (d.camera_frames[0] ?? null) as { path: string; pid: number | null; state: string; frames: number } | null;
      };
      for (let i = 0; i < KILLS; i++) {
        await server.request('POST', `/api/streams/transmissions/${tx}/demand/prime`, { seconds: 120 });
        const running = await waitFor(
          'decoder decoding',
          async () => {
            const d = await decoder();
            return d?.state === 'running' && d.frames > 0 && d;
          },
          30_000,
        );
        const framesAt = running.frames;
        let newPidFrames = -1;
        await killAndMeasure(
          'frame_decoder',
          running.pid!,
          async () => {
            const health = (await get('/api/streams/runtime/health')) as { transmission_id: string; problems: string[] }[];
            return health.find((h) => h.transmission_id === tx)?.problems.some((p) => p.startsWith('camera_frames_restarting:')) ?? false;
          },
          async () => {
            const d = await decoder();
            if (d?.state !== 'running' || d.pid === running.pid) return false;
            if (newPidFrames < 0) newPidFrames = Math.max(d.frames, framesAt);
            return d.frames > newPidFrames;
          },
        );
      }
    },
    suiteTimeout(180_000, 3_600_000),
  );

  it('leaves no orphan and no zombie', async () => {
    noteChildren();
    await server?.close();
    server = undefined;
    await camera?.stop();
    camera = undefined;
    await stopAllMediaProcesses();
    expect(leaders.size).toBeGreaterThanOrEqual(5 * KILLS);
    // Processes end asynchronously after their group is killed: wait (bounded) until none is left.
    const left = await waitFor('every child gone and reaped', () => (leftovers(leaders).length === 0 ? [] : undefined), 15_000).catch(() => leftovers(leaders));
    expect(
      left.filter((p) => p.state === 'Z'),
      'zombies',
    ).toEqual([]);
    expect(left, 'orphans: processes left of the children').toEqual([]);
  });
});
