import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/fixtures/proc-helpers.js';
import { webrtcRoutes } from '../api/routes/webrtc.js';
import type { Publication } from '../domain/publication.js';
import type { SettingsDoc } from '../domain/settings.js';
import type { GeneratedMeta } from '../domain/generated.js';
import type { Output, Transmission } from '../domain/transmission.js';
import { createWebrtcOffers, type WebrtcOffers } from './webrtc.js';
import { fixtureOutput, fixtureTransmission } from '../reconcile/fixtures.js';
import { onApiError } from '../api/errors.js';

/**
 * The WHEP relay against a tiny local HTTP server standing in for MediaMTX's WHEP listener (the
 * MediaMTX test double has no WebRTC): it records every request and answers as told.
 */

const OFFER = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'c=IN IP4 0.0.0.0',
  'a=mid:0',
  'a=recvonly',
  'a=rtpmap:96 H264/90000',
  '',
].join('\r\n');
const ANSWER = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=video 9 UDP/TLS/RTP/SAVPF 96', 'c=IN IP4 0.0.0.0', 'a=mid:0', 'a=sendonly', ''].join('\r\n');

const TX = 'tx-ptz';
const TX_NO_RTC = 'tx-plain';
const TX_PUB = 'tx-pub';
const TX_OFF = 'tx-off';
const PATH = 'cam/front/zoom';

const output = (id: string, path: string, extra: Partial<Output> = {}): Output => fixtureOutput(id, path, { ...{ codec: 'copy' }, ...extra });
const transmission = (id: string, outputs: Output[], extra: Partial<Transmission> = {}): Transmission => fixtureTransmission(id, outputs, { ...{ input: 'camera_source' }, ...extra });
const meta = (publicationId: string) => ({ generated_by: 'stream_publication', publication_id: publicationId, owner_kind: 'camera_source' }) as unknown as GeneratedMeta;
const publication = (id: string, role: Publication['role'], enable?: boolean) => ({ id, role, transport_policy: enable === undefined ? {} : { enable_webrtc: enable } }) as unknown as Publication;

const doc: Pick<SettingsDoc, 'transmissions' | 'publications'> = {
  transmissions: [
    transmission(TX, [output('hls', 'cam/front/zoom-hls'), output('rtc', PATH, { enable_webrtc: true })]),
    transmission(TX_NO_RTC, [output('main', 'plain')]),
    transmission(TX_PUB, [output('main', 'pub', { enable_webrtc: true })], { metadata: meta('camera:front:main') }),
    transmission(TX_OFF, [output('main', 'off', { enable_webrtc: true })], { enabled: false }),
  ],
  publications: [publication('camera:front:main', 'main', false)],
};

interface Recorded {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}
type Mode = 'ok' | 'not_found' | 'error500' | 'garbage' | 'hang' | 'bad_offer';
let mode: Mode = 'ok';
const recorded: Recorded[] = [];
let whep: Server;
let whepBase: string;
let engineUp = true;
let offers: WebrtcOffers;
const log = captureLogger('info');

beforeAll(async () => {
  whep = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      recorded.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], body });
      if (mode === 'hang') return; // never answers
      if (mode === 'ok') return res.writeHead(201, { 'content-type': 'application/sdp', location: `${req.url}/3f6a9c1e-session`, etag: '"1"' }).end(ANSWER);
      if (mode === 'bad_offer') return res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', error: 'the offer contains no tracks' }));
      if (mode === 'garbage') return res.writeHead(201, { 'content-type': 'text/plain' }).end('hello');
      if (mode === 'not_found') return res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', error: "no stream is available on path 'cam/front/zoom'" }));
      res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
    });
  });
  whep.listen(0, '127.0.0.1');
  await once(whep, 'listening');
  whepBase = `http://127.0.0.1:${(whep.address() as AddressInfo).port}`;
});

afterAll(async () => {
  whep.closeAllConnections();
  await new Promise<void>((r) => whep.close(() => r()));
});

beforeEach(() => {
  mode = 'ok';
  engineUp = true;
  recorded.length = 0;
  offers = createWebrtcOffers({
    doc: () => doc,
    engine: { status: () => ({ state: engineUp ? 'running' : 'missing' }), internalHttpBase: () => (engineUp ? whepBase : null) },
    logger: log.logger,
    timeoutMs: 400,
  });
});

