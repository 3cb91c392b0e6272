/**
 * What the WebSocket bad-input suite does to each upgrade handler of the server (`upgrades` in
 * src/server.ts): a handshake (the endpoint's own URL and headers, or bent ones: query, token,
 * path, Origin, Host, protocol headers) and, when it is accepted, a script of frames written by
 * hand (malformed JSON, binary where text is expected and the reverse, invalid UTF-8, frames over
 * the size limit or announcing a length that lies, unmasked or fragmented frames, reserved bits
 * and opcodes, the protocol's messages out of order, data after a close frame, close twice, a
 * connection cut mid-frame), then an ending.
 */
import fc from 'fast-check';
import { SEED, encodeSafely, repeat, weirdString } from './arbitraries.js';
import { OMIT_HEADER, OP, closePayload, frame } from './raw-ws.js';
import { API_TOKEN, type MediaUrls } from './seed.js';

export type Action =
  | { kind: 'text'; data: string | Buffer; what: string }
  | { kind: 'binary'; data: Buffer; what: string }
  | { kind: 'raw'; bytes: Buffer; what: string; desync?: boolean }
  | { kind: 'wait'; ms: number };

type Ending = 'close' | 'close-twice' | 'destroy' | 'half-close' | 'cut-mid-frame';

export interface WsCase {
  endpoint: string;
  target: string;
  /** Headers that bend the handshake (null: the endpoint's own). */
  handshake: Bent | null;
  via: 'ingress' | 'direct';
  actions: Action[];
  ending: Ending;
}

export interface WsEndpoint {
  /** The handler's name in `const upgrades = [...]` of src/server.ts. */
  name: string;
  /** The endpoint's own handshake target, and bent ones. */
  valid: string;
  target: fc.Arbitrary<string>;
  /** Messages of the endpoint's own protocol, good and bad. */
  message: fc.Arbitrary<Action>;
  /** The handler's largest accepted message. */
  maxPayload: number;
  /** 5xx codes a refused handshake may carry here (a limit or the server stopping, not a fault). */
  upstream: string[];
}

const text = (what: string, data: string | Buffer): Action => ({ kind: 'text', data, what });
const binary = (what: string, data: Buffer): Action => ({ kind: 'binary', data, what });
const raw = (what: string, bytes: Buffer, desync = false): Action => ({ kind: 'raw', bytes, what, desync });

/** Text that is not JSON, or JSON of another shape, for every endpoint. */
const junkText = fc.oneof(
  fc
    .constantFrom('', '{', '}', 'null', '[]', '"x"', '{"type":', '{} {}', '\ufeff{}', '{"type":"\\ud800"}', '{"__proto__":{"type":"open"}}', '{"constructor":{"prototype":{"x":1}}}')
    .map((s) => text(`junk ${JSON.stringify(s)}`, s)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => text('json', JSON.stringify(v))),
  fc.constantFrom(1_000, 100_000).map((d) => text(`nested ${d}`, `${'['.repeat(d)}${']'.repeat(d)}`)),
  fc.string({ unit: 'binary', maxLength: 30 }).map((s) => text('random text', s)),
  fc.constant(text('invalid UTF-8', Buffer.from([0x7b, 0xed, 0xa0, 0x80, 0x7d]))),
);
const junkBinary = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((b) => binary('random bytes', Buffer.from(b))),
  fc.constant(binary('empty binary', Buffer.alloc(0))),
  fc.constantFrom('{"type":"open"}', '{"type":"mse","value":"avc1.640029"}').map((s) => binary(`JSON as binary ${s}`, Buffer.from(s))),
);

