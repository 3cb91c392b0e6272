import type { Logger } from 'pino';
import { ApiError } from '../shared/errors.js';
import { createChangeGate } from '../process/lines.js';
import type { ChildSpec } from '../process/types.js';
import { binaryResolver, executableProblem, releasePlatformFor, type BinaryLookup, type ExecutableResolution, type ExecutableSource, type ReleasePlatform } from './executable.js';
import { binaryStatus, createDownloadJob, createSerialQueue, createStartTracker } from './lifecycle.js';
import type { ManagedBinaryOptions } from './options.js';
import { DownloadError } from './release-download.js';
import { ServiceStartError, serviceState, startService, type Service, type ServiceOptions } from './service.js';

/** A managed binary as its status reports it (a manager may map these onto its own words). */
export type ManagedState = 'missing' | 'stopped' | 'starting' | 'running' | 'crashed' | 'failed';

/** What the API and the server do with any managed binary; each manager's interface extends it. */
export interface ManagedBinaryControls<S> {
  status(): S;
  /** Re-checks the binary when no process exists, then returns the status. */
  inspect(): Promise<S>;
  /** Never throws: failures end in state `missing` or `failed` with the reason. */
  start(): Promise<S>;
  /** Server start-up: `start()` when its setting says so, otherwise only looks for the binary. */
  autoStart(): Promise<S>;
  stop(): Promise<S>;
  restart(): Promise<S>;
  /** Fetches and verifies the release into the cache; ApiError 409 when not allowed (or not pinned), 502 when refused. */
  download(): Promise<S>;
  running(): boolean;
}

interface ReleaseSpec {
  /** Whether downloading is allowed now. */
  allowed: () => boolean;
  /** The setting that allows it, named by the 409 when it is off (`engine.allow_download`). */
  setting: string;
  /** For the log line. */
  baseUrl: string;
  /** Fetches and verifies the release into the cache; resolves with its path, rejects with a DownloadError. */
  fetch: (platform: ReleasePlatform) => Promise<string>;
  /** A start downloads a missing binary itself when allowed (MediaMTX); otherwise only on request (go2rtc). */
  onStart: boolean;
}

export interface ManagedBinarySpec<S> {
  /** The product (its name labels every message), its version and where its binary is looked for. */
  lookup: BinaryLookup;
  /** The supervisor's child name. */
  childName: string;
  /** The manager's options (supervisor, data directory, bundled paths, start timeout). */
  options: ManagedBinaryOptions;
  log: Logger;
  /** The override path (TOPOSYNC_STREAMING_…_PATH), read by the caller. */
  envPath: string | undefined;
  release: ReleaseSpec;
  /** Warned, once per reason, when a start finds no binary. */
  missing: string;
  /** Starts the child with the binary found, through `serve()` (which records the outcome). */
  launch: (binary: { path: string; source: ExecutableSource }) => Promise<void>;
  /** Forgets what belonged to the process being stopped (API port, client, loaded streams). */
  onStop?: () => void;
  /** Whether it may run at all (go2rtc: `mse.enabled`); while not, a start stops it and only looks for the binary. */
  enabled?: () => boolean;
  /** Whether the server's start-up starts it, rather than only looking for the binary. */
  autoStart: () => boolean;
  /** The manager's own status; every operation resolves with it. */
  status: () => S;
}

export type ServeOptions = Pick<ServiceOptions, 'probe' | 'probeName' | 'onSpawn' | 'onRecovered'> & {
  /** What differs between products; name, restart policy and graceful stop are the same for all. */
  child: Pick<ChildSpec, 'command' | 'args' | 'cwd' | 'stdout' | 'secrets'>;
  /** After the crash is recorded in the status. */
  onCrash?: (message: string) => void;
  /** The failure as the status says it, from the supervisor's message (e.g. naming a port someone took). */
  explainFailure?: (message: string) => Promise<string>;
};

/**
 * The shape MediaMTX and go2rtc share: a supervised binary of one pinned version, found on disk
 * or downloaded and verified, started with a rendered config, ready once its API answers, with a
 * status, one lifecycle operation at a time, and stop/start/restart/download for the API. A
 * missing binary is a state, never an exception; only `download()` throws (ApiError). What is
 * each product's own (ports, config, path or stream sync) lives in its manager, which calls
 * `serve()` from its `launch`.
 */
