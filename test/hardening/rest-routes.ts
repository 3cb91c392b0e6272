/**
 * Every REST route the composed server mounts, keyed as Hono lists them in `app.routes`
 * (`METHOD path`), with what the bad-input suite sends to it: request-targets (path parameters
 * and query strings, hostile ones included), bodies, and a valid example body whose every leaf
 * the fixed corpus replaces with a lone surrogate, a NUL, a huge string and a deep value.
 * `fuzz-rest.test.ts` fails when `app.routes` and this table disagree.
 */
import fc from 'fast-check';
import { isIP } from 'node:net';
import { EVENT_CLIENTS, EVENT_TRANSPORTS, PLAYBACK_EVENTS } from '../../src/playback/events.js';
import { CLIENTS, CONTEXTS } from '../../src/playback/plan.js';
import { CLIENT_KINDS } from '../../src/runtime/demand.js';
import {
  INVALID_UTF8,
  SEED,
  bodyFor,
  cameraShape,
  encodeSafely,
  field,
  garbageBody,
  intIn,
  invalidSlug,
  outputShape,
  partial,
  pathParam,
  picklist,
  pipelineShape,
  publicationShape,
  randomJsonBody,
  repeat,
  settingsShape,
  transmissionShape,
  weirdString,
  wizardShape,
  type Body,
} from './arbitraries.js';
import { SOAK } from './scale.js';
import { API_TOKEN, SEED_SETTINGS, type MediaUrls } from './seed.js';

export interface RestRoute {
  /** `METHOD path` as in Hono's `app.routes`. */
  key: string;
  method: string;
  /** How often the random part picks it (0: only in the corpus). */
  weight: number;
  /** Path and query, percent-encoded. */
  target: fc.Arbitrary<string>;
  /** Bodies; for routes that read none, whatever a client might still send. */
  body: fc.Arbitrary<Body>;
  /** Reads a JSON body: a write with another content type must be refused. */
  json: boolean;
  /** For the corpus: the path with valid parameters, each parameter's name and valid value, known query keys, a body the route accepts. */
  corpus: { path: (params: Record<string, string>) => string; params: Record<string, string>; query: string[]; example?: Record<string, unknown> };
  /**
   * 5xx error codes this route may answer with: the state of an upstream or of the environment
   * (engine stopped, no Supervisor outside Home Assistant), not a fault of the server. Any other
   * 5xx fails the suite.
   */
  upstream: string[];
}

// ---------------------------------------------------------------------------------------------
// Query strings

/** An already-encoded query value that is not what any route expects. */
const hostileQueryValue = fc.oneof(weirdString.map(encodeSafely), fc.constantFrom(...INVALID_UTF8, '%00', '', repeat('q', 5000), '%ED%A0%80%ED%A0%80'));
const hostileQueryKey = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'a[]', 'a[b]', '%ED%A0%80', '%00', '', 'media_token', 'token'), weirdString.map(encodeSafely));

/** `?k=v&…` (or nothing): known keys with mostly valid values, repeated keys, strangers. */
function queryOf(known: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const keys = Object.keys(known);
  const knownPair = keys.length
    ? [{ weight: 4, arbitrary: fc.constantFrom(...keys).chain((k) => fc.tuple(fc.constant(k), fc.oneof({ weight: 3, arbitrary: known[k]! }, { weight: 1, arbitrary: hostileQueryValue }))) }]
    : [];
  const pair = fc.oneof(...knownPair, { weight: 1, arbitrary: fc.tuple(hostileQueryKey, hostileQueryValue) });
  // Mostly no query or only known keys: a hostile query is refused before the body is read, and bodies need their turn.
  const pairs = fc.oneof({ weight: keys.length ? 2 : 6, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(pair, { minLength: 1, maxLength: 4 }) });
  return pairs.map((ps) => (ps.length ? `?${ps.map(([k, v]) => `${k}=${v}`).join('&')}` : ''));
}

