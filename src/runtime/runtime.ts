import type { Logger } from 'pino';
import { hostedDoc, type HostedDoc } from '../domain/hosting.js';
import type { SettingsStore } from '../store/settings-store.js';
import type { CameraFrames } from './camera-frames.js';
import { createFailureLog } from './failure-log.js';
import { publisherDecision, type DemandTracker } from './demand.js';
import { planEngine, type EnginePlan, type OnDemandHook, type PlannedOutput } from './path-plan.js';
import type { Publishers } from './publishers.js';

/** What the runtime needs of the engine manager. */
interface EngineView {
  running(): boolean;
  /** The engine's actual RTSP port (preferred when not running). */
  rtspPort(): number;
  syncPaths(desired: ReadonlyMap<string, { source: string }>): Promise<{ errors: readonly unknown[] }>;
  readers(path: string): Promise<number | null>;
}

export interface RuntimeOptions {
  store: SettingsStore;
  /** What runs here (own transmissions this server hosts, and the peers' ones); default the store's own. */
  hosted?: () => Pick<HostedDoc, 'cameras' | 'transmissions' | 'hosting_key'>;
  engine: EngineView;
  demand: DemandTracker;
  publishers: Publishers;
  frames: CameraFrames;
  logger: Logger;
  tickMs?: number;
  /** Frame decoders linger this long after their last consumer, so a burst of stills reuses one. */
  framesLingerMs?: number;
  /** Decoding rate for a camera source (a fallback session needs more than stills); default the decoder's own. */
  framesFps?: (read: EnginePlan['sources'][number]) => number | undefined;
  /** How RTSP readers start publishers (MediaMTX's runOnDemand hook), or null while there is none. */
  onDemand?: () => OnDemandHook | null;
  /** Engine paths besides the plan's own (relays of what a peer hosts), by path. */
  extraPaths?: () => ReadonlyMap<string, EnginePlan['paths'] extends Map<string, infer C> ? C : never>;
  now?: () => number;
}

export interface OutputRuntime {
  transmission_id: string;
  output_id: string;
  path: string;
  feed: PlannedOutput['feed']['kind'];
  readers: number | null;
  wanted: boolean;
  publisher: 'running' | 'stopped' | 'not_needed';
  stop_in_ms: number | null;
}

/**
 * The demand loop: keeps engine paths in sync with the settings, starts a publisher for an output
 * that needs encoding while someone wants it (heartbeat, prime, consumer, or an engine reader),
 * stops it after the debounce, and runs a camera's frame decoder only while frames are consumed.
 * With no demand anywhere it starts nothing and asks the engine nothing.
 */
