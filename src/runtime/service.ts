import * as v from 'valibot';
import { hostedDoc, remoteTransmissions, type HostedDoc } from '../domain/hosting.js';
import type { SettingsStore } from '../store/settings-store.js';
import { notFound } from '../shared/errors.js';
import type { EngineStatus } from '../engine/index.js';
import type { ChildStatus, Supervisor } from '../process/types.js';
import type { CameraFrames } from './camera-frames.js';
import type { LoopFailure } from './failure-log.js';
import { CLIENT_KINDS, type DemandTarget, type DemandTracker } from './demand.js';
import type { OutputActivity } from './output-watch.js';
import type { Transmission } from '../domain/transmission.js';
import type { Publishers } from './publishers.js';
import type { Runtime } from './runtime.js';
import type { RuntimeRegistry } from './transmission-state.js';

/** An output of the transmission: demand naming it is what starts an output made on request (an H.264 twin). */
const outputIdField = v.optional(v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be an output id of the transmission')));

export const heartbeatSchema = v.strictObject({
  client: v.picklist(CLIENT_KINDS),
  output_id: outputIdField,
  session_id: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 letters, digits, "_", ".", ":" or "-"'))),
});
export const primeSchema = v.strictObject({
  output_id: outputIdField,
  seconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(120)), 30),
});

export interface RuntimeServiceOptions {
  store: SettingsStore;
  runtime: Runtime;
  demand: DemandTracker;
  registry: RuntimeRegistry;
  publishers: Publishers;
  frames: CameraFrames;
  supervisor: Supervisor;
  engine: () => EngineStatus;
  /** Other loops that run on whatever they throw (the settings follower), by name: their current failure. */
  loops?: Record<string, () => LoopFailure | null>;
  /** The JSMpeg fallback sessions (`JsmpegSessions.sessions`): their encoders' output activity. */
  jsmpegSessions?: () => readonly { transmission_id: string; output: OutputActivity }[];
  /** What runs here: this server's own transmissions it hosts and those it hosts for peers. Default: the store's own. */
  hosted?: () => HostedDoc;
  /** Why the host of a transmission a peer hosts cannot be reached now, or null. */
  hostUnreachable?: (transmissionId: string) => string | null;
  now?: () => number;
}

