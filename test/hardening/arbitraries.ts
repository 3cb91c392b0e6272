/**
 * fast-check arbitraries for fuzzing the API: request bodies (random JSON, raw garbage,
 * "near-valid" documents with mutated fields), path parameters, and the seeded state
 * (`seed.ts`) they are aimed at. The route table using them is `rest-routes.ts`.
 *
 * Field arbitraries are mostly valid (values at the schema limits are valid too: exactly 120
 * characters, port 65535, credentials typed into the URL...) and now and then invalid; whole
 * documents then get 1-3 mutations. Valid-but-extreme values are what reach the code behind the
 * schemas, where derived values (names, URLs) can outgrow the limits of the stored document.
 */
import fc from 'fast-check';
import { ROLES, generatedTransmissionId, implicitPipelineName } from '../../src/domain/ids.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A request body: `text` is sent as is (undefined: no body at all). */
export interface Body {
  kind: string;
  text: string | Buffer | undefined;
}

// ---------------------------------------------------------------------------------------------
// Raw JSON fragments that JSON.stringify cannot write (numbers beyond double range, nesting deep
// enough to overflow a recursive walker). A value may hold a sentinel string; `toText` splices the
// fragment in its place after serialising.

const SENTINEL = /"\\u0000(num|deeparr|deepobj):([0-9eE.+-]*)\\u0000"/g;
const rawNumber = (text: string) => `\u0000num:${text}\u0000`;
const deepArray = (depth: number) => `\u0000deeparr:${depth}\u0000`;
const deepObject = (depth: number) => `\u0000deepobj:${depth}\u0000`;

export function toText(value: unknown): string {
  return JSON.stringify(value).replace(SENTINEL, (_all, kind: string, arg: string) => {
    if (kind === 'num') return arg;
    const depth = Number(arg);
    return kind === 'deeparr' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  });
}

const jsonBody = (kind: string, value: unknown): Body => ({ kind, text: toText(value) });

/** Mostly `valid`, now and then `invalid`. */
export const field = <T>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<unknown>, invalidWeight = 1): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 12, arbitrary: valid }, { weight: invalidWeight, arbitrary: invalid });

// ---------------------------------------------------------------------------------------------
// Strings

export const repeat = (unit: string, n: number) => unit.repeat(Math.max(0, Math.ceil(n / unit.length))).slice(0, n);

/** Lengths at and around the limits the schemas use (63, 64, 120, 128, 160, 200, 256, 1000, 2048). */
const BOUNDARY_LENGTHS = [0, 1, 7, 8, 62, 63, 64, 65, 100, 118, 119, 120, 121, 127, 128, 129, 157, 158, 159, 160, 161, 199, 200, 201, 255, 256, 257, 999, 1000, 1001, 2047, 2048, 2049, 5000];

/** Strings of a length at or near a schema limit, in ASCII, multi-byte or combining characters. */
const boundaryString = fc.tuple(fc.constantFrom(...BOUNDARY_LENGTHS), fc.constantFrom('a', 'Ab1-', 'é', '😀', 'e\u0301', ' ', 'ção ')).map(([n, unit]) => repeat(unit, n));

export const weirdString = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '  padded  ',
    '\t\n',
    '\u0000',
    '\u200b',
    '\ufeff',
    '\ud800',
    '\udfff',
    '😀',
    'null',
    'undefined',
    'true',
    '0',
    '-1',
    'NaN',
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    '../etc/passwd',
    '..',
    '.',
    '/',
    'a/b',
    'a:b',
    'a b',
    'A',
    'Main',
    '-a',
    '_a',
    'a.b',
    '%2F',
    '%',
    '%zz',
    '<script>alert(1)</script>',
    "'; DROP TABLE cameras; --",
    '${jndi:ldap://x}',
    'ｆｕｌｌｗｉｄｔｈ',
  ),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  boundaryString,
);

/** Not a string at all. */
const notString = fc.constantFrom(null, true, 0, 1, -1, [], {}, ['a'], { a: 'a' });

const SLUGS = ['main', 'sub', 'zoom', 'front', 'yard', 'out1', 'default', 'a', '0', 'x_y-z', 'new-one'];
const validSlug = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SLUGS) },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,62}$/) },
  { weight: 1, arbitrary: fc.constant(repeat('a', 63)) },
);
export const invalidSlug = fc.oneof(fc.constantFrom(repeat('a', 64), 'A', 'Front', '-a', '_a', 'a.b', 'a b', 'a/b', 'ção', '', ' main', 'main ', 'main\n'), weirdString, notString);

