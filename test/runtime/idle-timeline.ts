/**
 * The idle timeline (issue 11, 4g): a GStreamer camera, a transcoded output of it (our FFmpeg
 * publisher reads the camera's engine path) watched over HLS through the server's proxy; the
 * viewer stops at t0. When does the engine drop the viewer's reader, when does our last FFmpeg
 * exit, when does the engine close the camera connection? Shared by `npm run bench:idle-timeline`
 * (prints the figures) and the order test. Needs the real MediaMTX: the double pulls no camera.
 */
import { ENGINE_BINS } from '../engines.js';
import { waitFor } from '../support/wait.js';
import { startRtspCamera } from '../media/rtsp-camera.js';
import { ffmpegChildren, startLiveServer } from './server-harness.js';

export interface TimelineEvent {
  event: 'viewer_left' | 'engine_readers_zero' | 'publisher_exited' | 'no_ffmpeg' | 'camera_closed';
  /** Seconds after the viewer's last request. */
  t_s: number;
}

export interface IdleTimeline {
  debounce_s: number;
  events: TimelineEvent[];
}

/** Runs the scenario once; `onEvent` sees each event as it happens. Gives up after `timeoutMs`. */
export async function measureIdleTimeline({
  debounceS,
  viewSeconds = 6,
  timeoutMs = 240_000,
  onEvent = () => {},
}: {
  debounceS: number;
  viewSeconds?: number;
  timeoutMs?: number;
  onEvent?: (e: TimelineEvent) => void;
}): Promise<IdleTimeline> {
  const camera = await startRtspCamera({ pattern: 'ball', width: 640, height: 360, fps: 15 });
  const server = await startLiveServer({ mediamtxPath: ENGINE_BINS.mediamtx, go2rtcPath: ENGINE_BINS.go2rtc, tickMs: 250 }, { demand: { debounce_s: debounceS } });
  try {
    const cam = await server.request('POST', '/api/cameras', { name: 'Idle', sources: [{ url: camera.bareUrl }] });
    if (cam.status !== 201) throw new Error(`camera refused: ${JSON.stringify(cam.json)}`);
    const sourceId = cam.json.sources[0].id as string;
    const tx = await server.request('POST', '/api/streams/transmissions', {
      name: 'Idle small',
      input: 'camera_source',
      camera_id: cam.json.id,
      camera_source_id: sourceId,
      outputs: [{ id: 'small', engine_path: 'idle/small', codec: 'h264', width: 320 }],
    });
    if (tx.status !== 201) throw new Error(`transmission refused: ${JSON.stringify(tx.json)}`);
    const path = 'idle/small';

    // The viewer: the plan's HLS URL, then the playlists and segments it names, once a second.
    let hlsUrl: string | null = null;
    await waitFor(
      'the plan offers HLS',
      async () => {
        const plan = (await server.request('GET', `/api/streams/transmissions/${tx.json.id}/playback-plan?client=app&context=large`)).json as {
          transports: { transport: string; available: boolean; url: string | null }[];
        };
        const t = plan.transports.find((x) => x.transport === 'hls');
        hlsUrl = t?.available && t.url ? server.base + t.url : null;
        return hlsUrl !== null;
      },
      60_000,
      { intervalMs: 250 },
    );
    const get = async (url: string) => {
      const res = await fetch(url);
      return { url: res.url, status: res.status, body: Buffer.from(await res.arrayBuffer()) };
    };
    const uris = (text: string, base: string) =>
      text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => new URL(l, base).toString());
    const watchUntil = Date.now() + viewSeconds * 1000;
    let frames = 0;
    while (Date.now() < watchUntil || frames === 0) {
      const top = await get(hlsUrl as unknown as string);
      if (top.status === 200) {
        let media = top;
        const first = uris(top.body.toString(), top.url)[0];
        if (first && top.body.includes('#EXT-X-STREAM-INF')) media = await get(first);
        const seg = uris(media.body.toString(), media.url).at(-1);
        if (seg && (await get(seg)).status === 200) frames++;
      }
      if (Date.now() > watchUntil + 60_000) throw new Error('the HLS viewer never got a segment');
      await new Promise((r) => setTimeout(r, 1000));
    }
    const t0 = Date.now();
    if (camera.activeConnections() < 1) throw new Error('the camera was not pulled while watched');
    const events: TimelineEvent[] = [];
    const note = (event: TimelineEvent['event']) => {
      const e = { event, t_s: +((Date.now() - t0) / 1000).toFixed(2) };
      events.push(e);
      onEvent(e);
    };
    note('viewer_left');
    const api = server.streaming.engine.status().api_url;
    const readers = async () => ((await (await fetch(`${api}/v3/paths/get/${path}`)).json()) as { readers?: unknown[] }).readers?.length ?? 0;
    const pending = new Map<TimelineEvent['event'], () => boolean | Promise<boolean>>([
      ['engine_readers_zero', async () => (await readers()) === 0],
      ['publisher_exited', () => server.streaming.supervisor.count('publisher:') === 0],
      ['no_ffmpeg', () => ffmpegChildren() === 0],
      ['camera_closed', () => camera.activeConnections() === 0],
    ]);
    while (pending.size > 0) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`still waiting for ${[...pending.keys()].join(', ')} after ${timeoutMs} ms: ${JSON.stringify(events)}`);
      for (const [event, done] of pending) {
        if (await done()) {
          note(event);
          pending.delete(event);
        }
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    return { debounce_s: debounceS, events };
  } finally {
    await server.close();
    await camera.stop();
  }
}
