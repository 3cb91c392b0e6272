/**
 * What the REST bad-input suite sends: a case is a route's request (target, body) with the
 * headers a client chose (content type, Origin, Host, Sec-Fetch-Site, ingress prefix, range, the
 * port and its authorization), and the refusal the final contract requires of it, if any.
 * `corpusCases` is fixed (every route, every leaf of its example body, every parameter and query
 * key, each with the hostile values); `randomCase` mixes the route table's arbitraries.
 */
import fc from 'fast-check';
import { repeat, toText, type Body } from './arbitraries.js';
import { METHODS, strayTarget, type RestRoute } from './rest-routes.js';
import { API_TOKEN } from './seed.js';
import type { Sent } from './wire.js';

type OriginKind = 'none' | 'same' | 'foreign' | 'other-port' | 'null';
type HostKind = 'default' | 'localhost' | 'v6' | 'rebound' | 'empty' | 'huge';

export interface Case {
  route: RestRoute | null;
  method: string;
  target: string;
  body: Body;
  /** null: no content-type header. */
  contentType: string | null;
  originKind: OriginKind;
  host: HostKind;
  fetchSite: string | null;
  ingressPath: string | null;
  range: string | null;
  via: 'ingress' | 'direct';
  authorization: string | null;
}

/** The accepted spellings of a JSON body's type; anything else on a write with a body is refused (415). */
const JSON_TYPE = /^application\/json\s*(;\s*charset="?utf-8"?\s*)?$/i;
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * A route's example body as is must be accepted: otherwise every corpus case built on it would be
 * refused for the example's fault. The exceptions: the WebRTC offer (the seeded outputs do not
 * enable WebRTC (409) and the MediaMTX double answers no WHEP) and the ONVIF import (no camera
 * answers on loopback here, and the suite dials nothing else).
 */
const NEVER_ACCEPTED = new Set(['POST /api/streams/transmissions/:id/webrtc/offer', 'POST /api/cameras/onvif/import']);
export const mustAccept = (c: Case) => c.body.kind === 'accepted example' && !NEVER_ACCEPTED.has(c.route?.key ?? '');

/** Why the final contract requires a 4xx for this case (null: any answer but a 5xx will do). */
export function requiredRefusal(c: Case): string | null {
  const api = c.target.startsWith('/api/');
  const hasBody = c.body.text !== undefined && c.body.text.length > 0;
  if (c.body.kind.startsWith('lone-surrogate')) return 'a string that is not well-formed Unicode is refused at the edge (422 naming the field)';
  if (c.body.kind === 'path-not-utf8') return 'a path parameter that is not UTF-8 is refused';
  if (c.via !== 'ingress' || !api) return null;
  if (c.host === 'rebound') return 'a Host the server does not answer for (DNS rebinding) is refused';
  if (c.originKind === 'foreign' || c.originKind === 'other-port') return 'a request from a foreign Origin is refused';
  if (!WRITES.has(c.method)) return null;
  if (c.fetchSite === 'cross-site') return 'a cross-site write (Sec-Fetch-Site) is refused';
  const sdpOffer = c.route?.key === 'POST /api/streams/transmissions/:id/webrtc/offer' && c.contentType?.toLowerCase() === 'application/sdp';
  if (hasBody && !sdpOffer && (c.contentType === null || !JSON_TYPE.test(c.contentType))) return 'a write whose body is not application/json is refused (415)';
  return null;
}

export function toSent(c: Case, port: number): Sent {
  const headers: Record<string, string> = {};
  if (c.contentType !== null && c.body.text !== undefined) headers['content-type'] = c.contentType;
  const hosts: Record<HostKind, string | null> = { default: null, localhost: `localhost:${port}`, v6: `[::1]:${port}`, rebound: `evil.example:${port}`, empty: '', huge: repeat('h', 300) };
  const host = hosts[c.host];
  if (host !== null) headers.host = host;
  const origins: Record<OriginKind, string | null> = {
    none: null,
    same: `http://127.0.0.1:${port}`,
    foreign: 'https://evil.example',
    'other-port': `http://127.0.0.1:${port === 1 ? 2 : 1}`,
    null: 'null',
  };
  const origin = origins[c.originKind];
  if (origin !== null) headers.origin = origin;
  if (c.fetchSite !== null) headers['sec-fetch-site'] = c.fetchSite;
  if (c.ingressPath !== null) headers['x-ingress-path'] = c.ingressPath;
  if (c.range !== null) headers.range = c.range;
  if (c.authorization !== null) headers.authorization = c.authorization;
  return { method: c.method, target: c.target, headers, body: c.body.text };
}