/** A free text field limited to `max` characters; `trimmed` fields may be padded with blanks. */
function validText(max: number, trimmed = false): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 24 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
    { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 0, max }), fc.constantFrom('a', 'é', 'Ab c-', '\u00a0x')).map(([n, u]) => repeat(u, n)) },
    { weight: 3, arbitrary: fc.constantFrom(repeat('a', max), repeat('é', max), repeat('Ab c-', max), repeat('a', max - 1)) },
    { weight: trimmed ? 1 : 0, arbitrary: fc.constantFrom(` ${repeat('n', max)} `, `\t${repeat('n', max)}\n`) },
  );
}
const invalidText = (max: number) => fc.oneof(fc.constantFrom(repeat('a', max + 1), repeat('😀', max), repeat('é', max + 1)), boundaryString, weirdString, notString);
const text = (max: number, trimmed = false) => field(validText(max, trimmed), invalidText(max), 2);

const SERVER_IDS = ['local', 'other-host', 'srv.2', 'A_b-c.d', repeat('s', 64)];
const serverIdish = field(fc.constantFrom(...SERVER_IDS), fc.oneof(fc.constantFrom(repeat('s', 65), '', 'a b', 'a/b', 'a:b', 'é'), weirdString, notString));

// ---------------------------------------------------------------------------------------------
// URLs

const validHost = fc.constantFrom('192.0.2.10', 'cam.local', 'CAM.Example.com', '[::1]', '[2001:db8::1]', 'xn--bcher-kva.example', 'bücher.example', 'h', '1', 'a_b', '256.256.256.256');
const validPort = fc.constantFrom('', '', ':554', ':0', ':65535', ':08554');
const validPath = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('', '/', '/stream1', '/Streaming/Channels/101', '/live?channel=1&subtype=0', '/a%20b', '/%zz', '/#frag', '/ç/é', '/a b', '/a/../b') },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom(10, 300, 400, 700, 1000, 1400, 2000, 2030), fc.constantFrom('a', 'é', ' ', '"', '<', '^', '😀', '\\', '%41', '|')).map(([n, c]) => `/${repeat(c, n)}`),
  },
);
/** Credentials typed into the URL, short or long, plain or percent-encoded. */
const userinfo = fc.oneof(
  fc.constantFrom('admin', 'ädmin', 'a%20b', 'a%00b', 'user%40x', '%41%42'),
  // Whole units: a cut "%4" would make the URL invalid and hide the length.
  fc.tuple(fc.constantFrom(1, 100, 200, 255, 256, 257, 300, 600), fc.constantFrom('u', 'é', '%41', ' ', '%C3%A9')).map(([n, c]) => c.repeat(n)),
);
const validCredentials = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.tuple(userinfo, fc.option(userinfo, { nil: undefined })).map(([u, p]) => (p === undefined ? `${u}@` : `${u}:${p}@`)) },
);
const validRtspUrl = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom('rtsp://192.0.2.10:554/stream1', 'rtsp://192.0.2.10:554/stream2', 'rtsps://cam.local/live', 'rtsp://admin:pw@192.0.2.10/1') },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom('rtsp://', 'rtsps://', 'RTSP://', 'rtsp://'), validCredentials, validHost, validPort, validPath)
      .map(([scheme, creds, h, p, path]) => `${scheme}${creds}${h}${p}${path}`),
  },
);
const invalidRtspUrl = fc.oneof(
  fc.tuple(fc.constantFrom('rtsp:', 'rtsp:/', 'rtsp:///', 'http://', 'file://', '', 'rtsp//'), fc.constantFrom('', 'u:p@'), validHost, validPath).map(([s, c, h, p]) => `${s}${c}${h}${p}`),
  fc.constantFrom(
    'not a url',
    'rtsp://',
    'rtsp://@',
    'rtsp://:@/',
    'rtsp://[::1',
    'rtsp://h:65536/',
    'rtsp://h:-1/',
    'rtsp://h:abc/',
    'rtsp://%zz@h/',
    'rtsp://u:%@h/',
    'javascript:alert(1)',
    'rtsp://\u0000/',
  ),
  fc.constant(`rtsp://h/${repeat('a', 2048)}`),
  weirdString,
  notString,
);
const rtspUrlish = field(validRtspUrl, invalidRtspUrl, 3);