const app = () => new Hono().route('/api/streams', webrtcRoutes(offers)).onError(onApiError(null));
const postJson = (tx: string, body: unknown, query = '') =>
  app().request(`/api/streams/transmissions/${tx}/webrtc/offer${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; message: string; field: string | null; upstream_status?: number | null; upstream_error?: string | null } }).error;

describe('WHEP relay', () => {
  it('JSON offer: relays it verbatim to <whep base>/<path>/whep as application/sdp and returns the answer as JSON', async () => {
    const res = await postJson(TX, { sdp: OFFER, context: 'ptz' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ type: 'answer', sdp: ANSWER, location: `/${PATH}/whep/3f6a9c1e-session`, output_id: 'rtc', path: PATH });
    expect(recorded).toEqual([{ method: 'POST', url: `/${PATH}/whep`, contentType: 'application/sdp', body: OFFER }]);
  });

  it('application/sdp offer (WHEP style, output in the query): 201 with the answer SDP', async () => {
    const res = await app().request(`/api/streams/transmissions/${TX}/webrtc/offer?output_id=rtc`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: OFFER });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/sdp');
    expect(await res.text()).toBe(ANSWER);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ url: `/${PATH}/whep`, contentType: 'application/sdp', body: OFFER });
  });

  it.each([
    ['output without enable_webrtc', TX, { output_id: 'hls' }, 'enable_webrtc'],
    ['no output with enable_webrtc', TX_NO_RTC, {}, 'enable_webrtc'],
    ['publication policy does not allow WebRTC', TX_PUB, {}, 'transport_policy.enable_webrtc'],
    ['transmission disabled', TX_OFF, {}, 'enabled'],
  ])('409: %s (naming %s), nothing sent upstream', async (_name, tx, extra, field) => {
    const res = await postJson(tx, { sdp: OFFER, ...extra });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).field).toBe(field);
    expect(recorded).toHaveLength(0);
  });

  it('503 when the engine is not running', async () => {
    engineUp = false;
    const res = await postJson(TX, { sdp: OFFER });
    expect(res.status).toBe(503);
    expect(await errorOf(res)).toMatchObject({ code: 'engine_not_running' });
    expect(recorded).toHaveLength(0);
  });

  it.each([
    ['not SDP', { sdp: 'hello' }, 'sdp'],
    ['no media line', { sdp: 'v=0\r\ns=-\r\n' }, 'sdp'],
    ['too large', { sdp: OFFER + 'a=x\r\n'.repeat(20_000) }, 'sdp'],
    ['missing', {}, 'sdp'],
    ['not a string', { sdp: 42 }, 'sdp'],
    ['unknown context', { sdp: OFFER, context: 'cinema' }, 'context'],
    ['bad output id', { sdp: OFFER, output_id: 'Not An Id' }, 'output_id'],
    ['unknown field', { sdp: OFFER, extra: 1 }, 'extra'],
  ])('422: %s (naming %s), nothing sent upstream', async (_name, body, field) => {
    const res = await postJson(TX, body);
    expect(res.status).toBe(422);
    expect((await errorOf(res)).field).toBe(field);
    expect(recorded).toHaveLength(0);
  });

  it('422 for a raw SDP body that is not an offer; 415 for another content type; 404 for unknown ids', async () => {
    const raw = await app().request(`/api/streams/transmissions/${TX}/webrtc/offer`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: 'nope' });
    expect(raw.status).toBe(422);
    expect((await errorOf(raw)).field).toBe('sdp');
    const text = await app().request(`/api/streams/transmissions/${TX}/webrtc/offer`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: OFFER });
    expect(text.status).toBe(415);
    expect((await postJson('nope', { sdp: OFFER })).status).toBe(404);
    const out = await postJson(TX, { sdp: OFFER, output_id: 'ghost' });
    expect(out.status).toBe(404);
    expect((await errorOf(out)).field).toBe('output_id');
    const clash = await postJson(TX, { sdp: OFFER, output_id: 'rtc' }, '?output_id=hls');
    expect(clash.status).toBe(422);
    expect(recorded).toHaveLength(0);
  });

  it.each<[string, Mode, number | null, string | null]>([
    ['404 from MediaMTX', 'not_found', 404, "no stream is available on path 'cam/front/zoom'"],
    ['500 from MediaMTX', 'error500', 500, 'boom'],
    ['an answer that is not SDP', 'garbage', 201, 'hello'],
    ['no answer in time', 'hang', null, null],
  ])('502 on %s, with the upstream status', async (_name, m, status, detail) => {
    mode = m;
    const res = await postJson(TX, { sdp: OFFER });
    expect(res.status).toBe(502);
    const err = await errorOf(res);
    expect(err.code).toBe('whep_upstream_error');
    expect(err.upstream_status).toBe(status);
    if (detail !== null) expect(err.upstream_error).toBe(detail);
    expect(recorded).toHaveLength(1);
    expect(offers.counters.upstream_errors).toBe(1);
  });

  it('422 naming sdp when MediaMTX refuses the offer itself (400): bad input, not an engine fault', async () => {
    mode = 'bad_offer';
    const res = await postJson(TX, { sdp: OFFER });
    expect(res.status).toBe(422);
    const err = await errorOf(res);
    expect(err).toMatchObject({ code: 'invalid_field', field: 'sdp', upstream_status: 400 });
    expect(err.message).toContain('the offer contains no tracks');
    expect(offers.counters.upstream_errors).toBe(0);
  });

  it('502 when the WHEP listener cannot be reached', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    offers = createWebrtcOffers({ doc: () => doc, engine: { status: () => ({ state: 'running' }), internalHttpBase: () => `http://127.0.0.1:${port}` }, logger: log.logger });
    const res = await postJson(TX, { sdp: OFFER });
    expect(res.status).toBe(502);
    expect((await errorOf(res)).upstream_status).toBeNull();
  });
});
