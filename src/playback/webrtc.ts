import type { Logger } from 'pino';
import * as v from 'valibot';
import type { SettingsDoc } from '../domain/settings.js';
import type { Output, Transmission } from '../domain/transmission.js';
import type { EngineStatus } from '../engine/index.js';
import { ApiError, notFound } from '../shared/errors.js';
import { CONTEXTS } from './plan.js';

/**
 * WebRTC offers relayed to the engine's WHEP endpoint:
 *
 *   POST /api/streams/transmissions/{id}/webrtc/offer
 *     JSON `{"sdp": "v=0...", "output_id"?: "...", "context"?: "ptz"|...}`  → 200 JSON `{type:"answer", sdp, location, output_id, path}`
 *     or a raw `application/sdp` body (`?output_id=` in the query)        → 201 `application/sdp` (the answer)
 *
 * The browser never talks to MediaMTX: the server POSTs the offer to
 * `<internalHttpBase('webrtc')>/<engine path>/whep` (loopback, `content-type: application/sdp`) and
 * hands back MediaMTX's answer. Media then flows peer to peer over the engine's WebRTC UDP port.
 *
 * Checks, in order: 404 transmission / output unknown; 409 transmission disabled (`enabled`); 409 the
 * output (or, without `output_id`, every output) lacks `enable_webrtc`, or its publication's
 * transport policy does not allow WebRTC (`transport_policy.enable_webrtc`); 422 `sdp` not an offer
 * (must start with `v=0`, carry an `m=` line, at most `maxSdpBytes`); 503 engine not running; 502
 * MediaMTX refused (its status in `upstream_status`, its error text in `upstream_error`), did not
 * answer in time, or answered something that is not SDP.
 *
 * `location` is MediaMTX's session resource (relative to the engine's WHEP listener). It is returned
 * for diagnostics only: trickle ICE (PATCH) and teardown (DELETE) are not relayed; the session ends
 * when the peer connection closes.
 */

const DEFAULT_MAX_SDP_BYTES = 64 * 1024;