// ---------------------------------------------------------------------------------------------
// Numbers

const edgeNumber = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    1.5,
    0.1,
    15,
    16,
    59.999,
    60,
    60.0001,
    63,
    64,
    65,
    100,
    160,
    1000,
    1001,
    -1000,
    -1001,
    1920,
    1921,
    3600,
    3601,
    4320,
    4321,
    7680,
    7681,
    50_000,
    50_001,
    60_000,
    60_001,
    65_535,
    65_536,
    2 ** 31,
    2 ** 53,
    -(2 ** 53),
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    Number.EPSILON,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom('1e400', '-1e400', '1e-400', '-0', '1.0', '1E2', '9007199254740993', '0.30000000000000004').map(rawNumber),
);

/** An integer field in [min, max]: anywhere inside, at both ends; invalid: just outside, fractional, edge numbers. */
export const intIn = (min: number, max: number) =>
  field(
    fc.oneof(fc.integer({ min, max }), fc.constantFrom(min, max)),
    fc.oneof(fc.constantFrom(min - 1, max + 1, min + 0.5, `${min}`), edgeNumber, fc.constantFrom(rawNumber(`${max}.0`), rawNumber(`${min}e0`))),
    2,
  );
const numberIn = (min: number, max: number) =>
  field(fc.oneof(fc.double({ min, max, noNaN: true }), fc.constantFrom(min, max)), fc.oneof(fc.constantFrom(min - 0.001, max + 0.001, `${max}`), edgeNumber), 2);

const bool = field(fc.boolean(), fc.constantFrom(0, 1, 'true', 'false', null, [true]), 1);
export const picklist = (values: readonly string[], invalid: string[] = []) =>
  field(fc.constantFrom(...values), fc.oneof(fc.constantFrom(...invalid, ...values.map((v) => v.toUpperCase()), `${values[0]} `), weirdString, notString), 1);
const nullable = (a: fc.Arbitrary<unknown>) => fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 3, arbitrary: a });

// ---------------------------------------------------------------------------------------------
// Any bad value, for mutating a field of a valid document

const anyJson = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>;
/** Nesting deep enough to overflow recursive code (JSON.stringify, structuredClone, deep equality). */
const deepJson = fc.constantFrom(100, 1_000, 2_000, 3_000, 10_000, 100_000).chain((d) => fc.constantFrom(deepArray(d), deepObject(d)));

const badValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(null, true, false, 0, 1, -1, '', 'x', [], {}, [null], { '': null }, ['main'], { id: 'main' }) },
  { weight: 2, arbitrary: edgeNumber },
  { weight: 2, arbitrary: boundaryString },
  { weight: 2, arbitrary: weirdString },
  { weight: 1, arbitrary: invalidSlug },
  { weight: 1, arbitrary: invalidRtspUrl },
  { weight: 1, arbitrary: anyJson },
  { weight: 1, arbitrary: deepJson },
);

const unknownKey = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'extra',
    'ID',
    'Name',
    'metadata',
    'read_only',
    'revision',
    'schema_version',
    'has_credentials',
    'publication_id',
    'nodes',
    'outputs',
    'enabled ',
    '',
  ),
  fc.string({ maxLength: 12 }),
);

type Step = (string | number)[];
type Mutation = { op: 'set'; path: Step; value: unknown } | { op: 'delete'; path: Step } | { op: 'add'; path: Step; key: string; value: unknown } | { op: 'wrap'; path: Step; asArray: boolean };

/** Every path to a value inside `v` (not the root). */
function valuePaths(v: unknown, prefix: Step = [], out: Step[] = []): Step[] {
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      out.push([...prefix, i]);
      valuePaths(x, [...prefix, i], out);
    });
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.push([...prefix, k]);
      valuePaths(x, [...prefix, k], out);
    }
  }
  return out;
}
/** Every path to an object inside `v`, the root included. */
function objectPaths(v: unknown, prefix: Step = [], out: Step[] = []): Step[] {
  if (Array.isArray(v)) v.forEach((x, i) => objectPaths(x, [...prefix, i], out));
  else if (v !== null && typeof v === 'object') {
    out.push(prefix);
    for (const [k, x] of Object.entries(v)) objectPaths(x, [...prefix, k], out);
  }
  return out;
}

