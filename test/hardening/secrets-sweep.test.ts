/**
 * Issue 10.11, the secrets sweep. Canary credentials go in through the API (camera user and password,
 * a camera whose URL carries its credentials, the LAN reader password, the api_token) next to the
 * add-on's own secrets (the Supervisor token in the server's environment, the media-token key). Then
 * the server is exercised broadly, in add-on mode over real sockets, with a real GStreamer camera
 * behind those credentials, the engine and sidecar started from the doubles (or the real binaries when
 * TOPOSYNC_STREAMING_MEDIAMTX_PATH / TOPOSYNC_STREAMING_GO2RTC_PATH name them): every GET route, plans
 * and URLs for every client and context, stills (the decoder reading the camera itself, then through
 * the engine), a JSMpeg session, HLS through the proxy, the MSE relay, a writer authenticated by a
 * query token, Home Assistant provisioning, the direct port. The canaries, raw, URL-encoded and
 * base64, are searched in every response (body and headers), every log line, every file under the
 * data directory (rendered engine and sidecar configs included) and the argv and environment of every
 * descendant process, read at several moments. Expected: 0 found.
 *
 * Where a secret is meant to be: settings.json and <data>/secrets (the store), the 0600 input file of
 * a decoder reading a camera (runtime/streaming/secret-inputs), MediaMTX's path config sent over its
 * loopback API (how the engine pulls a camera; the doubles' request logs are not swept), and the LAN
 * reader password in the RTSP URL given to LAN players and Home Assistant entities, by design
 * (README: `GET .../urls` "RTSP for LAN players with the reader user"; DOCS: Home Assistant camera
 * entities read RTSP with the reader user): exactly `urls[].url` of protocol rtsp and
 * `cameras[].stream_source`, each checked to be that URL and nothing else, then left out of the search.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type Listening } from '../../src/addon/listeners.js';
import { DEMO_TRANSMISSION_ID } from '../../src/demo/pipeline.js';
import { generatedTransmissionId } from '../../src/domain/ids.js';
import { engineRuntimeDir } from '../../src/engine/binary.js';
import { CLIENTS, CONTEXTS } from '../../src/playback/plan.js';
import { secretInputDir } from '../../src/runtime/secret-input.js';
import { createAddonServer } from '../../src/addon/server.js';
import type { StreamingServer } from '../../src/server.js';
import { sidecarRuntimeDir } from '../../src/sidecar/binary.js';
import { LOOPBACK_PEERS } from '../addon/harness.js';
import { startSupervisorDouble, type SupervisorDouble } from '../doubles/supervisor/server.js';
import { captureLogger } from '../fixtures/proc-helpers.js';
import { stopAllMediaProcesses } from '../media/proc.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';
import { startRtspCamera, type RtspCamera } from '../media/rtsp-camera.js';
import { ENGINE_BINS, REAL_ENGINES } from '../engines.js';
import { canariesIn, sweepProcesses } from './process-table.js';
import { scale, suiteTimeout } from './scale.js';
import { makeDataDir, removeDataDir } from '../support/data-dir.js';
import { jsonOrNull } from '../support/json.js';

const ENGINE = ENGINE_BINS.mediamtx;
const SIDECAR = ENGINE_BINS.go2rtc;
const REAL_ENGINE = REAL_ENGINES.mediamtx;
const REAL_SIDECAR = REAL_ENGINES.go2rtc;

// Canaries: unique per run, with the characters that change between a secret's forms.
const tag = randomBytes(4).toString('hex');
const C = {
  cameraUser: `cnry-camuser-${tag}`,
  cameraPassword: `Cnry'Cam\\Pw @:%ü-${tag}`,
  urlUser: `cnry-urluser-${tag}`,
  urlPassword: `Cnry-UrlPw/${tag}`,
  readerPassword: `Cnry-Reader:Pw#${tag}`,
  apiToken: `Cnry-ApiToken-${tag}`,
  supervisorToken: `Cnry-SupTok-${tag}`,
  peerSecret: `Cnry-PeerSecret/${tag}`,
};
const READER = 'viewer';

let camera: RtspCamera;
let supervisorDouble: SupervisorDouble;
let streaming: StreamingServer;
let listening: Listening;
let dataDir: string;
let ingress: string;
let direct: string;
let logs: string[];
let canaries: string[];
let savedSupervisorToken: string | undefined;

interface Recorded {
  what: string;
  status: number;
  headers: string;
  body: Buffer;
}
const responses: Recorded[] = [];
const browserUrls: string[] = [];
const processSweeps: { moment: string; processes: number; findings: string[] }[] = [];

/** Every HTTP response of the test passes here: status, headers and body are kept for the search. */
async function http(base: string, method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, redirect: 'manual', ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }) });
  const body = Buffer.from(await res.arrayBuffer());
  responses.push({ what: `${method} ${path.split('?')[0]}`, status: res.status, headers: [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n'), body });
  const json: any = jsonOrNull(body.toString('utf8'));
  return { status: res.status, json, body, headers: res.headers };
}
const api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  http(ingress, method, path, { ...(body === undefined ? {} : { body }), ...(headers ? { headers } : {}) });

function sweepNow(moment: string): void {
  const s = sweepProcesses(canaries);
  processSweeps.push({ moment, ...s });
}

/** Opens a WebSocket, sends `first` (if any), collects messages until `enough` says so; the socket is closed after. */
function session(url: string, opts: { headers?: Record<string, string>; first?: string | Buffer; enough: (binary: number, texts: string[]) => boolean; during?: () => void; timeoutMs?: number }) {
  return new Promise<{ binary: number; texts: string[]; closed: number | null }>((resolve, reject) => {
    const ws = new WebSocket(url, { headers: opts.headers ?? {} });
    let binary = 0;
    const texts: string[] = [];
    let done = false;
    const finish = (closed: number | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ws.close();
      resolve({ binary, texts, closed });
    };
    const timer = setTimeout(() => finish(null), opts.timeoutMs ?? 20_000);
    ws.on('open', () => {
      if (opts.first !== undefined) ws.send(opts.first);
    });
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) binary++;
      else texts.push(data.toString('utf8'));
      if (!done && opts.enough(binary, texts)) {
        opts.during?.();
        finish(null);
      }
    });
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        responses.push({ what: `WS ${url.split('?')[0]}`, status: res.statusCode ?? 0, headers: JSON.stringify(res.headers), body: Buffer.from(text) });
        reject(new Error(`upgrade refused ${res.statusCode}: ${text}`));
      });
    });
    ws.on('close', (code) => finish(code));
    ws.on('error', (e) => (done ? undefined : reject(e)));
  });
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(p)));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