/** Frames no well-behaved client sends. */
function protocolAbuse(maxPayload: number): fc.Arbitrary<Action> {
  return fc.oneof(
    fc.constant(raw('oversized (announced and sent in part)', Buffer.concat([frame(OP.binary, Buffer.alloc(0), { announce: maxPayload + 1 }).subarray(0, 14), Buffer.alloc(1024)]))),
    fc.constant(raw('announced length 2^53+1', frame(OP.text, Buffer.alloc(0), { announce: 2 ** 53 + 1 }))),
    fc.constant(raw('unmasked frame', frame(OP.text, '{"type":"update"}', { mask: false }))),
    fc.constantFrom(1, 2, 4, 7).map((rsv) => raw(`rsv bits ${rsv}`, frame(OP.text, '{}', { rsv }))),
    fc.constantFrom(0x3, 0x7, 0xb, 0xf).map((op) => raw(`reserved opcode ${op}`, frame(op, 'x'))),
    fc.constant(raw('continuation without a start', frame(OP.continuation, 'x'))),
    fc.constant(raw('text fragment, then another text', Buffer.concat([frame(OP.text, '{"ty', { fin: false }), frame(OP.text, '{}')]))),
    fc.constant(raw('fragmented text (valid)', Buffer.concat([frame(OP.text, '{"type":', { fin: false }), frame(OP.continuation, '"update"}')]))),
    fc.constant(raw('fragmented control frame', frame(OP.ping, 'x', { fin: false }))),
    fc.constant(raw('ping over 125 bytes', frame(OP.ping, Buffer.alloc(126)))),
    fc.constant(raw('ping', frame(OP.ping, 'hi'))),
    fc.constant(raw('unsolicited pong', frame(OP.pong, 'hi'))),
    fc.constantFrom(0, 999, 1004, 1005, 1006, 1015, 2999, 5000, 65_535).map((code) => raw(`close with code ${code}`, frame(OP.close, closePayload(code)))),
    fc.constant(raw('close with a 1-byte payload', frame(OP.close, Buffer.from([3])))),
    fc.constant(raw('close with an invalid UTF-8 reason', frame(OP.close, Buffer.concat([closePayload(1000), Buffer.from([0xff, 0xfe])])))),
    fc.constant(raw('close, then data after it', Buffer.concat([frame(OP.close, closePayload(1000)), frame(OP.text, '{"type":"update"}'), frame(OP.binary, Buffer.from([0xff, 0xd8, 0xff]))]))),
    fc.constant(raw('close twice', Buffer.concat([frame(OP.close, closePayload(1000)), frame(OP.close, closePayload(1001))]))),
    // What follows is read as the rest of this frame: a close frame after it is no close.
    fc.constant(raw('half a frame', frame(OP.text, '{"type":"update"}').subarray(0, 5), true)),
  );
}

const actionsFor = (e: { message: fc.Arbitrary<Action>; maxPayload: number }) =>
  fc.array(
    fc.oneof(
      { weight: 6, arbitrary: e.message },
      { weight: 2, arbitrary: junkText },
      { weight: 2, arbitrary: junkBinary },
      { weight: 2, arbitrary: protocolAbuse(e.maxPayload) },
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 60 }).map((ms): Action => ({ kind: 'wait', ms })) },
    ),
    { minLength: 0, maxLength: 8 },
  );

/** A query value: mostly the valid one, sometimes a hostile one (already encoded). */
const param = (valid: string, others: string[] = []) =>
  fc.oneof(
    { weight: 16, arbitrary: fc.constant(valid) },
    { weight: 1, arbitrary: fc.constantFrom(...others, '', '%ED%A0%80', '%00', '%FF', repeat('x', 5000)) },
    { weight: 1, arbitrary: weirdString.map(encodeSafely) },
  );

/** A media URL's path and token kept, bent, or swapped for another transport's. */
function mediaTarget(url: string, otherUrl: string): fc.Arbitrary<string> {
  const [path, query = ''] = url.split('?') as [string, string?];
  const token = new URLSearchParams(query).get('media_token') ?? '';
  const other = new URLSearchParams(otherUrl.split('?')[1] ?? '').get('media_token') ?? '';
  const prefix = path.slice(0, path.indexOf('/', '/api/streams/media/'.length) + 1);
  const paths = fc.oneof(
    { weight: 8, arbitrary: fc.constant(path) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        `${prefix}cam/front/main/ws`,
        `${prefix}..%2F..%2Fx/ws`,
        `${prefix}%ED%A0%80/ws`,
        `${prefix}${repeat('a', 3000)}/ws`,
        `${prefix}/ws`,
        `${path}/`,
        `${prefix}pipe/yard/out/ws/extra`,
      ),
    },
  );
  const tokens = param(token, [other, `${token}!`, token.slice(0, -1), `${token}%20`]);
  return fc.tuple(paths, tokens).map(([p, t]) => `${p}?media_token=${t}`);
}