/** What the runtime endpoints show: demand per transmission, outputs, health, diagnostics. */
export function createRuntimeService({
  store,
  runtime,
  demand,
  registry,
  publishers,
  frames,
  supervisor,
  engine,
  loops = {},
  jsmpegSessions = () => [],
  hosted = () => hostedDoc(store.get(), []),
  hostUnreachable = () => null,
  now = Date.now,
}: RuntimeServiceOptions) {
  const started = now();
  const counters = { heartbeats: 0, primes: 0 };
  const tx = (id: string) => {
    const t = hosted().transmissions.find((x) => x.id === id);
    if (!t) throw notFound('transmission', id);
    return t;
  };

  function demandView(id: string) {
    const t = tx(id);
    const d = demand.describe(id);
    const outputs = runtime.outputs().filter((o) => o.transmission_id === id);
    return {
      transmission_id: id,
      has_demand: demand.wanted(id) || outputs.some((o) => (o.readers ?? 0) > 0),
      debounce_s: store.get().streaming.demand.debounce_s,
      heartbeats: d.heartbeats,
      primed_for_ms: d.primed_for_ms,
      consumers: d.consumers,
      enabled: t.enabled,
      outputs: outputs.map(({ output_id, path, feed, readers, publisher, stop_in_ms }) => ({ output_id, path, feed, readers, publisher, stop_in_ms })),
    };
  }

  /** Every loop's current failure, by name (the runtime tick first). */
  const loopFailures = () => ({ runtime_tick: runtime.status().failing, ...Object.fromEntries(Object.entries(loops).map(([name, f]) => [name, f()])) });

  const restarting = (kind: string, path: string, st: ChildStatus | null): string[] => {
    if (st?.state !== 'backoff') return [];
    const exit = st.last_exit?.signal ? `signal ${st.last_exit.signal}` : `code ${st.last_exit?.code ?? 'unknown'}`;
    return [`${kind}_restarting: ${path} exited (${exit})${st.last_error_line ? `: ${st.last_error_line}` : ''}`];
  };

  function health() {
    const t = now();
    const eng = engine();
    const outputs = runtime.outputs();
    const failing = Object.entries(loopFailures()).flatMap(([name, f]) => (f ? [`${name}_failing: ${f.error}`] : []));
    const unusable = runtime.plan().unusable;
    const reads = runtime.plan().sources;
    const sessions = jsmpegSessions();
    const doc = hosted();
    const local = doc.transmissions.map((x) => {
      const state = registry.get(x.id)?.health(t);
      const mine = outputs.filter((o) => o.transmission_id === x.id);
      const problems: string[] = [];
      if (eng.state !== 'running') problems.push(`engine_${eng.state}${eng.binary.reason ? `: ${eng.binary.reason}` : ''}`);
      if (!x.enabled) problems.push('transmission_disabled');
      const source = unusable.find((u) => u.transmission_ids.includes(x.id));
      if (source) problems.push(`camera_source_unusable: cameras.${source.camera_id}.sources.${source.source_id}: ${source.problem}`);
      problems.push(...failing);
      // A child killed or crashed is a fault until it runs again (at most about a second: MEDIA_BACKOFF).
      for (const o of mine) problems.push(...restarting('publisher', o.path, publishers.status(o.path)));
      for (const r of reads) if (r.transmission_ids.includes(x.id)) problems.push(...restarting('camera_frames', r.path, frames.status(r.path)));
      // Fresh frames are not enough: an encoder that takes them and produces nothing is a fault too.
      const activity = [...mine.flatMap((o) => publishers.activity(o.path) ?? []), ...sessions.filter((se) => se.transmission_id === x.id).map((se) => se.output)];
      const stalled = activity.filter((a) => a.stalled);
      for (const a of stalled) problems.push(`output_stalled: ${a.name} has produced nothing for ${(a.no_output_for_ms / 1000).toFixed(1)} s while frames go in`);
      return {
        transmission_id: x.id,
        name: x.name,
        enabled: x.enabled,
        input: x.input,
        engine_state: eng.state,
        host_server_id: x.host_server_id,
        /** The peer this server hosts it for; null for its own. */
        hosted_for: doc.hosted_for.get(x.id) ?? null,
        active_writer_id: state?.active_writer_id ?? null,
        selected_writer_id: state?.selected_writer_id ?? null,
        // A camera stream nobody watches decodes nothing: it is idle, not failing.
        fallback_reason: source ? ('camera_source_unusable' as const) : state ? state.fallback_reason : x.input === 'camera_source' ? null : ('no_writer' as const),
        frame_age_ms: state?.frame_age_ms ?? null,
        writers: state?.writers ?? [],
        demand: demand.wanted(x.id),
        problems,
        outputs: mine.map(({ output_id, path, feed, publisher, readers }) => ({ output_id, path, feed, publisher, readers })),
        output_stalled: stalled.length > 0,
        stalled_outputs: stalled.map(({ kind, name, no_output_for_ms }) => ({ kind, name, no_output_for_ms })),
        output_activity: activity,
      };
    });
    return [...local, ...remoteTransmissions(store.get()).map(remoteHealth)];
  }

  /** A transmission a peer hosts: its host runs it and reports the rest; here, only whether the host can be reached. */
  function remoteHealth(x: Transmission) {
    const down = hostUnreachable(x.id);
    return {
      transmission_id: x.id,
      name: x.name,
      enabled: x.enabled,
      input: x.input,
      engine_state: null,
      host_server_id: x.host_server_id,
      hosted_for: null,
      active_writer_id: null,
      selected_writer_id: null,
      fallback_reason: down ? ('host_unreachable' as const) : null,
      frame_age_ms: null,
      writers: [],
      demand: false,
      problems: down ? [`host_unreachable: ${down}`] : [],
      outputs: [],
      output_stalled: false,
      stalled_outputs: [],
      output_activity: [],
    };
  }

  /** The transmission, or one of its outputs (404 for an output it does not have). */
  function target(id: string, outputId: string | undefined): DemandTarget {
    const t = tx(id);
    if (outputId === undefined) return id;
    if (!t.outputs.some((o) => o.id === outputId)) throw notFound('output', outputId);
    return { transmission: id, output: outputId };
  }

  return {
    heartbeat(id: string, body: v.InferOutput<typeof heartbeatSchema>) {
      demand.heartbeat(target(id, body.output_id), body.client, body.session_id);
      counters.heartbeats++;
      void runtime.tick();
      return demandView(id);
    },
    prime(id: string, body: v.InferOutput<typeof primeSchema>) {
      demand.prime(target(id, body.output_id), body.seconds * 1000);
      counters.primes++;
      void runtime.tick();
      return demandView(id);
    },
    demand: demandView,
    outputs: () => runtime.outputs(),
    health,
    diagnostics: () => ({
      engine: engine(),
      publisher: { running: publishers.paths().map((p) => ({ path: p, ...publishers.status(p) })), counters: publishers.counters },
      camera_frames: frames.paths().map((p) => ({ path: p, frames: frames.frames(p), ...frames.status(p) })),
      runtime_state: registry.list().map((id) => ({ transmission_id: id, ...registry.get(id)!.health(now()) })),
      processes: supervisor.list(),
    }),
    observability: () => ({
      uptime_s: Math.round((now() - started) / 1000),
      runtime: { ticks: runtime.status().ticks, loops: loopFailures() },
      processes: { total: supervisor.count(), publishers: supervisor.count('publisher:'), camera_frames: supervisor.count('frames:') },
      publishers: publishers.counters,
      demand: { ...counters, active_transmissions: demand.active().length },
      memory_rss_bytes: process.memoryUsage().rss,
    }),
  };
}
export type RuntimeService = ReturnType<typeof createRuntimeService>;
