import * as v from 'valibot';
import type { HostedDoc } from '../domain/hosting.js';
import type { EngineManager } from '../engine/index.js';
import type { Output, Transmission } from '../domain/transmission.js';
import { ApiError, notFound } from '../shared/errors.js';
import type { SettingsStore } from '../store/settings-store.js';
import { BROWSER_AUDIO_CODECS } from '../domain/source-facts.js';
import { browserDecodes, CLIENTS, CONTEXTS, DECODABLE, playbackPlan, selectVariant, type Decodable, type PlanFacts, type PlayerTransport, type VideoCodec } from './plan.js';
import type { PeerLinks } from './remote/peer-links.js';
import type { PeerResolution } from './remote/resolution.js';
import type { MediaScope, MediaTokens } from './tokens.js';
import { lanRtspUrl, mediaUrl, readerProblem, webrtcOfferUrl } from './urls.js';

const DECODABLE_SET = new Set<string>(DECODABLE);

export const planQuerySchema = v.object({
  client: v.optional(v.picklist(CLIENTS), 'web'),
  context: v.optional(v.picklist(CONTEXTS), 'grid'),
  /** What the browser decodes, e.g. `h264,aac,opus`; absent: unknown (H.264 and AAC assumed). */
  decodes: v.optional(
    v.pipe(
      v.string(),
      v.maxLength(100),
      v.transform((s) => (s === '' ? [] : s.split(','))),
      v.check((list) => list.every((c) => DECODABLE_SET.has(c)), `must be a comma-separated list of ${DECODABLE.join(', ')}`),
      v.transform((list) => list as Decodable[]),
    ),
  ),
});

export interface PlaybackServiceOptions {
  store: SettingsStore;
  engine: Pick<EngineManager, 'status' | 'videoCodec' | 'internalRtspUrl' | 'internalHttpBase'>;
  tokens: MediaTokens;
  sidecarState: () => PlanFacts['sidecar'];
  jsmpegSessions: (transmissionId: string) => { total: number; transmission: number };
  /** What this server runs (its own and its peers' transmissions): the cameras behind them, and what `internal/.../urls` answers for. */
  hosted: () => HostedDoc;
  /** The hosts of this server's transmissions that a peer hosts. */
  remote: Pick<PeerLinks, 'hostOf' | 'resolve' | 'unreachable'>;
}

/** Who asks for a transmission's internal URLs: a peer (authenticated) the host serves it for, or a local program. */
export interface InternalCaller {
  peer: string | null;
  host: string;
}

/** Where a request came from: the ingress prefix for browser URLs, the host name for LAN URLs. */
export interface RequestOrigin {
  prefix: string;
  host: string;
}

