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
  | 'ha_entity_uses_camera_contract'
  | 'host_unreachable';

export type VideoCodec = 'h264' | 'h265' | 'unknown';
/** What a browser can be told it decodes (`?decodes=`); the plan speaks only of these. */
export const DECODABLE = ['h264', 'h265', 'aac', 'opus'] as const;
export type Decodable = (typeof DECODABLE)[number];

/** What the browser decodes. Unknown (an older player, an app): H.264 and AAC, which every browser plays. */
export interface BrowserDecodes {
  video: readonly ('h264' | 'h265')[];
  audio: readonly string[];
  /** False when the client did not say: HLS then still offers an H.265-only stream (Safari plays it natively), with a warning. */
  known: boolean;
}
const UNKNOWN_BROWSER: BrowserDecodes = { video: ['h264'], audio: ['aac'], known: false };

/** The browser's `decodes` list as facts. */
export function browserDecodes(list: readonly Decodable[] | undefined): BrowserDecodes {
  if (list === undefined) return UNKNOWN_BROWSER;
  return { video: list.filter((c) => c === 'h264' || c === 'h265'), audio: list.filter((c) => c === 'aac' || c === 'opus'), known: true };
}

export interface PlanFacts {
  client: Client;
  context: Context;
  transmission: { id: string; enabled: boolean; outputs: readonly Output[]; webrtcAllowed: boolean };
  /** What each output delivers: its own codec, or for a copy the camera's as the engine or the last probe reports it. */
  codecOf: (output: Output) => VideoCodec;
  /** The audio codec an output carries (ffprobe's name), null for none. */
  audioOf?: (output: Output) => string | null;
  browser?: BrowserDecodes;
  engine: 'running' | 'missing' | 'stopped' | 'starting' | 'crashed' | 'failed';
  sidecar: 'running' | 'disabled' | 'missing' | 'stopped' | 'starting' | 'failed';
  jsmpeg: { enabled: boolean; sessions: number; maxSessions: number; transmissionSessions: number; maxPerTransmission: number };
  /** Add-on mode with no LAN address of the host known: the engine advertises only its container's addresses to WebRTC peers. */
  webrtcLanUnknown?: boolean;
  /** A transmission another server hosts, that server unreachable: why, in words (it blocks every transport). */
  hostUnreachable?: string | null;
}

interface TransportCandidate {
  transport: PlayerTransport;
  rank: number;
  available: boolean;
  output_id: string | null;
  fallback_rank: number | null;
  blocked_reason: BlockedReason | null;
  /** The blocked reason in words, naming the codec when the codec is why. */
  blocked_detail: string | null;
  /** The video codec this transport delivers (`mpeg1` for JSMpeg), null without an output. */
  video_codec: VideoCodec | 'mpeg1' | null;
  /** The audio the browser gets over this transport, null for none. */
  audio_codec: string | null;
}