const cameraTx = generatedTransmissionId('camera:door:main');

beforeAll(async () => {
  camera = await startRtspCamera({ username: C.cameraUser, password: C.cameraPassword, pattern: 'green', width: 320, height: 240, fps: 10 });
  supervisorDouble = await startSupervisorDouble({ token: C.supervisorToken, hostname: '127.0.0.1' });
  // The add-on's environment holds the Supervisor token: no child may inherit it. (Set after the
  // camera started: the test's own fixtures inherit the test's environment.)
  savedSupervisorToken = process.env.SUPERVISOR_TOKEN;
  process.env.SUPERVISOR_TOKEN = C.supervisorToken;

  dataDir = await makeDataDir('toposync-secrets');
  const log = captureLogger('debug');
  logs = log.lines;
  const directPort = await freePort();
  const server = await createAddonServer(
    {
      logger: log.logger,
      logLevel: 'debug',
      dataDir,
      mediamtxPath: ENGINE,
      go2rtcPath: SIDECAR,
      mediamtxBundledPaths: [],
      go2rtcBundledPaths: [],
      autoStartEngine: false,
      tickMs: 200,
      cameraFrames: { fps: 5, maxWidth: 640 },
    },
    { mode: 'addon', trustedPeers: LOOPBACK_PEERS, supervisorToken: C.supervisorToken, supervisorUrl: supervisorDouble.url, directPort },
  );
  streaming = server.streaming;
  listening = await listen(server, { host: '127.0.0.1', port: 0 });
  ingress = `http://127.0.0.1:${(listening.ingress.address() as AddressInfo).port}`;
  direct = `http://127.0.0.1:${directPort}`;
  const tokenKey = await readFile(join(dataDir, 'secrets', 'media-token.key'));
  const generatedReader = await readFile(join(dataDir, 'secrets', 'rtsp-reader.password'));
  canaries = [...Object.values(C), tokenKey.toString('base64url'), tokenKey.toString('hex'), generatedReader.toString('base64url')];

  // Canaries in through the API.
  const engine = { rtsp_port: await freePort(), hls_port: await freePort(), webrtc_port: await freePort(), api_port: await freePort(), webrtc_udp_port: await freePort() };
  const patched = await api('PATCH', '/api/streams/settings', {
    engine,
    mse: { enabled: true },
    lan_reader: { username: READER, password: C.readerPassword },
    api_token: C.apiToken,
    // A peer on a closed loopback port: pulls from it and notifications to it fail, and say so without the secret.
    peers: [{ id: 'nas', base_url: 'http://127.0.0.1:9', secret: C.peerSecret }],
  });
  expect(patched.status, JSON.stringify(patched.json)).toBe(200);
  const door = await api('POST', '/api/cameras', { id: 'door', name: 'Door', sources: [{ id: 'main', url: camera.bareUrl, username: C.cameraUser, password: C.cameraPassword }] });
  expect(door.status, JSON.stringify(door.json)).toBe(201);
  const yard = await api('POST', '/api/cameras', { id: 'yard', name: 'Yard', sources: [{ id: 'main', url: `rtsp://${C.urlUser}:${encodeURIComponent(C.urlPassword)}@127.0.0.1:1/yard` }] });
  expect(yard.status, JSON.stringify(yard.json)).toBe(201);
  // Refused writes must not echo what they were sent either.
  await api('PUT', '/api/cameras/door', { name: 'Door', sources: [{ id: 'main', url: camera.bareUrl, username: C.cameraUser, password: C.cameraPassword, role: 'nope' }] });
  await api('PATCH', '/api/streams/settings', { api_token: 'short', lan_reader: { password: `${C.readerPassword}\u0000` } });
  // The stored document holds them: the search below is meaningful.
  const stored = await readFile(join(dataDir, 'settings.json'), 'utf8');
  for (const c of [C.cameraUser, C.cameraPassword, C.urlPassword, C.readerPassword, C.apiToken, C.peerSecret]) expect(stored).toContain(JSON.stringify(c).slice(1, -1));
  sweepNow('started, engine stopped');
}, 60_000);

