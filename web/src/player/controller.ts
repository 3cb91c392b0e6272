/**
 * Runs one player session: carries out the machine's effects (plan requests, transports in the two
 * <video> slots, playback events), feeds it time through one explicit timer at its next deadline,
 * sends demand heartbeats, and watches runtime health. `stop()` releases all of it.
 */
import type { PlaybackPlan, PlayContext, Transport, TransmissionHealth } from '../../../src/api/contract.js';
import { api, ApiFailure } from '../api/client.js';
import { base, wsUrl } from '../base.js';
import { browserCapabilities, decodesParam } from './capabilities.js';
import { feedMissing, createHealthFeed, type FeedHealth } from './health-feed.js';
import { createEventSink, type PlaybackEventBody } from './events.js';
import { attachHls, hlsEngine } from './hls.js';
import { attachJsmpeg, jsmpegSupported } from './jsmpeg.js';
import { initialState, step } from './machine.js';
import { deadline, view } from './machine-view.js';
import { DEFAULT_OPTIONS, type Effect, type MachineEvent, type MachineOptions, type MachineView, type Slot } from './machine-types.js';
import { mseAttach, mseSupported } from './mse.js';
import { audioByTransport, planPath, toCandidates, type Forcing, type HlsEngine, type PlanClient } from './plan.js';
import { createStatsCollector, type LiveStats } from './stats.js';
import { bufferedEnd, type Attach, type TransportHandle } from './transport.js';
import { attachWebrtc, webrtcSupported } from './webrtc.js';

/** Demand heartbeats: the server keeps demand 30 s after one and asks for one about every third of that. */
const HEARTBEAT_MS = 10_000;

const healthFeed = createHealthFeed({ load: () => api<TransmissionHealth[]>('api/streams/runtime/health') });

const events = createEventSink({
  send: (batch) => api('api/streams/runtime/playback-events', { method: 'POST', body: batch }),
});

interface PlanNotes {
  hlsWarnings: string[];
  webrtcWarnings: string[];
  /** What was transcoded for this browser, which transport drops the sound and why (codec named). */
  mediaWarnings: string[];
  /** Every transport the plan or this browser ruled out, with why. */
  blocked: { transport: Transport; reason: string }[];
}

export interface Snapshot {
  view: MachineView;
  /** What runs in each <video> slot. */
  slots: Record<Slot, Transport | null>;
  /** With HLS on screen: which engine plays it. */
  hlsEngine: HlsEngine | null;
  /** The audio codec of the transport on screen (null: it plays without sound). */
  audio: string | null;
  /** Time to first frame of the transport on screen. */
  ttffMs: number | null;
  /** When the next background try of a better transport starts (epoch ms, rounded to the second). */
  climbAt: number | null;
  lastFailure: { transport: Transport; reason: string } | null;
  plan: PlanNotes | null;
  health: FeedHealth | null;
}

export interface ControllerOptions {
  transmissionId: string;
  context: PlayContext;
  client: PlanClient;
  videos: Record<Slot, HTMLVideoElement>;
  forcing: Forcing;
  onChange: (s: Snapshot) => void;
  machine?: Partial<MachineOptions>;
}

/** Heartbeat kinds the server knows (src/runtime/demand.ts): PiP and PTZ are told apart from plain web viewing. */
const heartbeatClient = (context: PlayContext) => (context === 'pip' ? 'pip' : context === 'ptz' ? 'ptz' : 'web');