export interface Plan {
  client: Client;
  context: Context;
  selected_transport: PlayerTransport | null;
  transports: TransportCandidate[];
  hls_warnings: string[];
  webrtc_warnings: string[];
  /** Codec and audio decisions, each naming the codec: what is transcoded for this browser, what plays without sound and why. */
  media_warnings: string[];
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

const CODEC_NAMES: Record<string, string> = { h264: 'H.264', h265: 'H.265 (HEVC)', aac: 'AAC', opus: 'Opus', pcm_mulaw: 'G.711 µ-law', pcm_alaw: 'G.711 A-law' };
const codecName = (c: string) => CODEC_NAMES[c] ?? c;

/** What each transport carries besides video: HLS (fMP4) and MSE carry AAC and Opus, WebRTC Opus only, JSMpeg nothing. */
const AUDIO_CARRIED: Record<PlayerTransport, readonly string[]> = { hls: ['aac', 'opus'], mse: ['aac', 'opus'], webrtc: ['opus'], jsmpeg: [] };

interface OutputPick {
  output: Output | null;
  blocked: BlockedReason | null;
  detail?: string;
}

/** The output a transport serves: the first (the copy comes first) whose codec the browser decodes. */
function decodable(outputs: readonly Output[], f: PlanFacts, browser: BrowserDecodes): Output | undefined {
  return outputs.find((o) => {
    const c = f.codecOf(o);
    return c === 'unknown' || browser.video.includes(c);
  });
}

function codecBlock(outputs: readonly Output[], f: PlanFacts): OutputPick {
  const codec = codecName(f.codecOf(outputs[0]!));
  // A camera's H.264 twin is made once a probe has found H.265: until then, probing is the fix.
  const fix = outputs.some((o) => o.codec === 'copy') ? '; probe the camera source so that an H.264 version is made for such browsers' : '';
  return { output: outputs[0]!, blocked: 'codec_not_browser_compatible', detail: `this browser does not decode ${codec} and the stream has no output in a codec it decodes${fix}` };
}

/** Picks an output for a transport, or says why none fits. Pure. */
function candidate(t: PlayerTransport, f: PlanFacts, browser: BrowserDecodes): OutputPick {
  const outputs = f.transmission.outputs.filter((o) => o.enabled);
  if (f.client === 'ha_entity') return { output: null, blocked: 'ha_entity_uses_camera_contract' };
  if (!f.transmission.enabled) return { output: null, blocked: 'transmission_disabled' };
  if (f.hostUnreachable) return { output: null, blocked: 'host_unreachable', detail: f.hostUnreachable };
  if (outputs.length === 0) return { output: null, blocked: 'no_output' };
  switch (t) {
    case 'hls': {
      const hls = outputs.filter((o) => o.enable_hls);
      if (hls.length === 0) return { output: null, blocked: 'no_output' };
      const fit = decodable(hls, f, browser);
      // A client that did not say what it decodes may be Safari, whose native HLS (and WebRTC) plays HEVC.
      if (!fit && browser.known) return codecBlock(hls, f);
      return { output: fit ?? hls[0]!, blocked: engineBlock(f.engine) };
    }
    case 'mse': {
      const fit = decodable(outputs, f, browser);
      if (!fit) return codecBlock(outputs, f);
      return { output: fit, blocked: engineBlock(f.engine) ?? sidecarBlock(f.sidecar) };
    }
    case 'webrtc': {
      if (f.client === 'ha_ingress') return { output: null, blocked: 'webrtc_not_through_ingress' };
      if (f.context !== 'ptz') return { output: null, blocked: 'webrtc_not_for_context' };
      const rtc = outputs.filter((o) => o.enable_webrtc);
      if (rtc.length === 0 || !f.transmission.webrtcAllowed) return { output: null, blocked: 'webrtc_not_enabled' };
      const fit = decodable(rtc, f, browser);
      if (!fit && browser.known) return codecBlock(rtc, f);
      return { output: fit ?? rtc[0]!, blocked: engineBlock(f.engine) };
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

/** The audio a transport gives this browser from an output: carried by the transport and decoded by the browser. */
function audioFor(t: PlayerTransport, audio: string | null, browser: BrowserDecodes): string | null {
  return audio !== null && AUDIO_CARRIED[t].includes(audio) && (t === 'webrtc' || browser.audio.includes(audio)) ? audio : null;
}

/** Why the sound of the transports that play is lost, each naming the codec; and which output is a transcode made for this browser. */
function mediaWarnings(f: PlanFacts, transports: readonly TransportCandidate[]): string[] {
  const warnings: string[] = [];
  const outputOf = (c: TransportCandidate) => f.transmission.outputs.find((o) => o.id === c.output_id);
  const playable = transports.filter((c) => c.available);
  const copy = f.transmission.outputs.find((o) => o.enabled && o.codec === 'copy');
  const copyCodec = copy ? f.codecOf(copy) : 'unknown';
  if (copy && copyCodec !== 'unknown' && playable.some((c) => c.transport !== 'jsmpeg' && outputOf(c)?.codec !== 'copy')) {
    warnings.push(`transcoded_for_browser: the camera sends ${codecName(copyCodec)}, which this browser does not decode; it plays an H.264 version encoded on this server only while watched`);
  }
  for (const c of playable) {
    const o = outputOf(c);
    const audio = o ? (f.audioOf?.(o) ?? null) : null;
    if (audio === null || c.audio_codec !== null) continue;
    const name = codecName(audio);
    const why =
      c.transport === 'jsmpeg'
        ? `the JSMpeg fallback carries no audio, so the camera's ${name} sound is dropped`
        : !AUDIO_CARRIED[c.transport].includes(audio)
          ? `${c.transport === 'webrtc' ? 'WebRTC carries Opus only' : `${c.transport.toUpperCase()} carries AAC and Opus only`}, so the camera's ${name} sound is dropped`
          : `this browser does not decode ${name}, so ${c.transport.toUpperCase()} plays without sound`;
    warnings.push(`audio_dropped_${c.transport}: ${why}`);
  }
  return warnings;
}

/** The backend's playback decision for one transmission, client and context. Pure. */
export function playbackPlan(f: PlanFacts): Plan {
  const browser = f.browser ?? UNKNOWN_BROWSER;
  let fallbackRank = 0;
  const transports = transportOrder(f.client, f.context).map((transport, rank): TransportCandidate => {
    const { output, blocked, detail } = candidate(transport, f, browser);
    const available = blocked === null && output !== null;
    const audio = output ? (f.audioOf?.(output) ?? null) : null;
    return {
      transport,
      rank,
      available,
      output_id: output?.id ?? null,
      fallback_rank: available ? fallbackRank++ : null,
      blocked_reason: blocked,
      blocked_detail: detail ?? null,
      video_codec: output === null ? null : transport === 'jsmpeg' ? 'mpeg1' : f.codecOf(output),
      audio_codec: output === null ? null : audioFor(transport, audio, browser),
    };
  });
  const hlsWarnings: string[] = [];
  const webrtcWarnings: string[] = [];
  const hls = transports.find((t) => t.transport === 'hls');
  const hlsOutput = f.transmission.outputs.find((o) => o.id === hls?.output_id);
  if (hlsOutput && f.codecOf(hlsOutput) === 'h265' && !browser.known) hlsWarnings.push('hevc_output: only browsers with HEVC support (Safari) play this HLS output');
  if (hlsOutput && f.codecOf(hlsOutput) === 'unknown') hlsWarnings.push('codec_unknown: the camera codec is known once the engine has read the stream or the source was probed');
  if (f.context === 'ptz' && f.client !== 'ha_ingress' && transports.find((t) => t.transport === 'webrtc')?.available) {
    webrtcWarnings.push('webrtc_needs_udp: WebRTC needs the add-on UDP port reachable from the browser (no TURN); the player falls back to MSE/HLS otherwise');
  }
  if (f.webrtcLanUnknown && transports.find((t) => t.transport === 'webrtc')?.available) {
    webrtcWarnings.push(
      'webrtc_no_lan_address: no LAN address of the Home Assistant host is known (Supervisor did not say; set the webrtc_hosts option), so browsers on the LAN cannot reach WebRTC media; the player falls back to MSE/HLS',
    );
  }
  return {
    client: f.client,
    context: f.context,
    selected_transport: transports.find((t) => t.available)?.transport ?? null,
    transports,
    hls_warnings: hlsWarnings,
    webrtc_warnings: webrtcWarnings,
    media_warnings: mediaWarnings(f, transports),
  };
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