afterAll(async () => {
  if (savedSupervisorToken === undefined) delete process.env.SUPERVISOR_TOKEN;
  else process.env.SUPERVISOR_TOKEN = savedSupervisorToken;
  for (const s of [listening?.ingress, listening?.direct]) s?.closeAllConnections();
  listening?.close();
  await streaming?.stop();
  await supervisorDouble?.close();
  await camera?.stop();
  await stopAllMediaProcesses();
  if (dataDir) await removeDataDir(dataDir);
});

/** `:param` values of every GET route; a route with a parameter not listed here fails the suite (add it). */
function fill(path: string): string {
  // No scan was started: a made-up scan id reads the 404 path (a GET never starts one). No peer is set: a pull is refused.
  return path
    .replace('/discover/:scan_id', '/discover/no-such-scan')
    .replace(/\/distributed\/(settings|ping)\/:server_id/, '/distributed/$1/nas')
    .replace(/\/(transmissions|live-views|pipelines|cameras|outputs|camera-sources)\/:([a-z_]+)/g, (_m, kind: string, param: string) => {
      const value: Record<string, string> = { transmissions: cameraTx, 'live-views': 'door', pipelines: 'demo', cameras: 'door', outputs: 'default', 'camera-sources': 'door' };
      if (!(kind in value)) throw new Error(`no value for ${param} in ${path}`);
      return `/${kind}/${encodeURIComponent(value[kind]!)}`;
    });
}

async function everyGetRoute(base: string, headers: Record<string, string>, moment: string): Promise<number> {
  let n = 0;
  const seen = new Set<string>();
  for (const r of streaming.app.routes) {
    if (r.method !== 'GET' || r.path.includes('*') || seen.has(r.path)) continue;
    seen.add(r.path);
    const path = fill(r.path);
    expect(path, `route ${r.path} has an unfilled parameter`).not.toMatch(/:[a-z_]+/);
    const res = await http(base, 'GET', path, { headers });
    expect(res.status, `${moment}: GET ${path} → ${res.status} ${res.body.toString().slice(0, 200)}`).toBeLessThan(500);
    n++;
  }
  return n;
}