export function createRuntime({
  store,
  hosted = () => hostedDoc(store.get(), []),
  engine,
  demand,
  publishers,
  frames,
  logger,
  tickMs = 1000,
  framesLingerMs = 5000,
  framesFps = () => undefined,
  onDemand = () => null,
  extraPaths = () => new Map(),
  now = Date.now,
}: RuntimeOptions) {
  if (!(tickMs >= 10)) throw new Error('runtime: tickMs must be >= 10');
  let plan: EnginePlan = { paths: new Map(), outputs: [], sources: [], unusable: [] };
  let planKey = '';
  let unusableKey = '';
  let ticks = 0;
  const failures = createFailureLog(logger, 'runtime tick', now);
  let syncedKey = '';
  const lastWanted = new Map<string, number | null>();
  const readers = new Map<string, number | null>();
  const framesLastWanted = new Map<string, number | null>();
  let timer: NodeJS.Timeout | null = null;
  let ticking: Promise<void> | null = null;
  let queued: Promise<void> | null = null;

  function currentPlan(): EnginePlan {
    const doc = hosted();
    const hook = onDemand();
    const extra = extraPaths();
    const key = `${doc.hosting_key}:${engine.rtspPort()}:${JSON.stringify(hook)}:${JSON.stringify([...extra])}`;
    if (key !== planKey) {
      plan = planEngine(doc, engine.rtspPort(), hook);
      // A path the plan has itself is never replaced.
      for (const [path, conf] of extra) if (!plan.paths.has(path)) plan.paths.set(path, conf);
      planKey = key;
      // Said once per change, not on every plan: the source stays unusable until it is edited.
      const unusable = JSON.stringify(plan.unusable.map(({ camera_id, source_id, problem }) => [camera_id, source_id, problem]));
      if (unusable !== unusableKey) {
        for (const u of plan.unusable) logger.warn({ camera_id: u.camera_id, source_id: u.source_id, problem: u.problem }, 'camera source cannot be used; the other sources play on');
      }
      unusableKey = unusable;
    }
    return plan;
  }

  async function tick(): Promise<void> {
    const p = currentPlan();
    const running = engine.running();
    if (running && syncedKey !== planKey) {
      const result = await engine.syncPaths(p.paths);
      // A path the engine refused is tried again on the next tick.
      if (result.errors.length === 0) syncedKey = planKey;
    }
    if (!running) syncedKey = '';
    const t = now();
    const debounceMs = store.get().streaming.demand.debounce_s * 1000;

    const needed = new Set<string>();
    for (const out of p.outputs) {
      if (out.feed.kind !== 'transcode' && out.feed.kind !== 'writers') continue;
      needed.add(out.path);
      // A publisher path has no readers without its publisher (they get 404), so only running ones are asked.
      const count = running && publishers.isRunning(out.path) ? await engine.readers(out.path) : null;
      readers.set(out.path, count);
      const wanted = demand.wantsOutput(out.transmission_id, out.output_id, out.onRequest) || (count ?? 0) > 0;
      const d = publisherDecision({ wanted, lastWantedAt: lastWanted.get(out.path) ?? null, now: t, debounceMs });
      lastWanted.set(out.path, d.lastWantedAt);
      if (d.run && running) publishers.ensure(out);
      else if (publishers.isRunning(out.path)) await publishers.stop(out.path);
    }
    for (const path of publishers.paths()) if (!needed.has(path)) await publishers.stop(path);
    for (const path of lastWanted.keys()) if (!needed.has(path)) lastWanted.delete(path);

    const sourcePaths = new Set<string>();
    for (const read of p.sources) {
      sourcePaths.add(read.path);
      const wanted = read.transmission_ids.some((tx) => demand.wantsFrames(tx));
      const d = publisherDecision({ wanted, lastWantedAt: framesLastWanted.get(read.path) ?? null, now: t, debounceMs: framesLingerMs });
      framesLastWanted.set(read.path, d.lastWantedAt);
      if (d.run) await frames.ensure(read, running ? `rtsp://127.0.0.1:${engine.rtspPort()}/${read.path}` : read.url, framesFps(read));
      else await frames.stop(read.path);
    }
    for (const path of frames.paths()) if (!sourcePaths.has(path)) await frames.stop(path);
  }

  /**
   * One tick at a time; a slow engine never stacks ticks. A tick asked for while one runs (a
   * settings write) is run once right after it, so no change waits for the next interval.
   */
  function runTick(): Promise<void> {
    if (ticking) {
      queued ??= ticking.then(() => {
        queued = null;
        return runTick();
      });
      return queued;
    }
    ticking = tick()
      .then(failures.ok, failures.fail)
      .finally(() => {
        ticks++;
        ticking = null;
      });
    return ticking;
  }

  return {
    tick: runTick,
    plan: currentPlan,
    /** Ticks run so far and the current failure of the loop (it runs on whatever a tick throws). */
    status: () => ({ ticks, failing: failures.current() }),
    start(): void {
      if (timer) return;
      timer = setInterval(() => void runTick(), tickMs);
      void runTick();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      await ticking;
      await Promise.all([publishers.stopAll(), frames.stopAll()]);
    },
    outputs(): OutputRuntime[] {
      const t = now();
      const debounceMs = store.get().streaming.demand.debounce_s * 1000;
      return currentPlan().outputs.map((out) => {
        const needsPublisher = out.feed.kind === 'transcode' || out.feed.kind === 'writers';
        const last = lastWanted.get(out.path) ?? null;
        return {
          transmission_id: out.transmission_id,
          output_id: out.output_id,
          path: out.path,
          feed: out.feed.kind,
          readers: readers.get(out.path) ?? null,
          wanted: demand.wantsOutput(out.transmission_id, out.output_id, out.onRequest),
          publisher: !needsPublisher ? 'not_needed' : publishers.isRunning(out.path) ? 'running' : 'stopped',
          stop_in_ms: needsPublisher && last !== null && publishers.isRunning(out.path) ? Math.max(0, last + debounceMs - t) : null,
        };
      });
    },
  };
}
export type Runtime = ReturnType<typeof createRuntime>;