/** A session id for the server's demand and event records: secure contexts only have randomUUID, ingress over plain HTTP is not one. */
const newSessionId = () => `p${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;

export interface Controller {
  stop(): void;
  /** The stats overlay's figures now (reads the shown <video>; call it a few times a second at most). */
  stats(): LiveStats;
}

export function startController(o: ControllerOptions): Controller {
  const opts: MachineOptions = { ...DEFAULT_OPTIONS, ...o.machine };
  const now = () => performance.now();
  const sessionId = newSessionId();
  const caps = browserCapabilities();
  const engine = hlsEngine(o.forcing.hls, caps);
  // What each transport's output carries to this browser, from the latest plan (attempts start from its candidates).
  let audio = new Map<Transport, string | null>();
  const supported = (t: Transport): boolean => (t === 'hls' ? engine !== null : t === 'mse' ? mseSupported(caps) : t === 'jsmpeg' ? jsmpegSupported() : webrtcSupported());
  const attachFor = (t: Transport): { attach: Attach; ws: boolean } =>
    t === 'hls'
      ? { attach: attachHls(engine ?? 'native'), ws: false }
      : t === 'mse'
        ? { attach: mseAttach(audio.get('mse') ?? null, caps), ws: true }
        : t === 'jsmpeg'
          ? { attach: attachJsmpeg, ws: true }
          : { attach: attachWebrtc, ws: false };

  let state = initialState(opts);
  const handles = new Map<number, { handle: TransportHandle; transport: Transport; slot: Slot }>();
  let planNotes: PlanNotes | null = null;
  let health: FeedHealth | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let planAbort: AbortController | null = null;
  let stopped = false;
  let lastEmitted = '';
  const stats = createStatsCollector({ now });

  // Events raised while effects run (a transport failing inside attach) wait for the current step.
  const pending: MachineEvent[] = [];
  let dispatching = false;
  function dispatch(e: MachineEvent): void {
    pending.push(e);
    if (dispatching) return;
    dispatching = true;
    try {
      for (let next = pending.shift(); next; next = pending.shift()) {
        const r = step(state, next, opts);
        state = r.state;
        for (const fx of r.effects) run(fx);
      }
    } finally {
      dispatching = false;
    }
    stats.track(state.current);
    schedule();
    emit();
  }

  function schedule(): void {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const at = deadline(state, opts);
    if (at === null || stopped) return;
    // +1: a timer may fire a hair before its time, and the machine would only ask again.
    timer = setTimeout(() => dispatch({ type: 'tick', now: now() }), Math.max(0, at - now()) + 1);
  }

  function run(fx: Effect): void {
    switch (fx.type) {
      case 'fetch_plan':
        return fetchPlan();
      case 'start': {
        const { attach, ws } = attachFor(fx.transport);
        const id = fx.attempt;
        const callbacks = {
          onFirstFrame: () => dispatch({ type: 'first_frame', now: now(), attempt: id }),
          onProgress: (lagS: number) => dispatch({ type: 'progress', now: now(), attempt: id, lagS }),
          onError: (reason: string) => dispatch({ type: 'error', now: now(), attempt: id, reason }),
          // Only the foreground attempt's bytes: a background climb's would inflate what is on screen.
          onBytes: (n: number) => {
            if (state.current?.id === id) stats.bytes(n);
          },
        };
        try {
          const handle = attach(o.videos[fx.slot], ws ? wsUrl(base(), fx.url) : fx.url, callbacks);
          handles.set(id, { handle, transport: fx.transport, slot: fx.slot });
        } catch (e) {
          dispatch({ type: 'error', now: now(), attempt: id, reason: `attach: ${e instanceof Error ? e.message : String(e)}` });
        }
        return;
      }
      case 'stop':
        handles.get(fx.attempt)?.handle.stop();
        handles.delete(fx.attempt);
        return;
      case 'seek_live':
        return handles.get(fx.attempt)?.handle.seekLive();
      case 'show':
        // The slot swap is drawn from the machine's `visible`: nothing to do here.
        return;
      case 'report': {
        const body: PlaybackEventBody = {
          transmission_id: o.transmissionId,
          output_id: fx.outputId,
          client: o.client,
          context: o.context,
          event: fx.event,
          transport: fx.transport,
          session_id: sessionId,
          ...(fx.from ? { from_transport: fx.from } : {}),
          ...(fx.ttffMs !== undefined ? { ttff_ms: fx.ttffMs } : {}),
          ...(fx.reason !== undefined ? { reason: fx.reason } : {}),
        };
        events.push(body);
        if (fx.event === 'failed' || fx.event === 'fell_back' || fx.event === 'climbed') stats.event({ kind: fx.event, transport: fx.transport, from: fx.from ?? null, reason: fx.reason ?? null });
        return;
      }
    }
  }

  function fetchPlan(): void {
    planAbort?.abort();
    const abort = (planAbort = new AbortController());
    api<PlaybackPlan>(planPath(o.transmissionId, o.client, o.context, decodesParam(caps)), { signal: abort.signal })
      .then((plan) => {
        if (abort.signal.aborted) return;
        const candidates = toCandidates(plan, supported, o.forcing.transport);
        audio = audioByTransport(plan);
        planNotes = {
          hlsWarnings: plan.hls_warnings,
          webrtcWarnings: plan.webrtc_warnings,
          mediaWarnings: plan.media_warnings,
          blocked: candidates.flatMap((c) => (c.blocked ? [{ transport: c.transport, reason: c.blocked }] : [])),
        };
        dispatch({ type: 'plan', now: now(), candidates, expiresInMs: plan.expires_in_s * 1000 });
        renewHls(candidates.find((c) => c.transport === 'hls')?.url ?? null);
      })
      .catch((e: unknown) => {
        if (abort.signal.aborted) return;
        dispatch({ type: 'plan_failed', now: now(), notFound: e instanceof ApiFailure && e.status === 404 });
      });
  }

  /** HLS checks its token on every request: hls.js takes the new one in place, native HLS needs a new attempt. */
  function renewHls(url: string | null): void {
    const cur = state.current;
    if (!url || cur?.transport !== 'hls' || cur.firstFrameAt === null) return;
    const h = handles.get(cur.id)?.handle;
    if (h?.updateUrl) h.updateUrl(url);
    else dispatch({ type: 'renew', now: now() });
  }

  function snapshot(): Snapshot {
    const slots: Record<Slot, Transport | null> = { a: null, b: null };
    for (const h of handles.values()) slots[h.slot] = h.transport;
    const cur = state.current;
    const v = view(state);
    return {
      view: v,
      slots,
      hlsEngine: v.playing === 'hls' && cur ? ((handles.get(cur.id)?.handle.detail as HlsEngine | undefined) ?? null) : null,
      audio: v.playing ? (audio.get(v.playing) ?? null) : null,
      ttffMs: cur?.firstFrameAt != null ? Math.round(cur.firstFrameAt - cur.startedAt) : null,
      climbAt: state.climbAt !== null && !state.probe ? Math.round((Date.now() + state.climbAt - now()) / 1000) * 1000 : null,
      lastFailure: state.lastFailure,
      plan: planNotes,
      health,
    };
  }

  function readStats(): LiveStats {
    const cur = state.current?.firstFrameAt != null ? state.current : null;
    const video = o.videos[state.visible];
    const handle = cur ? handles.get(cur.id)?.handle : undefined;
    if (cur) {
      const q = video.getVideoPlaybackQuality();
      stats.frames(q.totalVideoFrames, q.droppedVideoFrames);
    }
    const end = bufferedEnd(video);
    return {
      transport: cur?.transport ?? null,
      hlsEngine: cur?.transport === 'hls' ? ((handle?.detail as HlsEngine | undefined) ?? null) : null,
      width: cur && video.videoWidth ? video.videoWidth : null,
      height: cur && video.videoHeight ? video.videoHeight : null,
      latencyS: !cur ? null : handle?.latencyS ? handle.latencyS() : end !== null ? Math.max(0, end - video.currentTime) : null,
      ...stats.read(),
    };
  }

  function emit(): void {
    if (stopped) return;
    const s = snapshot();
    // Progress comes twice a second per player: only a change re-renders.
    const key = JSON.stringify(s);
    if (key === lastEmitted) return;
    lastEmitted = key;
    o.onChange(s);
  }

  const heartbeat = () =>
    api(`api/streams/transmissions/${encodeURIComponent(o.transmissionId)}/demand/heartbeat`, {
      method: 'POST',
      body: { client: heartbeatClient(o.context), session_id: sessionId },
    }).catch(() => undefined);
  // Demand first, so the engine or the writers' publisher is starting while the plan is computed.
  void heartbeat();
  const heartbeats = setInterval(() => void heartbeat(), HEARTBEAT_MS);
  const unwatch = healthFeed.watch(o.transmissionId, (h) => {
    health = h;
    dispatch({ type: 'feed', now: now(), missing: feedMissing(h) });
  });
  dispatch({ type: 'start', now: now() });

  return {
    stats: readStats,
    stop() {
      if (stopped) return;
      stopped = true;
      // The machine stops both slots' transports; no timer is scheduled or snapshot emitted any more.
      dispatch({ type: 'shutdown' });
      if (timer !== null) clearTimeout(timer);
      clearInterval(heartbeats);
      planAbort?.abort();
      unwatch();
      events.flush();
    },
  };
}