const pick = (values: readonly string[]) => fc.constantFrom(...values);

// ---------------------------------------------------------------------------------------------
// Path parameters over the seeded state

const cameraParam = pathParam([SEED.camera], ['ghost']);
const sourceParam = pathParam(['main', 'sub'], ['ghost']);
const pipelineParam = pathParam([SEED.pipeline, 'new-pipe', 'New.Pipe_2', repeat('p', 100), repeat('p', 128)], [SEED.implicitPipeline, 'demo', repeat('p', 129), 'transmission:x']);
const txParam = fc.oneof(
  { weight: 3, arbitrary: pathParam([SEED.manualTx, SEED.pipelineTx], [SEED.cameraTx, SEED.manualTx.toUpperCase()]) },
  { weight: 1, arbitrary: fc.constantFrom(SEED.cameraTx, SEED.pipelineTx) },
);
const outputParam = pathParam([SEED.manualOutput, 'default'], ['out2']);
const liveViewParam = pathParam([SEED.camera, `pipeline-${SEED.pipeline}`], ['ghost']);
const anyIdParam = pathParam(['x', `camera:${SEED.camera}:main`], ['ghost']);

// ---------------------------------------------------------------------------------------------
// Bodies of the runtime routes

const heartbeatShape = partial({ client: picklist(CLIENT_KINDS, ['tv']), session_id: field(fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/), fc.oneof(weirdString, fc.constant(repeat('s', 65)))) }, [
  'client',
]);
const primeShape = partial({ seconds: intIn(1, 120) });
const eventShape = partial(
  {
    transmission_id: field(fc.constantFrom(SEED.pipelineTx, SEED.cameraTx, 'x'), fc.oneof(weirdString, fc.constant(repeat('t', 129)))),
    output_id: field(fc.constantFrom('default', null), weirdString),
    client: picklist(EVENT_CLIENTS),
    context: picklist(CONTEXTS),
    event: picklist(PLAYBACK_EVENTS),
    transport: picklist(EVENT_TRANSPORTS),
    from_transport: picklist(EVENT_TRANSPORTS),
    ttff_ms: intIn(0, 600_000),
    reason: field(fc.string({ maxLength: 40 }), fc.constant(repeat('r', 501))),
    session_id: field(fc.constantFrom('s1', null), weirdString),
  },
  ['transmission_id', 'client', 'event', 'transport'],
);
const eventsBody = fc.oneof(
  eventShape,
  fc.array(eventShape, { maxLength: 3 }),
  fc.constant(Array.from({ length: 51 }, () => ({ transmission_id: 'x', client: 'web', event: 'chosen', transport: 'hls' }))),
);
const SDP = 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 H264/90000\r\n';
const offerShape = partial(
  {
    sdp: field(fc.constantFrom(SDP, `${SDP}a=${repeat('x', 70_000)}\r\n`), fc.oneof(weirdString, fc.constantFrom('v=0\r\n', 'm=video'))),
    output_id: field(fc.constantFrom('default', SEED.manualOutput), invalidSlug),
    context: picklist(CONTEXTS),
  },
  ['sdp'],
);

/** Never a body that turns downloads on (see `noDownload` in arbitraries.ts: a mutation may set any field to true). */
const noDownloads = (b: Body) => typeof b.text !== 'string' || !b.text.includes('"allow_download":true');