export function createPlaybackService({ store, engine, tokens, sidecarState, jsmpegSessions, hosted, remote }: PlaybackServiceOptions) {
  const tx = (id: string): Transmission => {
    const t = store.get().transmissions.find((x) => x.id === id);
    if (!t) throw notFound('transmission', id);
    return t;
  };

  // The hosted cameras hold this server's own and those of the transmissions it hosts for peers.
  const sourceOf = (t: Transmission) =>
    t.input === 'camera_source'
      ? hosted()
          .cameras.find((c) => c.id === t.camera_id)
          ?.sources.find((s) => s.id === t.camera_source_id)
      : undefined;

  /** Codecs of the outputs: an encoded output's own; a copy's as the engine reports the camera's, else as the last probe found it. */
  async function codecs(t: Transmission): Promise<Map<string, VideoCodec>> {
    const m = new Map<string, VideoCodec>();
    const probed = sourceOf(t)?.probe?.video?.codec;
    const fromProbe: VideoCodec = probed === 'h264' || probed === 'h265' ? probed : 'unknown';
    for (const o of t.outputs) {
      const engineSays = o.codec === 'copy' ? await engine.videoCodec(o.engine_path) : o.codec;
      m.set(o.id, engineSays === 'unknown' ? fromProbe : engineSays);
    }
    return m;
  }

  /** A copy carries the camera's audio; a transcode copies AAC and Opus along (src/runtime/ffmpeg-args.ts) and drops the rest; writers have none. */
  function audioOf(t: Transmission): (o: Output) => string | null {
    const audio = sourceOf(t)?.probe?.audio?.codec ?? null;
    const copied = audio !== null && (BROWSER_AUDIO_CODECS as readonly string[]).includes(audio);
    return (o) => (audio === null ? null : o.codec === 'copy' || copied ? audio : null);
  }

  function urlFor(t: Transmission, o: Output, transport: PlayerTransport, prefix: string, issue = tokens.issue): string {
    if (transport === 'webrtc') return webrtcOfferUrl(prefix, t.id, o.id);
    const token = issue({ transmission_id: t.id, output_id: o.id, path: o.engine_path, transport });
    return mediaUrl(prefix, transport, o.engine_path, token);
  }

  /**
   * The tokens handed to a peer are reused for half their life: the peer asks again every few seconds
   * (for fresh facts), and a new token would be a new HLS session here each time.
   */
  const peerTokens = new Map<string, { token: string; at: number }>();
  const peerToken = (scope: MediaScope): string => {
    const key = JSON.stringify(scope);
    const kept = peerTokens.get(key);
    if (kept && Date.now() - kept.at < tokens.ttlMs / 2) return kept.token;
    for (const [k, v] of peerTokens) if (Date.now() - v.at >= tokens.ttlMs / 2) peerTokens.delete(k);
    const token = tokens.issue(scope);
    peerTokens.set(key, { token, at: Date.now() });
    return token;
  };

  /** The facts of a plan that depend on where the transmission runs: here, or on its host (as the host says). */
  type HostFacts = Pick<PlanFacts, 'codecOf' | 'audioOf' | 'engine' | 'webrtcLanUnknown' | 'sidecar' | 'jsmpeg' | 'hostUnreachable'>;

  async function localFacts(t: Transmission): Promise<HostFacts> {
    const codecOf = await codecs(t);
    const sessions = jsmpegSessions(t.id);
    const j = store.get().streaming.jsmpeg;
    return {
      codecOf: (o) => codecOf.get(o.id) ?? 'unknown',
      audioOf: audioOf(t),
      engine: engine.status().state,
      webrtcLanUnknown: engine.status().webrtc.source === 'unknown',
      sidecar: sidecarState(),
      jsmpeg: { enabled: j.enabled, sessions: sessions.total, maxSessions: j.max_sessions, transmissionSessions: sessions.transmission, maxPerTransmission: j.max_sessions_per_transmission },
    };
  }

  /** The host's answer, or why there is none (a host known down is not waited for). */
  async function resolution(t: Transmission): Promise<{ r: PeerResolution; why: null } | { r: null; why: string }> {
    const down = remote.unreachable(t.id);
    if (down) return { r: null, why: down };
    try {
      return { r: await remote.resolve(t.id), why: null };
    } catch (err) {
      return { r: null, why: err instanceof Error ? err.message : String(err) };
    }
  }

  async function remoteFacts(t: Transmission): Promise<HostFacts> {
    const { r, why } = await resolution(t);
    const out = (o: Output) => r?.outputs.find((x) => x.output_id === o.id);
    const j = r?.jsmpeg;
    return {
      codecOf: (o) => out(o)?.video_codec ?? 'unknown',
      audioOf: (o) => out(o)?.audio_codec ?? null,
      engine: r?.engine ?? 'stopped',
      webrtcLanUnknown: r?.webrtc_lan_unknown ?? false,
      sidecar: r?.sidecar ?? 'stopped',
      jsmpeg: {
        enabled: j?.enabled ?? false,
        sessions: j?.sessions ?? 0,
        maxSessions: j?.max_sessions ?? 0,
        transmissionSessions: j?.transmission_sessions ?? 0,
        maxPerTransmission: j?.max_per_transmission ?? 0,
      },
      hostUnreachable: why,
    };
  }

  async function plan(id: string, query: v.InferOutput<typeof planQuerySchema>, origin: RequestOrigin) {
    const t = tx(id);
    const doc = store.get();
    const pub = t.metadata?.publication_id ? doc.publications.find((p) => p.id === t.metadata!.publication_id) : undefined;
    const result = playbackPlan({
      client: query.client,
      context: query.context,
      transmission: { id: t.id, enabled: t.enabled, outputs: t.outputs, webrtcAllowed: !pub || pub.role === 'zoom' || pub.transport_policy.enable_webrtc === true },
      browser: browserDecodes(query.decodes),
      ...(remote.hostOf(t.id) ? await remoteFacts(t) : await localFacts(t)),
    });
    return {
      transmission_id: t.id,
      ...result,
      transports: result.transports.map((c) => {
        const o = c.output_id ? t.outputs.find((x) => x.id === c.output_id) : undefined;
        return { ...c, url: c.available && o ? urlFor(t, o, c.transport, origin.prefix) : null };
      }),
      still_url: `${origin.prefix}/api/streams/transmissions/${t.id}/still.jpg`,
      expires_in_s: Math.floor(tokens.ttlMs / 1000),
    };
  }

  /** What the peer a transmission is hosted for needs to play it through itself: media paths with tokens minted here, and the plan's facts. */
  async function peerResolution(t: Transmission, host: string): Promise<PeerResolution> {
    const facts = await localFacts(t);
    const { engine: eng, lan_reader } = store.get().streaming;
    const rtspPort = engine.status().ports.rtsp.actual ?? eng.rtsp_port;
    const j = facts.jsmpeg;
    return {
      transmission_id: t.id,
      expires_in_s: Math.floor(tokens.ttlMs / 1000),
      engine: facts.engine,
      webrtc_lan_unknown: facts.webrtcLanUnknown ?? false,
      sidecar: facts.sidecar,
      jsmpeg: { enabled: j.enabled, sessions: j.sessions, max_sessions: j.maxSessions, transmission_sessions: j.transmissionSessions, max_per_transmission: j.maxPerTransmission },
      outputs: t.outputs
        .filter((o) => o.enabled)
        .map((o) => ({
          output_id: o.id,
          engine_path: o.engine_path,
          video_codec: facts.codecOf(o),
          audio_codec: facts.audioOf?.(o) ?? null,
          hls: urlFor(t, o, 'hls', '', peerToken),
          mse: urlFor(t, o, 'mse', '', peerToken),
          jsmpeg: urlFor(t, o, 'jsmpeg', '', peerToken),
          rtsp: lanRtspUrl(host, rtspPort, o.engine_path, lan_reader),
        })),
    };
  }

  return {
    plan,

    /** A live view's plan: the variant its context prefers, then that transmission's plan. */
    async liveViewPlan(liveViewId: string, query: v.InferOutput<typeof planQuerySchema>, origin: RequestOrigin) {
      const view = store.get().live_views.find((l) => l.id === liveViewId);
      if (!view) throw notFound('live view', liveViewId);
      const variant = selectVariant(view.variants, query.context);
      return { live_view_id: view.id, variant, plan: variant ? await plan(variant.transmission_id, query, origin) : null };
    },

    /** Every way to reach each output, for players and tools; for a transmission a peer hosts, its RTSP address is the host's. */
    async urls(id: string, origin: RequestOrigin) {
      const t = tx(id);
      const { engine: eng, lan_reader } = store.get().streaming;
      const status = engine.status();
      const rtspPort = status.ports.rtsp.actual ?? eng.rtsp_port;
      const host = remote.hostOf(t.id) ? await resolution(t) : null;
      const outputs = t.outputs.filter((o) => o.enabled);
      const entries = outputs.flatMap((o) => {
        const base = { output_id: o.id, resolved_engine_path: o.engine_path, requires_auth: false, auth_username: null as string | null };
        const rtsp = host ? (host.r?.outputs.find((x) => x.output_id === o.id)?.rtsp ?? null) : lanRtspUrl(origin.host, rtspPort, o.engine_path, lan_reader);
        const list = [
          ...(rtsp === null ? [] : [{ ...base, protocol: 'rtsp' as const, url: rtsp, requires_auth: lan_reader.password !== null, auth_username: lan_reader.username }]),
          ...(o.enable_hls ? [{ ...base, protocol: 'hls' as const, url: urlFor(t, o, 'hls', origin.prefix) }] : []),
          { ...base, protocol: 'mse' as const, url: urlFor(t, o, 'mse', origin.prefix) },
          { ...base, protocol: 'jsmpeg' as const, url: urlFor(t, o, 'jsmpeg', origin.prefix) },
          ...(o.enable_webrtc ? [{ ...base, protocol: 'webrtc' as const, url: urlFor(t, o, 'webrtc', origin.prefix) }] : []),
        ];
        return list;
      });
      const warnings: string[] = [];
      if (host) {
        if (host.r === null) warnings.push(`host_unreachable: ${host.why}`);
        else if (host.r.engine !== 'running') warnings.push(`engine_${host.r.engine}: the engine of host "${t.host_server_id}" is not running`);
      } else {
        if (status.state !== 'running') warnings.push(`engine_${status.state}: RTSP, HLS, MSE and WebRTC need the engine; ${status.binary.reason ?? ''}`.trim());
        const reader = readerProblem(lan_reader);
        if (reader) warnings.push(reader);
      }
      return { transmission_id: t.id, host_server_id: t.host_server_id, urls: entries, warnings };
    },

    /**
     * Loopback URLs on the host running the engine (diagnostics, other local programs); for the peer a
     * transmission is hosted for, also where it reaches the media and the facts of its playback plan.
     */
    async internalUrls(id: string, caller: InternalCaller) {
      const doc = hosted();
      const t = doc.transmissions.find((x) => x.id === id);
      // A peer sees only what it gave this server to host.
      if (!t || (caller.peer !== null && doc.hosted_for.get(id) !== caller.peer)) {
        const own = store.get().transmissions.find((x) => x.id === id);
        if (own && caller.peer === null)
          throw new ApiError(409, 'not_host', `transmission ${id} is hosted by "${own.host_server_id}", not this server ("${doc.streaming.server_id}")`, 'host_server_id');
        throw notFound('transmission', id);
      }
      const hls = engine.internalHttpBase('hls');
      const whep = engine.internalHttpBase('webrtc');
      const urls = t.outputs.map((o) => ({
        output_id: o.id,
        resolved_engine_path: o.engine_path,
        rtsp: engine.internalRtspUrl(o.engine_path),
        hls: hls ? `${hls}/${o.engine_path}/index.m3u8` : null,
        whep: whep && o.enable_webrtc ? `${whep}/${o.engine_path}/whep` : null,
      }));
      return { transmission_id: t.id, urls, ...(caller.peer === null ? {} : { peer: await peerResolution(t, caller.host) }) };
    },
  };
}
export type PlaybackService = ReturnType<typeof createPlaybackService>;