async function plansAndUrls(tx: string): Promise<void> {
  for (const client of CLIENTS) {
    for (const context of CONTEXTS) {
      for (const headers of [{}, { 'x-ingress-path': '/api/hassio_ingress/AbC123_x' }] as Record<string, string>[]) {
        const plan = await api('GET', `/api/streams/transmissions/${tx}/playback-plan?client=${client}&context=${context}`, undefined, headers);
        expect(plan.status).toBe(200);
        for (const t of plan.json.transports) if (t.url) browserUrls.push(t.url);
        if (plan.json.still_url) browserUrls.push(plan.json.still_url);
      }
    }
  }
  const urls = await api('GET', `/api/streams/transmissions/${tx}/urls`, undefined, { host: '192.0.2.50:8100' });
  for (const u of urls.json.urls) browserUrls.push(u.url);
}

const planUrl = async (tx: string, transport: string) => {
  const plan = await api('GET', `/api/streams/transmissions/${tx}/playback-plan?client=web&context=grid`);
  return plan.json.transports.find((t: { transport: string }) => t.transport === transport) as { url: string | null; available: boolean; blocked_reason: string | null };
};

describe('secrets sweep', () => {
  it(
    'canary credentials appear in no response, log line, file, URL, argv or environment',
    async () => {
      const rounds = scale(1, 10);
      let getRoutes = 0;
      let stills = 0;
      let jsmpegBinary = 0;
      let hlsBodies = 0;
      let mseBinary = 0;
      for (let round = 0; round < rounds; round++) {
        // Engine stopped: the frame decoder reads the camera itself, with its credentials.
        if (streaming.engine.running()) expect((await api('POST', '/api/streams/engine/stop')).status).toBeLessThan(300);
        const release = streaming.demand.acquire(cameraTx);
        try {
          // A size of its own each round: the still cache must not answer with an earlier picture.
          const still = await api('GET', `/api/streams/transmissions/${cameraTx}/still.jpg?width=${320 + 2 * round}`);
          expect(still.status).toBe(200);
          expect(still.headers.get('x-still-source')).toBe('frame');
          expect(still.body.subarray(0, 2).toString('hex')).toBe('ffd8');
          stills++;
          expect(streaming.supervisor.count('frames:')).toBeGreaterThan(0);
          sweepNow(`round ${round}: decoder reading the camera`);
          const jsmpeg = await planUrl(cameraTx, 'jsmpeg');
          expect(jsmpeg.available, jsmpeg.blocked_reason ?? '').toBe(true);
          const s = await session(ingress.replace(/^http/, 'ws') + jsmpeg.url!, { enough: (b) => b >= 5, during: () => sweepNow(`round ${round}: JSMpeg session on the camera`) });
          jsmpegBinary += s.binary;
          expect(s.binary).toBeGreaterThanOrEqual(5);
        } finally {
          release();
        }
        getRoutes += await everyGetRoute(ingress, {}, `round ${round}, engine stopped`);
        await plansAndUrls(cameraTx);

        // Engine and sidecar running: their configs are rendered, the engine is told the camera's URL.
        expect((await api('POST', '/api/streams/engine/start')).status).toBeLessThan(300);
        expect((await api('POST', '/api/streams/mse/start')).status).toBeLessThan(300);
        await waitFor('engine and sidecar running', () => streaming.engine.running() && streaming.sidecar.status().state === 'running');
        sweepNow(`round ${round}: engine and sidecar started`);
        await streaming.runtime.tick();
        // go2rtc restarts once the stream set follows the plan; until then it answers "stream not found".
        await waitFor(
          "go2rtc has the plan's streams",
          () => streaming.sidecar.status().state === 'running' && streaming.sidecar.status().streams.configured > 0 && !streaming.sidecar.status().streams.restart_pending,
        );

        // HLS through the proxy: plan URL, playlists (rewritten for the browser), a segment.
        const enginePath = 'cam/door/main';
        if (!REAL_ENGINE) {
          const apiUrl = streaming.engine.status().api_url!;
          await waitFor('engine path synced', async () => (await fetch(`${apiUrl}/v3/config/paths/get/${enginePath}`)).status === 200);
          const started = await fetch(`${apiUrl}/_double/paths/${enginePath}/hls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ source: 'testsrc' }) });
          expect(started.status).toBeLessThan(300);
        }
        const hls = await planUrl(cameraTx, 'hls');
        expect(hls.available, hls.blocked_reason ?? '').toBe(true);
        let url = new URL(hls.url!, 'http://browser').toString();
        for (let hop = 0; hop < 4; hop++) {
          const r = await waitFor(
            'HLS answers',
            async (): Promise<Awaited<ReturnType<typeof http>> | undefined> => {
              const res = await http(ingress, 'GET', new URL(url).pathname + new URL(url).search);
              return res.status === 200 ? res : undefined;
            },
            30_000,
          );
          hlsBodies++;
          const text = r.body.toString('utf8');
          if (!text.startsWith('#EXTM3U')) break; // a segment
          // Low-Latency HLS lists `gap.mp4` placeholders first: nothing to fetch there.
          const next = text.split('\n').find((l) => l && !l.startsWith('#') && !l.startsWith('gap.mp4'));
          expect(next).toBeDefined();
          browserUrls.push(next!);
          url = new URL(next!, url).toString();
        }
        sweepNow(`round ${round}: HLS served`);

        // MSE through the relay and go2rtc.
        const mse = await planUrl(cameraTx, 'mse');
        expect(mse.available, mse.blocked_reason ?? '').toBe(true);
        const m = await session(ingress.replace(/^http/, 'ws') + mse.url!, {
          first: JSON.stringify({ type: 'mse', value: 'avc1.640029,avc1.64002A,mp4a.40.2' }),
          enough: (b, texts) => b >= 3 || texts.some((t) => t.includes('"error"')),
          during: () => sweepNow(`round ${round}: MSE session`),
        });
        mseBinary += m.binary;
        // The go2rtc double makes its own media; a real go2rtc needs an engine that pulls the camera.
        if (!REAL_SIDECAR || REAL_ENGINE) expect(m.binary, m.texts.join('\n')).toBeGreaterThanOrEqual(3);

        // A still through the engine (a grab, or the decoder on the engine's path).
        const viaEngine = await api('GET', `/api/streams/transmissions/${cameraTx}/still.jpg?width=${160 + 2 * round}`);
        expect(viaEngine.status).toBe(200);
        stills++;

        // A writer authenticated by a query token (logged without it), on the direct port; the demo publisher runs.
        const w = await session(
          `${direct.replace(/^http/, 'ws')}/api/streams/writers/ws?transmission_id=${encodeURIComponent(DEMO_TRANSMISSION_ID)}&writer_id=sweep&token=${encodeURIComponent(C.apiToken)}`,
          {
            enough: (_b, texts) => texts.some((t) => t.includes('"hello"')),
            during: () => sweepNow(`round ${round}: writer connected`),
          },
        );
        expect(w.texts.some((t) => t.includes('"hello"'))).toBe(true);
        await api('POST', `/api/streams/transmissions/${encodeURIComponent(DEMO_TRANSMISSION_ID)}/demand/prime`, { seconds: 2 });
        await api('GET', `/api/streams/transmissions/${encodeURIComponent(DEMO_TRANSMISSION_ID)}/still.jpg`);
        sweepNow(`round ${round}: demo primed`);

        // Home Assistant: the list, a provisioning (Core gets the reader URL; the answer must not), the direct port.
        const list = await api('GET', '/api/streams/home-assistant/cameras');
        expect(list.status).toBe(200);
        const door = list.json.cameras.find((c: { camera_id: string }) => c.camera_id === 'door');
        const provision = await api('POST', `/api/streams/home-assistant/cameras/${encodeURIComponent(door.publication_id)}/provision`);
        // Created once; later rounds find the entry there.
        expect(round === 0 ? [201] : [201, 409], provision.body.toString()).toContain(provision.status);
        const still = await http(door.still_image_url, 'GET', '');
        expect(still.status).toBe(200);
        getRoutes += await everyGetRoute(direct, { authorization: `Bearer ${C.apiToken}` }, `round ${round}, direct port`);
        getRoutes += await everyGetRoute(ingress, {}, `round ${round}, engine running`);
        await plansAndUrls(cameraTx);
        sweepNow(`round ${round}: after the routes`);
      }

      // The search.
      const found: string[] = [];
      const search = (where: string, text: string) => {
        for (const c of canariesIn(text, canaries)) found.push(`${where}: ${JSON.stringify(c)} in ${JSON.stringify(text.slice(0, 400))}`);
      };
      const readerUrl = (u: string) => {
        const url = new URL(u);
        return url.protocol === 'rtsp:' && url.username === READER && decodeURIComponent(url.password) === C.readerPassword && url.search === '' && url.hash === '';
      };
      let allowed = 0;
      for (const r of responses) {
        let text = r.body.toString('latin1') + '\n' + r.body.toString('utf8');
        // The LAN reader's RTSP URL, where it is meant to be (see the header): checked, then left out.
        if (r.what.endsWith('/urls') && r.status === 200 && !r.what.includes('/internal/')) {
          const json = JSON.parse(r.body.toString('utf8'));
          for (const u of json.urls)
            if (u.protocol === 'rtsp') {
              expect(readerUrl(u.url), u.url).toBe(true);
              u.url = '<reader url>';
              allowed++;
            }
          text = JSON.stringify(json);
        }
        if (r.what === 'GET /api/streams/home-assistant/cameras' && r.status === 200) {
          const json = JSON.parse(r.body.toString('utf8'));
          for (const c of json.cameras) {
            expect(readerUrl(c.stream_source), c.stream_source).toBe(true);
            c.stream_source = '<reader url>';
            allowed++;
          }
          text = JSON.stringify(json);
        }
        search(`${r.what} → ${r.status} body`, text);
        search(`${r.what} → ${r.status} headers`, r.headers);
      }
      for (const line of logs) search('log', line);
      for (const u of browserUrls) if (!(u.startsWith('rtsp:') && readerUrl(u))) search('browser URL', u);

      // Files under the data directory, but the store and the decoder's input files.
      const exempt = [join(dataDir, 'settings.json'), join(dataDir, 'secrets'), secretInputDir(dataDir)];
      const files = (await filesUnder(dataDir)).filter((f) => !exempt.some((e) => f === e || f.startsWith(e + '/') || f.startsWith(e + '.')));
      for (const f of files) search(`file ${relative(dataDir, f)}`, (await readFile(f)).toString('utf8'));
      const engineFiles = files.filter((f) => f.startsWith(engineRuntimeDir(dataDir)));
      const sidecarFiles = files.filter((f) => f.startsWith(sidecarRuntimeDir(dataDir)));
      expect(engineFiles.length, 'a rendered engine config was searched').toBeGreaterThan(0);
      expect(sidecarFiles.length, 'a rendered sidecar config was searched').toBeGreaterThan(0);

      for (const s of processSweeps) for (const f of s.findings) found.push(`process at "${s.moment}": ${f}`);
      const processesRead = processSweeps.reduce((n, s) => n + s.processes, 0);

      console.info(
        `[secrets-sweep] ${rounds} round(s), engine ${REAL_ENGINE ? 'real' : 'double'}, sidecar ${REAL_SIDECAR ? 'real' : 'double'}: ` +
          `${responses.length} responses (${getRoutes} GET route calls, ${stills} stills, ${hlsBodies} HLS bodies; ${allowed} reader URLs where they belong), ` +
          `${logs.length} log lines, ${files.length} files (${engineFiles.length} engine, ${sidecarFiles.length} sidecar), ${browserUrls.length} browser URLs, ` +
          `${processSweeps.length} process-table reads (${processesRead} process reads), JSMpeg ${jsmpegBinary} / MSE ${mseBinary} binary messages; ` +
          `${canaries.length} canaries, ${found.length} found`,
      );
      expect(processSweeps.every((s) => s.processes > 0)).toBe(true);
      expect(found).toEqual([]);
    },
    suiteTimeout(180_000, 3_600_000),
  );
});