// ONVIF: the server's discovery Probes go to a loopback UDP port nobody answers (child-server.ts), and an
// import dials the host its body names, so every body that names a host the server would accept names
// 127.0.0.1 (port 1 in the example: refused at once). No request of this suite reaches off loopback.
const discoverShape = partial({ timeout_ms: intIn(500, 15_000) });
const onvifImportShape = partial(
  {
    host: field(fc.constant('127.0.0.1'), fc.oneof(fc.constantFrom('http://127.0.0.1', '127.0.0.1:80', '127.0.0.1/onvif', '[::1', 'a b', repeat('h', 300)), weirdString)),
    port: intIn(1, 65_535),
    device_path: field(fc.constantFrom('/onvif/device_service', '/'), fc.oneof(fc.constantFrom('onvif', '/a?b=1', '/a#b', repeat('/a', 200)), weirdString)),
    username: field(fc.constantFrom('admin', null), fc.oneof(fc.constant(repeat('u', 257)), fc.constantFrom(0, true, []))),
    password: field(fc.constantFrom('pa<&"ss', null), fc.oneof(fc.constant(repeat('p', 257)), fc.constantFrom(0, true, []))),
    name: field(fc.constantFrom('Porch', 'Câmera'), fc.oneof(fc.constantFrom('', ' ', repeat('n', 121)), weirdString)),
    id: field(fc.constantFrom('onvif-cam'), invalidSlug),
    dry_run: field(fc.boolean(), fc.constantFrom('true', 1, null)),
  },
  ['host'],
);
/** Whether a body, if the server accepts its host, makes the import dial 127.0.0.1 only (never another address, never a DNS lookup). */
function dialsLoopbackOnly(b: Body): boolean {
  if (typeof b.text !== 'string') return true;
  let doc: unknown;
  try {
    doc = JSON.parse(b.text);
  } catch {
    return true;
  }
  const host = (doc as { host?: unknown } | null)?.host;
  if (typeof host !== 'string') return true;
  const h = host.trim().replace(/^\[|\]$/g, '');
  // Kept: the loopback address, or a value no host name or IP address can be (the server refuses it before dialling).
  return h === '127.0.0.1' || h === '' || (isIP(h) === 0 && /[^A-Za-z0-9.-]/.test(h));
}

/** Bodies for routes that read none: whatever is sent must not matter. */
const ignoredBody = fc.oneof({ weight: 3, arbitrary: fc.constant<Body>({ kind: 'none', text: undefined }) }, { weight: 1, arbitrary: randomJsonBody }, { weight: 1, arbitrary: garbageBody });

// ---------------------------------------------------------------------------------------------
// The table

interface Spec {
  params?: Record<string, [valid: string, arb: fc.Arbitrary<string>]>;
  query?: Record<string, fc.Arbitrary<string>>;
  shape?: fc.Arbitrary<unknown>;
  example?: Record<string, unknown>;
  weight?: number;
  upstream?: string[];
  /** Instead of template + params + query. */
  target?: fc.Arbitrary<string>;
  /** Bodies the route may be sent (all by default). */
  sendable?: (b: Body) => boolean;
}

function route(method: string, template: string, spec: Spec = {}): RestRoute {
  const params = spec.params ?? {};
  const names = Object.keys(params);
  const fill = (values: Record<string, string>) => template.replace(/:([a-z_]+)/g, (_m, name: string) => values[name] ?? `:${name}`);
  const paramArb = names.length ? fc.tuple(...names.map((n) => params[n]![1])).map((vs) => Object.fromEntries(names.map((n, i) => [n, vs[i]!]))) : fc.constant({});
  const target = spec.target ?? fc.tuple(paramArb, queryOf(spec.query ?? {})).map(([values, q]) => fill(values) + q);
  const reads = spec.shape !== undefined;
  return {
    key: `${method} ${template}`,
    method,
    weight: spec.weight ?? 10,
    target,
    body: reads ? bodyFor(spec.shape!).filter((b) => noDownloads(b) && (spec.sendable?.(b) ?? true)) : ignoredBody,
    json: reads,
    corpus: { path: fill, params: Object.fromEntries(names.map((n) => [n, params[n]![0]])), query: Object.keys(spec.query ?? {}), ...(spec.example ? { example: spec.example } : {}) },
    upstream: spec.upstream ?? [],
  };
}