// ---------------------------------------------------------------------------------------------
// Random cases

const CONTENT_TYPES = [
  null,
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  'application/jsonx',
  'text/json',
  'application/sdp',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json, text/plain',
  '*/*',
];
const INGRESS_PATHS = ['/api/hassio_ingress/AbC123_x', '/api/hassio_ingress/AbC123_x/', 'https://evil.example/x', '/../../x', '/api/hassio_ingress/%ED%A0%80', repeat('/a', 3000), ''];
const RANGES = ['bytes=0-10', 'bytes=-5', 'bytes=10-0', 'bytes=0-', 'bytes=99999999999999999999-', 'garbage'];
const AUTHORIZATIONS = [`Bearer ${API_TOKEN}`, `Bearer ${API_TOKEN}x`, 'Bearer ', 'Basic YTpi', `Bearer ${repeat('t', 5000)}`, 'bearer  x  y'];

const sometimes = <T>(rare: fc.Arbitrary<T>, usual: T, odds = 12) => fc.oneof({ weight: odds, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: rare });

const headerChoices = fc.record({
  contentType: sometimes(fc.constantFrom(...CONTENT_TYPES), 'application/json', 10),
  originKind: sometimes(fc.constantFrom<OriginKind>('same', 'foreign', 'other-port', 'null'), 'none', 16),
  host: sometimes(fc.constantFrom<HostKind>('localhost', 'v6', 'rebound', 'empty', 'huge'), 'default', 16),
  fetchSite: sometimes(fc.constantFrom('cross-site', 'same-origin', 'none'), null as string | null, 16),
  ingressPath: sometimes(fc.constantFrom(...INGRESS_PATHS), null as string | null, 10),
  range: sometimes(fc.constantFrom(...RANGES), null as string | null, 20),
  via: sometimes(fc.constant<'direct'>('direct'), 'ingress', 6),
  authorization: sometimes(fc.constantFrom(...AUTHORIZATIONS.slice(1), null), AUTHORIZATIONS[0] as string | null, 3),
});

/** A route's own request (weighted by the table) or, now and then, any method on any path. */
export function randomCase(routes: RestRoute[]): fc.Arbitrary<Case> {
  const own = fc.oneof(
    ...routes
      .filter((r) => r.weight > 0)
      .map((r) => ({
        weight: r.weight,
        arbitrary: fc.record({ route: fc.constant<RestRoute | null>(r), method: fc.constant(r.method === 'ALL' ? 'GET' : r.method), target: r.target, body: r.body }),
      })),
  );
  const stray = fc.record({
    route: fc.constant<RestRoute | null>(null),
    method: fc.constantFrom(...METHODS),
    target: fc.oneof(
      fc.constantFrom(...routes).chain((r) => r.target),
      strayTarget,
    ),
    body: fc.oneof(...routes.filter((r) => r.json).map((r) => r.body)),
  });
  return fc
    .tuple(fc.oneof({ weight: 30, arbitrary: own }, { weight: 1, arbitrary: stray }), headerChoices)
    .map(([req, h]) => ({ ...req, ...h, authorization: h.via === 'direct' ? h.authorization : null }));
}

// ---------------------------------------------------------------------------------------------
// The fixed corpus

type Step = string | number;

