import type { Variant } from '../domain/live-view.js';
import type { Output } from '../domain/transmission.js';

export const CLIENTS = ['web', 'app', 'ha_ingress', 'ha_entity'] as const;
export type Client = (typeof CLIENTS)[number];
export const CONTEXTS = ['grid', 'thumbnail', 'pip', 'large', 'fullscreen', 'ptz', 'diagnostics'] as const;
export type Context = (typeof CONTEXTS)[number];
export type PlayerTransport = 'mse' | 'hls' | 'webrtc' | 'jsmpeg';

/** Why a transport cannot be used; each names what to fix. */
type BlockedReason =
  | 'transmission_disabled'
  | 'no_output'
  | 'engine_missing'
  | 'engine_stopped'
  | 'engine_starting'
  | 'engine_failed'
  | 'sidecar_disabled'
  | 'sidecar_missing'
  | 'sidecar_stopped'
  | 'codec_not_browser_compatible'
  | 'webrtc_not_enabled'
  | 'webrtc_not_for_context'
  | 'webrtc_not_through_ingress'
  | 'jsmpeg_disabled'
  | 'jsmpeg_session_limit'
  | 'jsmpeg_transmission_limit'
  | 'ha_entity_uses_camera_contract';

export type VideoCodec = 'h264' | 'h265' | 'unknown';

export interface PlanFacts {
  client: Client;
  context: Context;
  transmission: { id: string; enabled: boolean; outputs: readonly Output[]; webrtcAllowed: boolean };
  /** What each output delivers: its own codec, or for a copy the camera's as the engine reports it. */
  codecOf: (output: Output) => VideoCodec;
  engine: 'running' | 'missing' | 'stopped' | 'starting' | 'crashed' | 'failed';
  sidecar: 'running' | 'disabled' | 'missing' | 'stopped' | 'starting' | 'failed';
  jsmpeg: { enabled: boolean; sessions: number; maxSessions: number; transmissionSessions: number; maxPerTransmission: number };
  /** Add-on mode with no LAN address of the host known: the engine advertises only its container's addresses to WebRTC peers. */
  webrtcLanUnknown?: boolean;
}

interface TransportCandidate {
  transport: PlayerTransport;
  rank: number;
  available: boolean;
  output_id: string | null;
  fallback_rank: number | null;
  blocked_reason: BlockedReason | null;
}

export interface Plan {
  client: Client;
  context: Context;
  selected_transport: PlayerTransport | null;
  transports: TransportCandidate[];
  hls_warnings: string[];
  webrtc_warnings: string[];
}

/**
 * Order of preference. Web passive views: MSE, HLS, JSMpeg (WebRTC only for PTZ); app and HA
 * ingress: HLS first; PTZ: WebRTC first. Every transport is listed, blocked ones with a reason.
 */
function transportOrder(client: Client, context: Context): PlayerTransport[] {
  const ptz = context === 'ptz';
  if (client === 'web') return ptz ? ['webrtc', 'mse', 'hls', 'jsmpeg'] : ['mse', 'hls', 'jsmpeg', 'webrtc'];
  if (client === 'app') return ptz ? ['webrtc', 'hls', 'mse', 'jsmpeg'] : ['hls', 'mse', 'jsmpeg', 'webrtc'];
  return ['hls', 'mse', 'jsmpeg', 'webrtc'];
}

const engineBlock = (state: PlanFacts['engine']): BlockedReason | null =>
  state === 'running' ? null : state === 'missing' ? 'engine_missing' : state === 'starting' ? 'engine_starting' : state === 'stopped' ? 'engine_stopped' : 'engine_failed';

const sidecarBlock = (state: PlanFacts['sidecar']): BlockedReason | null =>
  state === 'running' ? null : state === 'disabled' ? 'sidecar_disabled' : state === 'missing' ? 'sidecar_missing' : 'sidecar_stopped';