/** Adds an own key, "__proto__" included (as JSON.parse would), so it is serialised. */
function defineKey(obj: object, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function applyMutation(root: unknown, m: Mutation): unknown {
  const copy: unknown = structuredClone(root);
  if (m.path.length === 0) {
    if (m.op === 'add' && copy !== null && typeof copy === 'object' && !Array.isArray(copy)) defineKey(copy, m.key, m.value);
    return copy;
  }
  let parent: any = copy;
  for (const step of m.path.slice(0, -1)) parent = parent?.[step];
  const last = m.path[m.path.length - 1]!;
  if (parent === null || typeof parent !== 'object') return copy;
  switch (m.op) {
    case 'set':
      parent[last] = m.value;
      break;
    case 'delete':
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else Reflect.deleteProperty(parent, last);
      break;
    case 'wrap':
      parent[last] = m.asArray ? [parent[last]] : { value: parent[last] };
      break;
    case 'add': {
      const target = parent[last];
      if (target !== null && typeof target === 'object' && !Array.isArray(target)) defineKey(target, m.key, m.value);
      break;
    }
  }
  return copy;
}

/** A valid-shaped document with 1-3 fields replaced, removed, wrapped or added. */
function nearValid(base: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return base.chain((doc) => {
    const values = valuePaths(doc);
    const objects = objectPaths(doc);
    const add = fc.record({ op: fc.constant('add' as const), path: fc.constantFrom(...(objects.length ? objects : [[]])), key: unknownKey, value: fc.oneof(badValue, anyJson) });
    const ops: fc.Arbitrary<Mutation>[] = [add];
    if (values.length > 0) {
      const path = fc.constantFrom(...values);
      ops.push(
        fc.record({ op: fc.constant('set' as const), path, value: badValue }),
        fc.record({ op: fc.constant('set' as const), path, value: badValue }),
        fc.record({ op: fc.constant('delete' as const), path }),
        fc.record({ op: fc.constant('wrap' as const), path, asArray: fc.boolean() }),
      );
    }
    return fc.array(fc.oneof(...ops), { minLength: 1, maxLength: 3 }).map((mutations) => mutations.reduce<unknown>(applyMutation, doc));
  });
}

/** `fc.record` with the keys not in `required` optional. */
export const partial = <T extends Record<string, fc.Arbitrary<unknown>>>(model: T, required: (keyof T & string)[] = []) =>
  fc.record(model, { requiredKeys: required }) as fc.Arbitrary<Record<string, unknown>>;

// ---------------------------------------------------------------------------------------------
// Bodies that are not the document at all

const GARBAGE = [
  '',
  ' ',
  '\n\t ',
  '{',
  '}',
  '[',
  '{"',
  '{"name"',
  '{"name":',
  '{"name":"x"',
  '{"name":"x",}',
  "{'name':'x'}",
  '{name:"x"}',
  'nul',
  'undefined',
  'NaN',
  'Infinity',
  '-',
  '01',
  '1.',
  '.5',
  '"\\x41"',
  '"\\ud800"',
  '"\u0001"',
  '\u0000',
  '\ufeff{}',
  '{} {}',
  '{}garbage',
  '// comment\n{}',
  '/* c */ {}',
  '{"a":1}\u0000',
  'true false',
  '<xml/>',
  'name=x&sources=1',
  '\u00ff\u00fe{}',
];

export const garbageBody: fc.Arbitrary<Body> = fc.oneof(
  fc.constantFrom(...GARBAGE).map((text) => ({ kind: 'garbage', text })),
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((text) => ({ kind: 'string', text })),
  fc.string({ unit: 'binary', maxLength: 40 }).map((text) => ({ kind: 'binary', text })),
  fc.tuple(fc.jsonValue({ maxDepth: 3 }), fc.nat()).map(([v, n]) => {
    const s = JSON.stringify(v);
    return { kind: 'truncated', text: s.slice(0, n % Math.max(1, s.length)) };
  }),
  fc.tuple(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('x', ',', '}', ']', ' ,', '\u0000')).map(([v, tail]) => ({ kind: 'trailing', text: JSON.stringify(v) + tail })),
  fc.constant({ kind: 'none', text: undefined }),
);

export const randomJsonBody: fc.Arbitrary<Body> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => jsonBody('json', v)) },
  { weight: 4, arbitrary: fc.dictionary(fc.oneof(unknownKey, fc.string()), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }).map((v) => jsonBody('json-object', v)) },
  { weight: 1, arbitrary: deepJson.map((d) => jsonBody('deep', d)) },
);

