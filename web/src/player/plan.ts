/**
 * How the player turns the playback plan (`GET api/streams/transmissions/{id}/playback-plan`, typed
 * by the server's contract) into machine candidates. The plan's URLs are root-relative, with the
 * ingress prefix and the media token already in them.
 */
import type { PlanClient as ServerPlanClient, PlaybackPlan, PlayContext, Transport } from '../../../src/api/contract.js';
import type { Candidate } from './machine-types.js';

/** The clients this page plays as (the server knows more: apps, Home Assistant entities). */
export type PlanClient = Extract<ServerPlanClient, 'web' | 'ha_ingress'>;

/** Home Assistant's ingress gets its own policy (HLS first, no direct WebRTC). */
export const planClient = (basePath: string): PlanClient => (basePath.startsWith('/api/hassio_ingress/') ? 'ha_ingress' : 'web');

/** `decodes`: what this browser decodes (capabilities.ts `decodesParam`); empty: left out, and the server assumes H.264 and AAC. */
export const planPath = (transmissionId: string, client: PlanClient, context: PlayContext, decodes = '') =>
  `api/streams/transmissions/${encodeURIComponent(transmissionId)}/playback-plan?client=${client}&context=${context}${decodes ? `&decodes=${decodes}` : ''}`;

/** The browser's own block, next to the plan's reasons. */
const BROWSER_UNSUPPORTED = 'browser_unsupported';
/** A transport left out because another one is forced (`?transport=`). */
const NOT_FORCED = 'not_forced';

/**
 * The plan's ranked transports as machine candidates: those this browser cannot play are blocked
 * with `browser_unsupported`, and with a forced transport every other one is `not_forced`.
 */
export function toCandidates(plan: Pick<PlaybackPlan, 'transports'>, supported: (t: Transport) => boolean, forced: Transport | null): Candidate[] {
  return [...plan.transports]
    .sort((a, b) => a.rank - b.rank)
    .map((t) => {
      const blocked = forced !== null && t.transport !== forced ? NOT_FORCED : (t.blocked_reason ?? (t.available && !supported(t.transport) ? BROWSER_UNSUPPORTED : null));
      const available = t.available && blocked === null && t.url !== null;
      return { transport: t.transport, available, url: available ? t.url : null, outputId: t.output_id, blocked };
    });
}

/** The audio codec each transport's output carries to this browser (null: none, or the transport drops it). */
export const audioByTransport = (plan: Pick<PlaybackPlan, 'transports'>): Map<Transport, string | null> => new Map(plan.transports.map((t) => [t.transport, t.audio_codec]));

export type HlsEngine = 'hlsjs' | 'native';

/** Test and diagnostics overrides, read once from the page's query string. */
export interface Forcing {
  /** `?transport=mse|hls|jsmpeg|webrtc`: play only that transport (no fallback, no climbing). */
  transport: Transport | null;
  /** `?hls=hlsjs|native`: which HLS engine plays HLS (default: hls.js wherever MediaSource exists). */
  hls: HlsEngine | null;
}

const TRANSPORTS: readonly Transport[] = ['mse', 'hls', 'jsmpeg', 'webrtc'];

export function readForcing(search: string): Forcing {
  const q = new URLSearchParams(search);
  const t = q.get('transport');
  const h = q.get('hls');
  return {
    transport: TRANSPORTS.find((x) => x === t) ?? null,
    hls: h === 'hlsjs' || h === 'native' ? h : null,
  };
}

/** The media token of a plan URL, swapped into another URL (hls.js requests made from an older playlist). */
export function withTokenOf(url: string, fresh: string, origin: string): string {
  const token = new URL(fresh, origin).searchParams.get('media_token');
  const u = new URL(url, origin);
  if (token === null || !u.searchParams.has('media_token') || u.searchParams.get('media_token') === token) return url;
  u.searchParams.set('media_token', token);
  return u.href;
}