export function createManagedBinary<S>(spec: ManagedBinarySpec<S>) {
  const { lookup, log, release, options } = spec;
  const label = lookup.product;
  const resolve = binaryResolver(lookup);
  const platform = () => releasePlatformFor(lookup);
  let binary: ExecutableResolution | null = null;
  let service: Service | null = null;
  /** Stopped through the API: settings changes do not start it again. */
  let stoppedByHand = false;
  const start = createStartTracker({ log, label });
  const serially = createSerialQueue();
  /** A missing binary is said when it changes, not at every start asked for. */
  const missingChanged = createChangeGate<string | null>();
  const enabled = spec.enabled ?? (() => true);

  function state(): ManagedState {
    if (service) {
      const s = service.handle.status();
      return serviceState(s.state, s.pid, service.ready());
    }
    if (start.starting()) return 'starting';
    if (start.failed()) return 'failed';
    if (binary?.path === null) return 'missing';
    return 'stopped';
  }

  /** The status fields every managed binary reports. */
  function statusParts() {
    const st = service?.handle.status();
    return {
      binary: binaryStatus(binary),
      pid: st?.pid ?? null,
      restarts: st?.restarts ?? 0,
      last_error: start.lastError(),
      download: { allowed: release.allowed(), in_progress: download.inProgress(), last_error: download.lastError() },
    };
  }

  async function refreshBinary(): Promise<ExecutableResolution> {
    binary = await resolve({ envPath: spec.envPath, bundledPaths: options.bundledPaths, dataDir: options.dataDir, allowDownload: release.allowed() });
    return binary;
  }

  /** The cache is checked first. */
  const download = createDownloadJob({
    log,
    label,
    run: async () => {
      const rp = platform();
      if ('reason' in rp) throw new DownloadError('unsupported_platform', rp.reason);
      const target = lookup.cachedPath(options.dataDir, rp.platform);
      if ((await executableProblem(target)) === null) return target;
      log.info({ version: lookup.version, platform: rp.platform, base_url: release.baseUrl }, `downloading ${label}`);
      const path = await release.fetch(rp.platform);
      log.info({ path }, `${label} downloaded and verified`);
      return path;
    },
  });

  async function stopNow(): Promise<void> {
    const running = service;
    service = null;
    spec.onStop?.();
    await running?.stop();
  }

  /** Starts it unless a process is already there (not behind the queue: callers hold it). */
  async function startNow(): Promise<S> {
    if (!enabled()) {
      await stopNow();
      await refreshBinary();
      return spec.status();
    }
    if (service) {
      const s = service.handle.status().state;
      if (s !== 'stopped' && s !== 'failed') return spec.status();
      await stopNow();
    }
    await start.attempt(attemptStart, stopNow);
    return spec.status();
  }

  /** One start attempt; `start` records its outcome. */
  async function attemptStart(): Promise<void> {
    let found = await refreshBinary();
    if (found.path === null && release.onStart && release.allowed()) {
      try {
        await download.ensure();
      } catch (err) {
        binary = { path: null, reason: `${found.reason.replace(/; it will be downloaded.*$/, '')}; the download failed: ${(err as Error).message}` };
        return;
      }
      found = await refreshBinary();
    }
    if (found.path === null) {
      if (missingChanged(found.reason)) log.warn({ reason: found.reason }, spec.missing);
      return;
    }
    missingChanged(null);
    await spec.launch(found);
  }

  /** Starts the child through the supervisor and waits for its API; null when it failed to start (recorded). */
  async function serve(o: ServeOptions): Promise<Service | null> {
    try {
      service = await startService({
        supervisor: options.supervisor,
        log,
        label,
        spec: { name: spec.childName, ...o.child, restart: 'on-crash', stop: { signal: 'SIGTERM', timeoutMs: 5000 } },
        probe: o.probe,
        probeName: o.probeName,
        startTimeoutMs: options.startTimeoutMs ?? 15_000,
        onSpawn: o.onSpawn,
        onRecovered: o.onRecovered,
        onCrash: (message) => {
          start.crashed(message);
          o.onCrash?.(message);
        },
      });
    } catch (err) {
      if (!(err instanceof ServiceStartError)) throw err;
      start.failedToStart(o.explainFailure ? await o.explainFailure(err.message) : err.message);
      return null;
    }
    start.running();
    return service;
  }

  // First look at the binary, so the status says `missing` before anyone starts anything.
  void refreshBinary().catch((err: unknown) => log.warn({ error: (err as Error).message }, `could not look for the ${label} binary`));

  return {
    state,
    statusParts,
    service: () => service,
    /** Failed to start, or stopped by hand since: what a settings follower needs to know. */
    failed: () => start.failed(),
    stoppedByHand: () => stoppedByHand,
    /** Clears a failed start from the status (the manager stopped it for a reason of its own). */
    clearFailure: () => start.stopped(),
    serially,
    startNow,
    stopNow,
    serve,
    /** The managers' common public operations (spread into each manager's object). */
    controls: {
      status: spec.status,
      running: () => state() === 'running',
      /** Re-checks the binary when no process exists, then returns the status. */
      async inspect(): Promise<S> {
        // Not behind the lifecycle queue: a status poll must not wait for a start in progress.
        if (!service && !start.starting()) await refreshBinary();
        return spec.status();
      },
      start: () =>
        serially(() => {
          stoppedByHand = false;
          return startNow();
        }),
      async autoStart(): Promise<S> {
        if (spec.autoStart()) return serially(startNow);
        await refreshBinary();
        return spec.status();
      },
      stop: () =>
        serially(async () => {
          stoppedByHand = true;
          await stopNow();
          start.stopped();
          log.info(`${label} stopped`);
          return spec.status();
        }),
      restart: () =>
        serially(async () => {
          stoppedByHand = false;
          await stopNow();
          return startNow();
        }),
      /** Fetches and verifies the release into the cache; ApiError 409 when not allowed (or not pinned), 502 when refused. */
      async download(): Promise<S> {
        if (!release.allowed()) {
          throw new ApiError(409, 'download_disabled', `downloading ${label} is disabled; set ${release.setting} to true to allow it`, release.setting);
        }
        const rp = platform();
        if ('reason' in rp) throw new ApiError(409, 'unsupported_platform', rp.reason);
        try {
          await download.ensure();
        } catch (err) {
          const e = err as Error;
          const kind = e instanceof DownloadError ? e.kind : 'unknown';
          if (kind === 'checksum_not_pinned') throw new ApiError(409, 'checksum_not_pinned', e.message, null, { download_error: kind });
          throw new ApiError(502, kind === 'checksum_mismatch' ? 'checksum_mismatch' : 'download_failed', e.message, null, { download_error: kind });
        }
        if (!service) await refreshBinary();
        return spec.status();
      },
    } satisfies ManagedBinaryControls<S>,
  };
}