/** The mix every route gets: random JSON, garbage text, and the route's own valid and near-valid documents. */
export function bodyFor(shape: fc.Arbitrary<unknown>): fc.Arbitrary<Body> {
  return fc.oneof(
    { weight: 2, arbitrary: randomJsonBody },
    { weight: 2, arbitrary: garbageBody },
    { weight: 4, arbitrary: shape.map((v) => jsonBody('shape', v)) },
    { weight: 4, arbitrary: nearValid(shape).map((v) => jsonBody('near-valid', v)) },
  );
}

// ---------------------------------------------------------------------------------------------
// Path parameters

export const INVALID_UTF8 = ['%FF', '%C0%AF', '%ED%A0%80', '%E2%82', '%', '%2', '%G0'];

export function encodeSafely(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    // A lone surrogate: send its (invalid) UTF-8 bytes instead.
    return '%ED%A0%80';
  }
}

/** A path parameter: mostly existing ids (so bodies are exercised), sometimes missing or odd ones. */
export function pathParam(existing: string[], others: string[] = []): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(...existing).map(encodeSafely) },
    { weight: 2, arbitrary: fc.constantFrom('missing', 'nope-404', '00000000-0000-4000-8000-000000000000', ...others).map(encodeSafely) },
    { weight: 1, arbitrary: weirdString.filter((s) => s !== '').map(encodeSafely) },
    { weight: 1, arbitrary: fc.constantFrom(...existing).map((s) => encodeSafely(s.toUpperCase())) },
    { weight: 1, arbitrary: fc.constantFrom(...INVALID_UTF8, '%2E%2E', '%2F', 'a%2Fb', '%20', `${existing[0]!}%00`) },
  );
}

// ---------------------------------------------------------------------------------------------
// The seeded state the routes are fuzzed against

export const SEED = {
  camera: 'front',
  pipeline: 'yard',
  manualTx: '5d7f3c2a-9b1e-4c6d-8a0f-1e2d3c4b5a69',
  manualOutput: 'out1',
  cameraTx: generatedTransmissionId('camera:front:main'),
  pipelineTx: generatedTransmissionId('pipeline:yard:out'),
  implicitPipeline: implicitPipelineName(generatedTransmissionId('camera:front:main')),
} as const;

export const seedCamera = {
  id: SEED.camera,
  name: 'Front',
  sources: [
    { id: 'main', role: 'main', url: 'rtsp://192.0.2.10:554/stream1', username: 'admin', password: 'cam-secret' },
    { id: 'sub', role: 'sub', url: 'rtsp://192.0.2.10:554/stream2' },
  ],
};
export const seedPipeline = {
  description: 'Detections in the yard',
  nodes: [
    { id: 'cam', type: 'camera.source', config: { camera_id: SEED.camera, source_id: 'main' } },
    { id: 'det', type: 'ai.detect', inputs: ['cam'], config: { model: 'yolo', threshold: 0.5 } },
    { id: 'out', type: 'stream.publish_video', inputs: ['det'], config: { publication_enabled: true, publication_camera_id: SEED.camera, publication_label: 'IA' } },
  ],
};
export const seedTransmission = {
  id: SEED.manualTx,
  name: 'Manual',
  input: 'camera_source',
  camera_id: SEED.camera,
  camera_source_id: 'main',
  outputs: [{ id: SEED.manualOutput, engine_path: 'manual/one', codec: 'copy', width: null, height: null, fps: null }],
};

// ---------------------------------------------------------------------------------------------
// Document shapes, one per body schema

const role = picklist(ROLES, ['primary', '']);
const credential = nullable(field(validText(256), invalidText(256)));

const sourceShape = partial(
  {
    id: field(fc.constantFrom('main', 'sub', 'zoom', 'cam2', repeat('s', 63)), invalidSlug, 1),
    role,
    label: text(120),
    url: rtspUrlish,
    username: credential,
    password: credential,
    publish: bool,
    has_credentials: bool,
  },
  ['url'],
);
export const cameraShape = (id: fc.Arbitrary<unknown>) => partial({ id, name: text(120, true), sources: fc.array(sourceShape, { maxLength: 4 }) }, ['name']);