const SOURCE = { id: 'main', role: 'main', label: 'Main', url: 'rtsp://192.0.2.20:554/1', username: 'user', password: 'pass', publish: true };
const OUTPUT = {
  id: 'out9',
  name: 'Out',
  enabled: true,
  engine_path: 'manual/nine',
  codec: 'copy',
  width: null,
  height: null,
  fps: null,
  bitrate_kbps: null,
  enable_rtsp: true,
  enable_hls: true,
  enable_webrtc: false,
};
const EXAMPLES = {
  camera: { name: 'Corpus', sources: [SOURCE] },
  publication: {
    enabled: true,
    role: 'main',
    label: 'Main',
    live_view_id: SEED.camera,
    quality_policy: { profile_id: 'hd' },
    transport_policy: { enable_webrtc: false, prefer: 'hls' },
    host_server_id: 'local',
    show_in_dashboard: true,
    show_in_home_assistant: false,
  },
  pipeline: {
    enabled: true,
    description: 'Corpus',
    processing_server_id: 'local',
    nodes: [
      { id: 'cam', type: 'camera.source', config: { camera_id: SEED.camera, source_id: 'main' } },
      {
        id: 'out',
        type: 'stream.publish_video',
        inputs: ['cam'],
        config: { publication_enabled: true, publication_camera_id: SEED.camera, publication_label: 'Corpus', resize_mode: 'contain', writer_priority: 5 },
      },
    ],
  },
  transmission: {
    name: 'Corpus',
    description: 'd',
    enabled: true,
    host_server_id: 'local',
    input: 'writers',
    camera_id: null,
    camera_source_id: null,
    outputs: [{ ...OUTPUT, engine_path: 'corpus/one', codec: 'h264' }],
  },
  output: OUTPUT,
  settings: { server_id: 'local', engine: { auto_start: true }, lan_reader: SEED_SETTINGS.lan_reader, api_token: API_TOKEN, jsmpeg: { width: 320 }, still: { cache_ms: 2000 } },
  wizard: { transmission_id: SEED.manualTx, pipeline_name: 'corpus-wizard', processing_server_id: 'local', camera_id: SEED.camera, camera_source_id: 'main', writer_priority: 1, enabled: true },
  heartbeat: { client: 'web', session_id: 'corpus-1' },
  prime: { seconds: 5 },
  events: {
    transmission_id: SEED.pipelineTx,
    output_id: 'default',
    client: 'web',
    context: 'grid',
    event: 'fell_back',
    transport: 'hls',
    from_transport: 'mse',
    ttff_ms: 10,
    reason: 'corpus',
    session_id: 's1',
  },
  offer: { sdp: SDP, output_id: 'default', context: 'ptz' },
  discover: { timeout_ms: 500 },
  onvifImport: { host: '127.0.0.1', port: 1, username: 'admin', password: 'pa<&"ss', dry_run: true },
};

/** A media URL with its token intact, damaged, missing or meant for another transport, and its path bent. */
function mediaTarget(url: string, other: string): fc.Arbitrary<string> {
  const [path, query = ''] = url.split('?') as [string, string?];
  const token = new URLSearchParams(query).get('media_token') ?? '';
  const otherToken = new URLSearchParams(other.split('?')[1] ?? '').get('media_token') ?? '';
  const tokens = fc.oneof(
    { weight: 4, arbitrary: fc.constant(token) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        '',
        otherToken,
        `${token}!`,
        `${token}%20`,
        token.slice(0, -1),
        `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`,
        token.replace('.', '..'),
        repeat('t', 20_000),
        '%ED%A0%80',
        '%00',
      ),
    },
  );
  const dir = path.slice(0, path.lastIndexOf('/') + 1);
  const paths = fc.oneof(
    { weight: 4, arbitrary: fc.constant(path) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        `${dir}../../../settings.json`,
        `${dir}%2e%2e/%2e%2e/x`,
        `${dir}..%2F..%2Fx`,
        `${dir}seg0.mp4`,
        `${dir}x.m3u8`,
        `${dir}${repeat('a', 3000)}`,
        `${dir}%ED%A0%80`,
        `${dir}%00`,
        path.replace('pipe/', 'cam/'),
        `${path}/`,
        `${dir}/`,
      ),
    },
  );
  return fc.tuple(paths, tokens, queryOf({})).map(([p, t, q]) => `${p}?media_token=${t}${q ? `&${q.slice(1)}` : ''}`);
}