/** A small real JPEG (made by FFmpeg) for the writers, passed in by the suite. */
export function wsEndpoints(media: MediaUrls, jpeg: Buffer): WsEndpoint[] {
  const writerTarget = fc
    .tuple(
      param(SEED.pipelineTx, [SEED.cameraTx, SEED.manualTx, 'missing', repeat('t', 129)]),
      fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,12}$/) }, { weight: 1, arbitrary: fc.constantFrom('w', repeat('w', 64), repeat('w', 65), 'a%20b', '%ED%A0%80') }),
      param('0', ['-1000', '1000', '1001', '1.5', '1e3', 'abc', '-0', '+5']),
      param(API_TOKEN, [`${API_TOKEN}x`, API_TOKEN.slice(1)]),
    )
    .map(([tx, writer, priority, token]) => `/api/streams/writers/ws?transmission_id=${tx}&writer_id=${writer}&priority=${priority}&token=${token}`);
  const corruptJpeg = fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.from(b)]));
  const writerMessage = fc.oneof(
    { weight: 4, arbitrary: fc.constant(binary('a JPEG frame', jpeg)) },
    { weight: 2, arbitrary: corruptJpeg.map((b) => binary('FF D8 then garbage', b)) },
    { weight: 1, arbitrary: fc.constant(binary('a JPEG cut in half', jpeg.subarray(0, jpeg.length >> 1))) },
    { weight: 3, arbitrary: fc.constantFrom('{"type":"open"}', '{"type":"update"}', '{"type":"close"}').map((s) => text(s, s)) },
    { weight: 1, arbitrary: fc.constantFrom(-1000, 1000, 1001, 1.5, -0, Infinity).map((p) => text(`open priority ${p}`, `{"type":"open","priority":${p === Infinity ? '1e400' : p}}`)) },
  );
  const mseMessage = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('{"type":"mse","value":"avc1.640029,mp4a.40.2"}', '{"type":"mse"}').map((s) => text(s, s)) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          '{"type":"mse","value":123}',
          '{"type":"mse","value":"hvc1.1.6.L153.B0"}',
          `{"type":"mse","value":"${repeat('a', 600)}"}`,
          '{"type":"webrtc/offer","value":"v=0"}',
          '{"type":"mp4"}',
        )
        .map((s) => text(s.slice(0, 60), s)),
    },
  );
  const jsmpegMessage = fc.constantFrom('hello', '{"type":"x"}', repeat('z', 4096)).map((s) => text(`${s.length} chars of text (the player sends nothing)`, s));
  return [
    {
      name: 'writers',
      valid: `/api/streams/writers/ws?transmission_id=${SEED.pipelineTx}&writer_id=lifecycle&token=${API_TOKEN}`,
      target: writerTarget,
      message: writerMessage,
      maxPayload: 4 * 1024 * 1024,
      upstream: ['too_many_writers'],
    },
    { name: 'mse', valid: media.mse, target: mediaTarget(media.mse, media.jsmpeg), message: mseMessage, maxPayload: 64 * 1024, upstream: [] },
    { name: 'jsmpeg', valid: media.jsmpeg, target: mediaTarget(media.jsmpeg, media.mse), message: jsmpegMessage, maxPayload: 4096, upstream: [] },
  ];
}

