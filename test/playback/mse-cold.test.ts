/**
 * MSE on a cold output (issue 11, 4e): the first viewer of an output nobody reads yet goes through
 * the relay to go2rtc, which dials MediaMTX's path. A writer-fed path has no publisher until our
 * demand starts one (MediaMTX answers DESCRIBE 404 at once, go2rtc sends `{"type":"error"}`); a
 * camera path is pulled on demand (MediaMTX holds DESCRIBE until the camera answers). Either way the
 * browser must see a slower first frame, never an error frame.
 *
 * Runs against the doubles by default and against the real engines with
 * TOPOSYNC_STREAMING_MEDIAMTX_PATH / TOPOSYNC_STREAMING_GO2RTC_PATH (`npm run test:engines`).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { generatedTransmissionId } from '../../src/domain/ids.js';
import { ENGINE_BINS, engineTarget } from '../engines.js';
import { stopAllMediaProcesses } from '../media/proc.js';
import { waitFor } from '../support/wait.js';
import { startRtspCamera, type RtspCamera } from '../media/rtsp-camera.js';
import { startLiveServer, type LiveServer } from '../runtime/server-harness.js';

let server: LiveServer | undefined;
let camera: RtspCamera | undefined;
afterEach(async () => {
  await server?.close();
  await camera?.stop();
  server = camera = undefined;
});
afterAll(() => stopAllMediaProcesses());

async function start(): Promise<LiveServer> {
  const s = await startLiveServer({ mediamtxPath: ENGINE_BINS.mediamtx, go2rtcPath: ENGINE_BINS.go2rtc }, { demand: { debounce_s: 1 } });
  await s.streaming.sidecar.start();
  return s;
}

/** The signed MSE URL of the plan, once go2rtc serves the output (its stream set follows the plan). */
async function mseUrl(s: LiveServer, tx: string, path: string): Promise<string> {
  let url: string | null = null;
  await waitFor(
    'go2rtc serves the path and the plan offers MSE',
    async () => {
      if (s.streaming.sidecar.wsUrl(path) === null) return false;
      const plan = (await s.request('GET', `/api/streams/transmissions/${tx}/playback-plan?client=web&context=grid`)).json as {
        transports: { transport: string; available: boolean; url: string | null }[];
      };
      const t = plan.transports.find((x) => x.transport === 'mse');
      url = t?.available && t.url ? s.base.replace(/^http/, 'ws') + t.url : null;
      return url !== null;
    },
    60_000,
    { intervalMs: 250 },
  );
  return url as unknown as string;
}

/** Opens the relay socket, asks for H.264 and collects text until the init segment (or a close, or 40 s). */
function firstInit(url: string): Promise<{ texts: string[]; init: Buffer | null; closed: string | null }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const texts: string[] = [];
    const done = (init: Buffer | null, closed: string | null) => {
      clearTimeout(timer);
      ws.removeAllListeners('close');
      ws.terminate();
      resolve({ texts, init, closed });
    };
    const timer = setTimeout(() => done(null, 'no init segment within 40 s'), 40_000);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'mse', value: 'avc1.640029,avc1.42E01E' })));
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return void texts.push((data as Buffer).toString());
      done(Buffer.from(data as Buffer), null);
    });
    ws.on('error', (err) => done(null, err.message));
    ws.on('close', (code, reason) => done(null, `${code} ${String(reason)}`));
  });
}

describe(`MSE on a cold output (${engineTarget('mediamtx')}, ${engineTarget('go2rtc')})`, () => {
  it('a writer-fed output nobody reads: the first MSE viewer gets the init segment and no error frame', async () => {
    server = await start();
    const created = await server.request('POST', '/api/streams/transmissions', { name: 'Cold', input: 'writers', outputs: [{ id: 'default', engine_path: 'cold/writers' }] });
    expect(created.status).toBe(201);
    const url = await mseUrl(server, created.json.id, 'cold/writers');
    expect(server.streaming.supervisor.count('publisher:')).toBe(0); // cold: nothing publishes yet

    const got = await firstInit(url);
    expect({ closed: got.closed, errors: got.texts.filter((t) => t.includes('"error"')) }).toEqual({ closed: null, errors: [] });
    expect(got.texts.map((t) => JSON.parse(t).type)).toEqual(['mse']);
    expect(got.init?.subarray(4, 8).toString('latin1')).toBe('ftyp');
  }, 90_000);

  it('a camera output pulled on demand: the first MSE viewer gets the init segment and no error frame', async () => {
    camera = await startRtspCamera({ pattern: 'ball', width: 320, height: 240, fps: 10 });
    server = await start();
    const cam = await server.request('POST', '/api/cameras', { name: 'Porch', sources: [{ url: camera.bareUrl }] });
    expect(cam.status).toBe(201);
    const tx = generatedTransmissionId(cam.json.sources[0].publication_id);
    const path = (await server.request('GET', `/api/streams/transmissions/${tx}`)).json.outputs[0].engine_path as string;
    const url = await mseUrl(server, tx, path);
    expect(camera.connections()).toBe(0); // cold: nobody pulls the camera yet

    const got = await firstInit(url);
    expect({ closed: got.closed, errors: got.texts.filter((t) => t.includes('"error"')) }).toEqual({ closed: null, errors: [] });
    expect(got.init?.subarray(4, 8).toString('latin1')).toBe('ftyp');
  }, 90_000);
});