/** Picks an output for a transport, or says why none fits. Pure. */
function candidate(t: PlayerTransport, f: PlanFacts): { output: Output | null; blocked: BlockedReason | null } {
  const outputs = f.transmission.outputs.filter((o) => o.enabled);
  if (f.client === 'ha_entity') return { output: null, blocked: 'ha_entity_uses_camera_contract' };
  if (!f.transmission.enabled) return { output: null, blocked: 'transmission_disabled' };
  if (outputs.length === 0) return { output: null, blocked: 'no_output' };
  switch (t) {
    case 'hls': {
      const hls = outputs.filter((o) => o.enable_hls);
      if (hls.length === 0) return { output: null, blocked: 'no_output' };
      // Prefer an output every browser decodes; an HEVC one still plays in Safari's native HLS.
      return { output: hls.find((o) => f.codecOf(o) !== 'h265') ?? hls[0]!, blocked: engineBlock(f.engine) };
    }
    case 'mse': {
      const compatible = outputs.find((o) => f.codecOf(o) !== 'h265');
      if (!compatible) return { output: outputs[0]!, blocked: 'codec_not_browser_compatible' };
      return { output: compatible, blocked: engineBlock(f.engine) ?? sidecarBlock(f.sidecar) };
    }
    case 'webrtc': {
      if (f.client === 'ha_ingress') return { output: null, blocked: 'webrtc_not_through_ingress' };
      if (f.context !== 'ptz') return { output: null, blocked: 'webrtc_not_for_context' };
      const rtc = outputs.find((o) => o.enable_webrtc);
      if (!rtc || !f.transmission.webrtcAllowed) return { output: null, blocked: 'webrtc_not_enabled' };
      return { output: rtc, blocked: engineBlock(f.engine) };
    }
    case 'jsmpeg': {
      const j = f.jsmpeg;
      if (!j.enabled) return { output: null, blocked: 'jsmpeg_disabled' };
      if (j.sessions >= j.maxSessions) return { output: outputs[0]!, blocked: 'jsmpeg_session_limit' };
      if (j.transmissionSessions >= j.maxPerTransmission) return { output: outputs[0]!, blocked: 'jsmpeg_transmission_limit' };
      // Fed from the transmission's frames, not the engine: it works with the engine missing.
      return { output: outputs[0]!, blocked: null };
    }
  }
}

/** The backend's playback decision for one transmission, client and context. Pure. */
export function playbackPlan(f: PlanFacts): Plan {
  let fallbackRank = 0;
  const transports = transportOrder(f.client, f.context).map((transport, rank): TransportCandidate => {
    const { output, blocked } = candidate(transport, f);
    const available = blocked === null && output !== null;
    return { transport, rank, available, output_id: output?.id ?? null, fallback_rank: available ? fallbackRank++ : null, blocked_reason: blocked };
  });
  const hlsWarnings: string[] = [];
  const webrtcWarnings: string[] = [];
  const hls = transports.find((t) => t.transport === 'hls');
  const hlsOutput = f.transmission.outputs.find((o) => o.id === hls?.output_id);
  if (hlsOutput && f.codecOf(hlsOutput) === 'h265') hlsWarnings.push('hevc_output: only browsers with HEVC support (Safari) play this HLS output');
  if (hlsOutput && f.codecOf(hlsOutput) === 'unknown') hlsWarnings.push('codec_unknown: the camera codec is known once the engine has read the stream');
  if (f.context === 'ptz' && f.client !== 'ha_ingress' && transports.find((t) => t.transport === 'webrtc')?.available) {
    webrtcWarnings.push('webrtc_needs_udp: WebRTC needs the add-on UDP port reachable from the browser (no TURN); the player falls back to MSE/HLS otherwise');
  }
  if (f.webrtcLanUnknown && transports.find((t) => t.transport === 'webrtc')?.available) {
    webrtcWarnings.push(
      'webrtc_no_lan_address: no LAN address of the Home Assistant host is known (Supervisor did not say; set the webrtc_hosts option), so browsers on the LAN cannot reach WebRTC media; the player falls back to MSE/HLS',
    );
  }
  return { client: f.client, context: f.context, selected_transport: transports.find((t) => t.available)?.transport ?? null, transports, hls_warnings: hlsWarnings, webrtc_warnings: webrtcWarnings };
}

const ROLE_PREFERENCE: Record<Context, Variant['role'][]> = {
  thumbnail: ['sub', 'main', 'zoom', 'custom'],
  pip: ['sub', 'main', 'zoom', 'custom'],
  grid: ['sub', 'main', 'zoom', 'custom'],
  large: ['main', 'sub', 'zoom', 'custom'],
  fullscreen: ['main', 'sub', 'zoom', 'custom'],
  ptz: ['zoom', 'main', 'sub', 'custom'],
  diagnostics: ['sub', 'main', 'zoom', 'custom'],
};

/** The variant a context shows by default: thumbnail/pip/grid -> sub, large/fullscreen -> main, PTZ -> zoom, main, sub. */
export function selectVariant<V extends Pick<Variant, 'role' | 'show_in_dashboard'>>(variants: readonly V[], context: Context): V | null {
  const visible = variants.filter((v) => v.show_in_dashboard);
  for (const role of ROLE_PREFERENCE[context]) {
    const v = visible.find((x) => x.role === role);
    if (v) return v;
  }
  return null;
}