// The engine's state, and for a transmission a peer hosts (a fuzzed host_server_id names no peer), its host's.
const STATE_UPSTREAM = ['engine_not_running', 'host_unreachable', 'host_timeout', 'host_refused'];
const HLS_UPSTREAM = [...STATE_UPSTREAM, 'hls_upstream_failed', 'hls_upstream_timeout', 'hls_upstream_unreachable', 'hls_upstream_refused'];

export function restRoutes(media: MediaUrls): RestRoute[] {
  const tx = { id: [SEED.manualTx, txParam] } as Record<string, [string, fc.Arbitrary<string>]>;
  const out = { ...tx, output_id: [SEED.manualOutput, outputParam] } as Record<string, [string, fc.Arbitrary<string>]>;
  const plan = { client: pick(CLIENTS), context: pick(CONTEXTS) };
  const lifecycle = (name: string) =>
    // A restart replaces the engine's or the sidecar's process (seconds each): only the corpus and soak runs send it.
    ['start', 'stop', 'restart', 'download'].map((action) => route('POST', `/api/streams/${name}/${action}`, { weight: { start: 1, stop: 1, restart: SOAK ? 1 : 0, download: 3 }[action] }));
  return [
    route('GET', '/api/cameras'),
    route('POST', '/api/cameras', { shape: cameraShape(field(fc.constantFrom(SEED.camera, 'back', 'garage'), invalidSlug)), example: EXAMPLES.camera, weight: 20 }),
    route('GET', '/api/cameras/:camera_id', { params: { camera_id: [SEED.camera, cameraParam] } }),
    route('PUT', '/api/cameras/:camera_id', {
      params: { camera_id: [SEED.camera, cameraParam] },
      shape: cameraShape(field(fc.constant(SEED.camera), fc.oneof(invalidSlug, fc.constant('back')))),
      example: EXAMPLES.camera,
      weight: 20,
    }),
    route('DELETE', '/api/cameras/:camera_id', { params: { camera_id: [SEED.camera, cameraParam] } }),
    // Never the seeded camera: its sources sit at TEST-NET, and a probe would reach for them (directly, or through the engine).
    route('POST', '/api/cameras/:camera_id/sources/:source_id/probe', { params: { camera_id: ['ghost', pathParam(['ghost'])], source_id: ['main', sourceParam] } }),
    route('POST', '/api/cameras/discover', { shape: discoverShape, example: EXAMPLES.discover, weight: 4 }),
    route('GET', '/api/cameras/discover/:scan_id', { params: { scan_id: ['ghost', pathParam(['ghost'])] } }),
    // Nothing answers ONVIF on loopback here: the import ends in a refusal (422) or no answer (504) or a fault (502).
    route('POST', '/api/cameras/onvif/import', { shape: onvifImportShape, example: EXAMPLES.onvifImport, sendable: dialsLoopbackOnly, upstream: ['onvif_no_answer', 'onvif_fault'] }),
    route('GET', '/api/streams/publications', { query: { camera_id: cameraParam } }),
    route('PUT', '/api/streams/publications/camera-sources/:camera_id/:source_id', {
      params: { camera_id: [SEED.camera, cameraParam], source_id: ['main', sourceParam] },
      shape: publicationShape,
      example: EXAMPLES.publication,
      weight: 16,
    }),
    route('POST', '/api/streams/reconcile'),
    route('GET', '/api/streams/pipelines'),
    route('GET', '/api/streams/pipelines/:name', { params: { name: [SEED.pipeline, pipelineParam] } }),
    route('PUT', '/api/streams/pipelines/:name', { params: { name: ['corpus-pipe', pipelineParam] }, shape: pipelineShape, example: EXAMPLES.pipeline, weight: 20 }),
    route('DELETE', '/api/streams/pipelines/:name', { params: { name: ['corpus-pipe', pipelineParam] } }),
    route('GET', '/api/streams/runtime/pipelines'),
    route('GET', '/api/streams/settings'),
    // No peer is configured in the seed: every pull is the 401 an unknown peer gets.
    route('GET', '/api/streams/distributed/settings/:server_id', { params: { server_id: ['nas', pathParam(['nas'])] } }),
    route('POST', '/api/streams/distributed/notify/:server_id', { params: { server_id: ['nas', pathParam(['nas'])] } }),
    route('GET', '/api/streams/distributed/status'),
    route('GET', '/api/streams/distributed/ping/:server_id', { params: { server_id: ['nas', pathParam(['nas'])] } }),
    route('PATCH', '/api/streams/settings', { shape: settingsShape, example: EXAMPLES.settings, weight: 16 }),
    route('POST', '/api/streams/wizard/create-pipeline', { shape: wizardShape, example: EXAMPLES.wizard, weight: 14 }),
    route('GET', '/api/streams/transmissions'),
    route('POST', '/api/streams/transmissions', {
      shape: transmissionShape(field(fc.oneof(fc.uuid(), fc.constantFrom(SEED.manualTx, SEED.cameraTx, SEED.manualTx.toUpperCase())), weirdString)),
      example: EXAMPLES.transmission,
      weight: 20,
    }),
    route('GET', '/api/streams/transmissions/:id', { params: tx }),
    route('PUT', '/api/streams/transmissions/:id', {
      params: tx,
      shape: transmissionShape(field(fc.constant(SEED.manualTx), fc.oneof(fc.uuid(), weirdString))),
      example: { ...EXAMPLES.transmission, input: 'camera_source', camera_id: SEED.camera, camera_source_id: 'main', outputs: [{ ...OUTPUT, engine_path: 'corpus/two' }] },
      weight: 20,
    }),
    route('DELETE', '/api/streams/transmissions/:id', { params: tx }),
    route('GET', '/api/streams/transmissions/:id/outputs', { params: tx }),
    route('POST', '/api/streams/transmissions/:id/outputs', { params: tx, shape: outputShape, example: EXAMPLES.output, weight: 16 }),
    route('PUT', '/api/streams/transmissions/:id/outputs/:output_id', {
      params: out,
      shape: outputShape,
      example: { ...EXAMPLES.output, id: SEED.manualOutput, engine_path: 'manual/one' },
      weight: 16,
    }),
    route('DELETE', '/api/streams/transmissions/:id/outputs/:output_id', { params: out }),
    route('GET', '/api/streams/live-views'),
    route('GET', '/api/streams/live-views/:id', { params: { id: [SEED.camera, liveViewParam] } }),
    route('GET', '/api/streams/engine/status'),
    ...lifecycle('engine'),
    route('GET', '/api/streams/mse/status'),
    ...lifecycle('mse'),
    route('GET', '/api/streams/transmissions/:id/demand', { params: tx, upstream: STATE_UPSTREAM }),
    route('POST', '/api/streams/transmissions/:id/demand/heartbeat', { params: tx, shape: heartbeatShape, example: EXAMPLES.heartbeat, upstream: STATE_UPSTREAM }),
    route('POST', '/api/streams/transmissions/:id/demand/prime', { params: tx, shape: primeShape, example: EXAMPLES.prime, upstream: STATE_UPSTREAM }),
    route('GET', '/api/streams/runtime/outputs'),
    route('GET', '/api/streams/runtime/health'),
    route('GET', '/api/streams/runtime/diagnostics'),
    route('GET', '/api/streams/runtime/observability'),
    route('GET', '/api/streams/runtime/diagnostic-snapshot'),
    route('GET', '/api/streams/transmissions/:id/playback-plan', { params: tx, query: plan }),
    route('GET', '/api/streams/live-views/:id/playback-plan', { params: { id: [SEED.camera, liveViewParam] }, query: plan }),
    route('GET', '/api/streams/transmissions/:id/urls', { params: tx }),
    route('GET', '/api/streams/internal/transmissions/:id/urls', { params: tx }),
    route('GET', '/api/streams/transmissions/:id/still.jpg', {
      params: { id: [SEED.pipelineTx, txParam] },
      query: {
        width: fc.constantFrom('16', '320', '4096', '0', '99999', '-1', '1.5'),
        height: fc.constantFrom('16', '240', '4096', '0'),
        output_id: fc.constantFrom('default', SEED.manualOutput, 'Bad'),
      },
      weight: 5,
      upstream: STATE_UPSTREAM,
    }),
    route('POST', '/api/streams/transmissions/:id/webrtc/offer', {
      params: { id: [SEED.cameraTx, txParam] },
      query: { output_id: fc.constantFrom('default', 'Bad'), context: pick(CONTEXTS) },
      shape: offerShape,
      example: EXAMPLES.offer,
      upstream: [...STATE_UPSTREAM, 'whep_upstream_error'],
    }),
    route('POST', '/api/streams/runtime/playback-events', { shape: eventsBody, example: EXAMPLES.events }),
    route('GET', '/api/streams/runtime/playback-events', { query: { limit: fc.constantFrom('0', '50', '1000', '1001', '-1', '1e3', '99999') } }),
    route('GET', '/api/streams/media/jsmpeg/*', { target: mediaTarget(media.jsmpeg, media.hls) }),
    route('GET', '/api/streams/runtime/jsmpeg/sessions'),
    route('GET', '/api/streams/addon'),
    route('GET', '/api/streams/home-assistant/cameras'),
    // Outside Home Assistant there is no Supervisor to create an entity through: 503 no_supervisor says so.
    route('POST', '/api/streams/home-assistant/cameras/:publication_id/provision', { params: { publication_id: [`camera:${SEED.camera}:main`, anyIdParam] }, upstream: ['no_supervisor'] }),
    route('DELETE', '/api/streams/home-assistant/cameras/entries/:entry_id', { params: { entry_id: ['x', anyIdParam] } }),
    route('GET', '/api/streams/media/hls/*', { target: mediaTarget(media.hls, media.jsmpeg), weight: 12, upstream: HLS_UPSTREAM }),
    route('GET', '/api/streams/transmissions/:id/hls/probe', { params: tx, query: { output_id: fc.constantFrom('default', SEED.manualOutput, repeat('o', 201)) }, upstream: HLS_UPSTREAM }),
    route('GET', '/', { query: {} }),
    route('GET', '/index.html'),
    route('ALL', '/assets/*', {
      target: fc
        .tuple(fc.constantFrom('app.js', 'app.css', 'missing.js', '../package.json', '..%2F..%2Fpackage.json', '%2e%2e/%2e%2e/package.json', '%ED%A0%80', '%00', repeat('a', 3000), ''), queryOf({}))
        .map(([f, q]) => `/assets/${f}${q}`),
    }),
  ];
}

/** Methods a client may try on any path. */
export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Paths no route serves: unknown, malformed, traversing. */
export const strayTarget = fc.oneof(
  fc.constantFrom(
    '/api',
    '/api/',
    '/api/streams',
    '/api//cameras',
    '//api/cameras',
    '/api/cameras/',
    '/api/streams/transmissions//outputs',
    '/../../etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/api/%ED%A0%80',
    '/api/streams/%00',
    `/${repeat('a', 8000)}`,
    '/api/streams/writers/ws',
    '/api/streams/media/mse/pipe/yard/out/ws',
    '/*',
    '/api/cameras?%',
  ),
  weirdString.map((s) => `/api/streams/${encodeSafely(s)}`),
);