const qualityShape = partial({
  profile_id: picklist(['sd', 'hd', 'fhd'], ['', 'uhd']),
  width: intIn(16, 7680),
  height: intIn(16, 4320),
  fps: numberIn(1, 60),
  bitrate_kbps: intIn(64, 50_000),
});
export const publicationShape = partial({
  enabled: bool,
  role,
  label: text(120),
  live_view_id: nullable(field(fc.oneof(fc.constantFrom(SEED.camera, 'shared', 'yard', 'pipeline-yard'), validSlug), invalidSlug)),
  quality_policy: qualityShape,
  transport_policy: partial({ enable_webrtc: bool, prefer: picklist(['hls', 'mse', 'webrtc', 'jsmpeg'], ['rtsp', '']) }),
  host_server_id: serverIdish,
  show_in_dashboard: bool,
  show_in_home_assistant: bool,
});

const NODE_IDS = ['cam', 'det', 'gate', 'out', 'out2'];
const nodeId = field(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...NODE_IDS) }, { weight: 1, arbitrary: validSlug }), invalidSlug);
const publishConfig = partial({
  transmission_id: field(fc.constantFrom('', SEED.manualTx, SEED.cameraTx, SEED.pipelineTx, 'missing', repeat('t', 64)), invalidText(64)),
  input_artifact_name: text(120),
  resize_mode: picklist(['contain'], ['cover']),
  writer_priority: intIn(-1000, 1000),
  bypass_mode: picklist(['auto', 'off', 'force'], ['on']),
  publication_enabled: field(fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.boolean() }), fc.constantFrom('true', 1)),
  publication_camera_id: field(fc.oneof(fc.constantFrom('', SEED.camera, 'ghost'), validSlug), invalidSlug),
  publication_camera_source_id: field(fc.oneof(fc.constantFrom('', 'main', 'sub', 'ghost'), validSlug), invalidSlug),
  publication_live_view_id: field(fc.oneof(fc.constantFrom('', SEED.camera, 'shared'), validSlug), invalidSlug),
  publication_role: role,
  publication_label: field(fc.oneof({ weight: 2, arbitrary: fc.constant('') }, { weight: 3, arbitrary: validText(120) }), invalidText(120)),
  publication_show_in_dashboard: bool,
  publication_show_in_home_assistant: bool,
  publication_quality_profile_id: picklist(['', 'sd', 'hd', 'fhd'], ['4k']),
});
const opaqueConfig = fc.dictionary(
  fc.oneof(fc.constantFrom('mode', 'event_only', 'camera_id', 'output_mode', 'threshold'), fc.string({ maxLength: 10 }), fc.constantFrom(repeat('k', 64), repeat('k', 65))),
  fc.oneof({ weight: 10, arbitrary: anyJson }, { weight: 1, arbitrary: deepJson }),
  { maxKeys: 4 },
);
const nodeShape = fc.oneof(
  {
    weight: 3,
    arbitrary: partial({ id: nodeId, type: fc.constant('stream.publish_video'), inputs: fc.subarray(['cam', 'det', 'gate']), config: publishConfig }, ['id', 'type']),
  },
  {
    weight: 2,
    arbitrary: partial(
      {
        id: nodeId,
        type: field(
          fc.constantFrom('camera.source', 'motion.gate', 'ai.detect', 'ai.tracker', 'x'),
          fc.oneof(fc.constantFrom('Bad.Type', 'a..b', '.x', 'x.', '1x', 'stream.publish_video '), weirdString),
        ),
        inputs: fc.array(nodeId, { maxLength: 3 }),
        config: opaqueConfig,
      },
      ['id', 'type'],
    ),
  },
);
const manyNodes = fc.constantFrom(16, 64, 65).map((n) => Array.from({ length: n }, (_, i) => ({ id: `n${i}`, type: 'x.y', inputs: i ? [`n${i - 1}`] : [] })));
export const pipelineShape = partial(
  {
    enabled: bool,
    description: text(1000),
    processing_server_id: serverIdish,
    nodes: fc.oneof({ weight: 12, arbitrary: fc.array(nodeShape, { maxLength: 4 }) }, { weight: 1, arbitrary: manyNodes }),
  },
  ['nodes'],
);