function leaves(v: unknown, prefix: Step[] = [], out: { path: Step[]; value: unknown }[] = []): { path: Step[]; value: unknown }[] {
  if (Array.isArray(v)) v.forEach((x, i) => leaves(x, [...prefix, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) leaves(x, [...prefix, k], out);
  else out.push({ path: prefix, value: v });
  return out;
}

function objects(v: unknown, prefix: Step[] = [], out: Step[][] = []): Step[][] {
  if (Array.isArray(v)) v.forEach((x, i) => objects(x, [...prefix, i], out));
  else if (v !== null && typeof v === 'object') {
    out.push(prefix);
    for (const [k, x] of Object.entries(v)) objects(x, [...prefix, k], out);
  }
  return out;
}

function setAt(root: unknown, path: Step[], value: unknown): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let parent: any = copy;
  for (const step of path.slice(0, -1)) parent = parent[step];
  parent[path[path.length - 1]!] = value;
  return copy;
}

/** Adds an own key as JSON.parse would make it (`__proto__` included). */
function withKey(root: unknown, path: Step[], key: string, value: unknown): unknown {
  const copy = structuredClone(root);
  let target: any = copy;
  for (const step of path) target = target[step];
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

/** Values a string field gets in the corpus; the `lone-surrogate` kinds must be refused. */
const HOSTILE_STRINGS: [kind: string, value: string][] = [
  ['lone-surrogate-high', 'pw\ud800'],
  ['lone-surrogate-low', '\udfffx'],
  ['nul', 'a\u0000b'],
  ['huge-string', repeat('x', 100_000)],
];
const DEEP = '\u0000deepobj:5000\u0000';
const HOSTILE_PARAMS: [kind: string, value: string][] = [
  ['path-not-utf8', '%ED%A0%80'],
  ['path-not-utf8', '%FF'],
  ['path-nul', '%00'],
  ['path-huge', repeat('p', 5000)],
  ['path-proto', '__proto__'],
  ['path-constructor', 'constructor'],
  ['path-dots', '%2e%2e'],
  ['path-traversal', '..%2F..%2Fetc'],
];
const HOSTILE_QUERY: [kind: string, value: string][] = [
  ['query-not-utf8', '%ED%A0%80'],
  ['query-nul', '%00'],
  ['query-huge', repeat('q', 5000)],
];
const FOREIGN_TYPES = [null, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1'];

const base = (route: RestRoute, target: string, body: Body): Case => ({
  route,
  method: route.method === 'ALL' ? 'GET' : route.method,
  target,
  body,
  contentType: body.text === undefined ? null : 'application/json',
  originKind: 'none',
  host: 'default',
  fetchSite: null,
  ingressPath: null,
  range: null,
  via: 'ingress',
  authorization: null,
});

/** Every route with every hostile value in every place it takes one. */
export function corpusCases(routes: RestRoute[]): Case[] {
  const out: Case[] = [];
  for (const r of routes) {
    const { path, params, query, example } = r.corpus;
    const target = path(params);
    const valid: Body = example ? { kind: 'example', text: JSON.stringify(example) } : { kind: 'none', text: undefined };
    out.push(base(r, target, example ? { kind: 'accepted example', text: valid.text } : valid));
    if (example) {
      for (const leaf of leaves(example)) {
        if (typeof leaf.value === 'string')
          for (const [kind, value] of HOSTILE_STRINGS) out.push(base(r, target, { kind: `${kind} at ${leaf.path.join('.')}`, text: toText(setAt(example, leaf.path, value)) }));
        out.push(base(r, target, { kind: `deep at ${leaf.path.join('.')}`, text: toText(setAt(example, leaf.path, DEEP)) }));
      }
      const firstString = leaves(example).find((l) => typeof l.value === 'string');
      if (firstString) {
        // Bytes that are not UTF-8 (a CESU-8 surrogate, a stray byte) inside a JSON string.
        for (const bytes of [[0xed, 0xa0, 0x80], [0xff], [0xc0, 0xaf]]) {
          const [before, after] = toText(setAt(example, firstString.path, '\u0001')).split('\\u0001') as [string, string];
          out.push(
            base(r, target, {
              kind: `bytes ${bytes.map((b) => b.toString(16)).join(' ')} at ${firstString.path.join('.')}`,
              text: Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]),
            }),
          );
        }
      }
      for (const at of objects(example)) {
        for (const key of ['__proto__', 'constructor', 'prototype'])
          out.push(base(r, target, { kind: `${key} key at ${at.join('.') || 'root'}`, text: toText(withKey(example, at, key, { polluted: true, toString: 'x' })) }));
      }
      for (const type of FOREIGN_TYPES) out.push({ ...base(r, target, valid), contentType: type });
      out.push(base(r, target, { kind: 'byte-order mark', text: `\ufeff${JSON.stringify(example)}` }));
    }
    for (const name of Object.keys(params)) {
      for (const [kind, value] of HOSTILE_PARAMS) out.push(base(r, path({ ...params, [name]: value }), { ...valid, kind: kind === 'path-not-utf8' ? kind : valid.kind }));
    }
    for (const key of query) {
      for (const [, value] of HOSTILE_QUERY) out.push(base(r, `${target}?${key}=${value}`, valid));
      out.push(base(r, `${target}?${key}=a&${key}=b`, valid));
    }
    for (const method of ['HEAD', 'OPTIONS']) out.push({ ...base(r, target, { kind: 'none', text: undefined }), method });
  }
  return out;
}