export const offerBodySchema = v.strictObject({
  sdp: v.string(),
  output_id: v.optional(v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be an output id (a-z, 0-9, "_" or "-")'))),
  context: v.optional(v.picklist(CONTEXTS)),
});

export interface WebrtcAnswer {
  type: 'answer';
  sdp: string;
  location: string | null;
  output_id: string;
  path: string;
}

export interface WebrtcOfferOptions {
  /** The settings document (`store.get`): transmissions and publications. */
  doc: () => Pick<SettingsDoc, 'transmissions' | 'publications'>;
  engine: { status(): Pick<EngineStatus, 'state'>; internalHttpBase(listener: 'webrtc'): string | null };
  logger: Logger;
  /** Default the global fetch (tests may pass another). */
  fetch?: typeof fetch;
  /** MediaMTX holds a WHEP request up to 10 s while an on-demand source starts. Default 15 s. */
  timeoutMs?: number;
  maxSdpBytes?: number;
}

/** Throws 422 naming `sdp` unless the text looks like an SDP offer. */
function checkSdpOffer(sdp: unknown, maxBytes = DEFAULT_MAX_SDP_BYTES): string {
  if (typeof sdp !== 'string') throw new ApiError(422, 'invalid_field', 'sdp: expected a string (an SDP offer)', 'sdp');
  if (Buffer.byteLength(sdp) > maxBytes) throw new ApiError(422, 'invalid_field', `sdp: an SDP offer is at most ${maxBytes} bytes`, 'sdp');
  if (!/^v=0\r?\n/.test(sdp)) throw new ApiError(422, 'invalid_field', 'sdp: an SDP offer starts with "v=0"', 'sdp');
  if (!/\r?\nm=/.test(sdp)) throw new ApiError(422, 'invalid_field', 'sdp: an SDP offer needs at least one media ("m=") line', 'sdp');
  if (sdp.includes('\u0000')) throw new ApiError(422, 'invalid_field', 'sdp: must not contain NUL characters', 'sdp');
  return sdp;
}

export function createWebrtcOffers(opts: WebrtcOfferOptions) {
  const { doc, engine } = opts;
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const maxSdpBytes = opts.maxSdpBytes ?? DEFAULT_MAX_SDP_BYTES;
  const log = opts.logger.child({ component: 'webrtc' });
  const counters = { offers: 0, answered: 0, refused: 0, upstream_errors: 0 };

  function pick(t: Transmission, outputId: string | undefined): Output {
    const d = doc();
    const pub = t.metadata?.publication_id ? d.publications.find((p) => p.id === t.metadata!.publication_id) : undefined;
    if (pub && pub.role !== 'zoom' && pub.transport_policy.enable_webrtc !== true) {
      throw new ApiError(
        409,
        'webrtc_not_enabled',
        `WebRTC is not enabled for publication "${pub.id}": set its transport_policy.enable_webrtc (only zoom publications have it by default)`,
        'transport_policy.enable_webrtc',
      );
    }
    if (outputId !== undefined) {
      const o = t.outputs.find((x) => x.id === outputId);
      if (!o) throw new ApiError(404, 'not_found', `output "${outputId}" does not exist on transmission "${t.id}"`, 'output_id');
      if (!o.enabled) throw new ApiError(409, 'output_disabled', `output "${outputId}" is disabled`, 'output_id');
      if (!o.enable_webrtc) throw new ApiError(409, 'webrtc_not_enabled', `output "${outputId}" does not have enable_webrtc`, 'enable_webrtc');
      return o;
    }
    const o = t.outputs.find((x) => x.enabled && x.enable_webrtc);
    if (!o) throw new ApiError(409, 'webrtc_not_enabled', `no enabled output of transmission "${t.id}" has enable_webrtc`, 'enable_webrtc');
    return o;
  }

  return {
    counters,
    /** Relays one offer; see the module comment for the errors. */
    async offer(txId: string, body: { sdp: unknown; output_id?: string | undefined; context?: string | undefined }): Promise<WebrtcAnswer> {
      counters.offers++;
      let o: Output;
      let base: string;
      let sdp: string;
      try {
        const t = doc().transmissions.find((x) => x.id === txId);
        if (!t) throw notFound('transmission', txId);
        if (!t.enabled) throw new ApiError(409, 'transmission_disabled', `transmission "${txId}" is disabled`, 'enabled');
        o = pick(t, body.output_id);
        sdp = checkSdpOffer(body.sdp, maxSdpBytes);
        const httpBase = engine.internalHttpBase('webrtc');
        if (httpBase === null) {
          const state = engine.status().state;
          throw new ApiError(503, 'engine_not_running', `WebRTC needs the media engine, which is ${state}`, null, { engine_state: state });
        }
        base = httpBase;
      } catch (err) {
        counters.refused++;
        throw err;
      }

      const url = `${base}/${o.engine_path}/whep`;
      const upstreamError = (status: number | null, message: string, detail: string | null) => {
        counters.upstream_errors++;
        log.warn({ transmission_id: txId, output_id: o.id, path: o.engine_path, upstream_status: status, detail }, 'WHEP offer failed');
        return new ApiError(502, 'whep_upstream_error', message, null, { upstream_status: status, upstream_error: detail });
      };
      let res: Response;
      try {
        res = await doFetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/sdp', accept: 'application/sdp' },
          body: sdp,
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'manual',
        });
      } catch (err) {
        const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
        throw upstreamError(
          null,
          timedOut ? `the media engine did not answer the WebRTC offer within ${timeoutMs} ms` : 'the media engine could not be reached for WebRTC',
          err instanceof Error ? err.message : String(err),
        );
      }
      const text = (await res.text()).slice(0, 256 * 1024);
      if (res.status !== 201 && res.status !== 200) {
        let detail: string | null = text.slice(0, 500) || null;
        try {
          const j = JSON.parse(text) as { error?: unknown };
          if (typeof j.error === 'string') detail = j.error.slice(0, 500);
        } catch {
          // not JSON: the raw text (clipped) is the detail
        }
        // We always send application/sdp, so MediaMTX's 400 means the offer itself is unusable (unparsable, no
        // track it can answer): the caller's input, a 4xx naming the field, not a fault of the engine.
        if (res.status === 400) {
          counters.refused++;
          throw new ApiError(422, 'invalid_field', `sdp: the media engine cannot use this offer${detail ? `: ${detail}` : ''}`, 'sdp', { upstream_status: 400 });
        }
        throw upstreamError(res.status, `the media engine refused the WebRTC offer (HTTP ${res.status})`, detail);
      }
      if (!/^v=0\r?\n/.test(text)) throw upstreamError(res.status, 'the media engine answered the WebRTC offer with something that is not SDP', text.slice(0, 200) || null);
      counters.answered++;
      log.info({ transmission_id: txId, output_id: o.id, path: o.engine_path, context: body.context ?? null }, 'WebRTC offer answered');
      return { type: 'answer', sdp: text, location: res.headers.get('location'), output_id: o.id, path: o.engine_path };
    },
  };
}
export type WebrtcOffers = ReturnType<typeof createWebrtcOffers>;