const enginePath = field(
  fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom('manual/one', 'manual/two', 'x', 'cam', 'Cam/x', 'PIPE/x', 'tx/5d7f3c2a/out1', '.', '..', 'a/../b', 'a/./b', repeat('p', 200)) },
    { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}(\/[A-Za-z0-9_.-]{1,12}){0,3}$/) },
  ),
  fc.oneof(fc.constantFrom('cam/front/main', 'pipe/yard/out', 'a//b', '/a', 'a/', 'a b', repeat('p', 201)), weirdString, notString),
  2,
);
export const outputShape = partial({
  id: field(fc.constantFrom(SEED.manualOutput, 'default', 'out2', repeat('o', 63)), invalidSlug),
  name: text(120),
  enabled: bool,
  engine_path: enginePath,
  codec: picklist(['copy', 'h264', 'h265'], ['vp9']),
  width: nullable(intIn(16, 7680)),
  height: nullable(intIn(16, 4320)),
  fps: nullable(numberIn(1, 60)),
  bitrate_kbps: nullable(intIn(64, 50_000)),
  enable_rtsp: bool,
  enable_hls: bool,
  enable_webrtc: bool,
});
export const transmissionShape = (id: fc.Arbitrary<unknown>) =>
  partial(
    {
      id,
      name: text(160, true),
      description: text(1000),
      enabled: bool,
      host_server_id: serverIdish,
      input: picklist(['camera_source', 'writers'], ['rtsp']),
      camera_id: nullable(field(fc.constantFrom(SEED.camera, 'ghost'), invalidSlug)),
      camera_source_id: nullable(field(fc.constantFrom('main', 'sub', 'ghost'), invalidSlug)),
      outputs: fc.array(outputShape, { maxLength: 3 }),
    },
    ['name'],
  );

const port = intIn(1, 65_535);
/** Never true: a fuzzed download or engine start would then fetch a release from GitHub (tests stay on 127.0.0.1). */
const noDownload = field(fc.constant(false), fc.constantFrom(0, 'true', null, [true]));
const secret = field(fc.oneof(validText(256), fc.constantFrom(repeat('k', 8), repeat('k', 256))), fc.oneof(fc.constantFrom('', 'short', repeat('k', 7), repeat('k', 257)), notString));
export const settingsShape = partial({
  server_id: serverIdish,
  engine: partial({ auto_start: bool, allow_download: noDownload, rtsp_port: port, hls_port: port, webrtc_port: port, webrtc_udp_port: port, api_port: port }),
  lan_reader: partial({ username: field(fc.constantFrom('viewer', 'v.1', repeat('v', 64)), fc.oneof(fc.constantFrom('', repeat('v', 65), 'a b'), notString)), password: secret }),
  demand: partial({ debounce_s: intIn(0, 3600) }),
  writers: partial({ sticky_window_ms: intIn(0, 60_000), stale_after_ms: intIn(100, 60_000) }),
  api_token: secret,
  jsmpeg: partial({ enabled: bool, max_sessions: intIn(0, 64), max_sessions_per_transmission: intIn(0, 16), width: intIn(160, 1920), fps: intIn(1, 30) }),
  mse: partial({ enabled: bool, allow_download: noDownload }),
  still: partial({ cache_ms: intIn(0, 60_000) }),
});

const pipelineName = field(
  fc.oneof(fc.constantFrom(SEED.pipeline, 'wiz-1', 'Wiz.2', repeat('p', 100), repeat('p', 128)), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/)),
  fc.oneof(fc.constantFrom(SEED.implicitPipeline, repeat('p', 129), 'a:b', 'a/b', '.a'), weirdString, notString),
);
export const wizardShape = partial(
  {
    transmission_id: field(fc.constantFrom(SEED.manualTx, SEED.cameraTx, SEED.pipelineTx, 'missing'), fc.oneof(weirdString, notString)),
    pipeline_name: pipelineName,
    processing_server_id: serverIdish,
    camera_id: field(fc.constantFrom(SEED.camera, 'ghost'), invalidSlug),
    camera_source_id: field(fc.constantFrom('main', 'sub', 'ghost'), invalidSlug),
    writer_priority: intIn(-1000, 1000),
    enabled: bool,
  },
  ['transmission_id', 'pipeline_name'],
);