interface Bent {
  what: string;
  headers: (port: number) => Record<string, string>;
  /** Why the final contract requires a refusal on the ingress port, if it does. */
  refusal: string | null;
}
const HANDSHAKES: Bent[] = [
  { what: 'Origin of the server itself', headers: (port) => ({ origin: `http://127.0.0.1:${port}` }), refusal: null },
  { what: 'foreign Origin', headers: () => ({ origin: 'https://evil.example' }), refusal: 'a cross-site WebSocket is refused before the handshake' },
  { what: 'Origin null', headers: () => ({ origin: 'null' }), refusal: null },
  { what: 'rebound Host', headers: (port) => ({ host: `evil.example:${port}` }), refusal: 'a Host the server does not answer for is refused' },
  { what: 'Sec-WebSocket-Version 8', headers: () => ({ 'sec-websocket-version': '8' }), refusal: null },
  { what: 'no Sec-WebSocket-Key', headers: () => ({ 'sec-websocket-key': OMIT_HEADER }), refusal: null },
  { what: 'a malformed Sec-WebSocket-Key', headers: () => ({ 'sec-websocket-key': 'short' }), refusal: null },
  { what: 'subprotocols', headers: () => ({ 'sec-websocket-protocol': 'chat, , superchat' }), refusal: null },
  { what: 'permessage-deflate offered', headers: () => ({ 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits' }), refusal: null },
  { what: 'a bearer header', headers: () => ({ authorization: `Bearer ${API_TOKEN}` }), refusal: null },
  { what: 'a wrong bearer header', headers: () => ({ authorization: 'Bearer nope' }), refusal: null },
];

/** Mostly the endpoint's own handshake over the ingress port; sometimes bent headers, the direct port or a path no handler serves. */
export function wsCase(endpoints: WsEndpoint[]): fc.Arbitrary<WsCase> {
  const stray = fc.constantFrom('/api/streams/writers', '/api/streams/media/mse/ws', '/api/streams/media/jsmpeg//ws', '/api/streams/media/hls/x/ws', '/ws', '/api/cameras', `/${repeat('w', 5000)}`);
  const target = (e: WsEndpoint) => fc.oneof({ weight: 30, arbitrary: e.target }, { weight: 1, arbitrary: stray });
  return fc
    .tuple(
      fc.constantFrom(...endpoints).chain((e) => fc.tuple(fc.constant(e), target(e), actionsFor(e))),
      fc.oneof({ weight: 8, arbitrary: fc.constant<Bent | null>(null) }, { weight: 2, arbitrary: fc.constantFrom(...HANDSHAKES) }),
      fc.oneof({ weight: 8, arbitrary: fc.constant<'ingress' | 'direct'>('ingress') }, { weight: 1, arbitrary: fc.constant<'ingress' | 'direct'>('direct') }),
      fc.constantFrom<Ending>('close', 'close', 'close-twice', 'destroy', 'half-close', 'cut-mid-frame'),
    )
    .map(([[e, t, actions], bent, via, ending]) => ({
      endpoint: e.name,
      target: t,
      handshake: bent,
      via,
      actions,
      ending,
    }));
}

const msg = (s: string) => text(s, s);
const closeFrame = raw('close frame', frame(OP.close, closePayload(1000)));

/**
 * Fixed scripts run before the random ones, so every run has each protocol's lifecycle out of
 * order: a writer's update and frame after its close, close twice, a reopen, data after the
 * WebSocket close frame; an MSE request twice, binary first, a close before go2rtc answered; a
 * JSMpeg socket closed before its encoder started; each endpoint's message one byte over its limit.
 */
export function wsCorpus(endpoints: WsEndpoint[], jpeg: Buffer): WsCase[] {
  const scripts: Record<string, Action[][]> = {
    writers: [
      [
        msg('{"type":"close"}'),
        msg('{"type":"update"}'),
        binary('a frame after close', jpeg),
        msg('{"type":"close"}'),
        msg('{"type":"close"}'),
        msg('{"type":"open","priority":5}'),
        binary('a frame', jpeg),
      ],
      [msg('{"type":"update"}'), msg('{"type":"open"}'), msg('{"type":"open","priority":-1000}')],
      [closeFrame, binary('a frame after the close frame', jpeg), msg('{"type":"update"}')],
      [binary('a frame one byte over the limit', Buffer.concat([jpeg, Buffer.alloc(4 * 1024 * 1024 + 1 - jpeg.length)]))],
    ],
    mse: [
      [msg('{"type":"mse","value":"avc1.640029"}'), msg('{"type":"mse","value":"avc1.640029"}'), { kind: 'wait', ms: 200 }],
      [binary('binary first', Buffer.from('{"type":"mse"}'))],
      [msg('{"type":"mse"}'), closeFrame, msg('{"type":"mse"}')],
      [text('a request one byte over the limit', `{"type":"mse","value":"${repeat('a', 64 * 1024 - 24)}"}`)],
    ],
    jsmpeg: [[], [closeFrame, msg('after close')], [text('text one byte over the limit', repeat('z', 4097))], [{ kind: 'wait', ms: 300 }, closeFrame, closeFrame]],
  };
  const endings: Ending[] = ['close', 'close-twice', 'destroy', 'half-close', 'cut-mid-frame'];
  return endpoints.flatMap((e) =>
    (scripts[e.name] ?? []).flatMap((actions) => endings.map((ending) => ({ endpoint: e.name, target: e.valid, handshake: null, via: 'ingress' as const, actions, ending }))),
  );
}
