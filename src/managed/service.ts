import type { Logger } from 'pino';
import type { ChildHandle, ChildSpec, ChildState, ExitInfo, Supervisor } from '../process/types.js';

export interface ServiceOptions {
  supervisor: Supervisor;
  log: Logger;
  /** Product name for messages: "MediaMTX", "go2rtc". */
  label: string;
  spec: ChildSpec;
  /** One readiness check of the child's API: resolves when it answers, rejects with why not. */
  probe: () => Promise<void>;
  /** What the probe asks, for the timeout message, e.g. "GET /v3/info". */
  probeName: string;
  startTimeoutMs: number;
  /** After every spawn, first and restarts (e.g. to read the child's stdout). */
  onSpawn?: (handle: ChildHandle) => void;
  /** After a crash restart, once the API answers again (e.g. to re-apply runtime config); a promise it returns is awaited. */
  onRecovered?: () => unknown;
  /** Every crash, with a message naming the exit and the child's last error line. */
  onCrash: (message: string) => void;
}

export interface Service {
  readonly handle: ChildHandle;
  /** True while the current process is the one whose API answered. */
  ready(): boolean;
  /** Stops the child; background waits of this service give up. */
  stop(): Promise<void>;
}

export class ServiceStartError extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function describeExit(label: string, h: ChildHandle, exit: ExitInfo | null): string {
  const st = h.status();
  const how = exit ? (exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`) : 'unknown';
  return `${label} exited (${how})${st.last_error_line ? `: ${st.last_error_line}` : ''}`;
}

/** How a supervised service looks from outside: `starting` until its API answered for this pid. */
export function serviceState(child: ChildState, pid: number | null, ready: boolean): 'starting' | 'running' | 'crashed' | 'failed' | 'stopped' {
  switch (child) {
    case 'backoff':
      return 'crashed';
    case 'failed':
      return 'failed';
    case 'running':
      return pid !== null && ready ? 'running' : 'starting';
    case 'starting':
      return 'starting';
    default:
      return 'stopped';
  }
}

/**
 * A long-running child with a control API (MediaMTX, go2rtc): started through the supervisor,
 * ready once its API answers, followed through crash restarts. Throws ServiceStartError (with
 * the child stopped) when it exits or stays silent during start-up.
 */
export async function startService(o: ServiceOptions): Promise<Service> {
  const h = o.supervisor.start(o.spec);
  let readyPid: number | null = null;
  let stopped = false;
  let initial = true;
  let exitedEarly: ExitInfo | null = null;

  /** Probes until the API answers, `giveUp()` says why not, or the deadline passes. */
  async function waitForApi(deadline: number, giveUp: () => string | null): Promise<string | null> {
    let lastProblem = 'no answer yet';
    while (Date.now() < deadline) {
      const reason = giveUp();
      if (reason !== null) return reason;
      try {
        await o.probe();
        return null;
      } catch (err) {
        lastProblem = (err as Error).message;
      }
      await sleep(100);
    }
    return giveUp() ?? `${o.label} did not answer ${o.probeName} within ${o.startTimeoutMs} ms (${lastProblem})`;
  }

  function onRestart(pid: number): void {
    void (async () => {
      const problem = await waitForApi(Number.POSITIVE_INFINITY, () => (stopped ? 'stopped' : h.status().pid === pid ? null : 'process changed'));
      if (problem !== null || stopped) return;
      readyPid = pid;
      h.markHealthy();
      o.log.info({ pid }, `${o.label} restarted after a crash and answers again`);
      await o.onRecovered?.();
    })().catch((err: unknown) => o.log.warn({ error: (err as Error).message }, `${o.label}: recovering after a restart failed`));
  }

  const unsubscribe = [
    h.onStart((pid) => {
      o.onSpawn?.(h);
      if (!initial) onRestart(pid);
    }),
    h.onExit((exit) => {
      readyPid = null;
      if (initial) exitedEarly ??= exit;
      if (exit.kind === 'crashed' && !stopped) o.onCrash(describeExit(o.label, h, exit));
    }),
  ];
  const service: Service = {
    handle: h,
    ready: () => readyPid !== null && h.status().pid === readyPid,
    async stop() {
      stopped = true;
      for (const u of unsubscribe) u();
      readyPid = null;
      await h.stop();
    },
  };

  const problem = await waitForApi(Date.now() + o.startTimeoutMs, () => (stopped ? 'stopped while starting' : exitedEarly ? describeExit(o.label, h, exitedEarly) : null));
  initial = false;
  if (problem !== null) {
    await service.stop();
    throw new ServiceStartError(problem);
  }
  readyPid = h.status().pid;
  // Its API answered: config, ports and binary are good, so a later death is a fault of that run (the
  // OOM killer, a kill from outside) and it comes back after the first backoff delay, not a longer one.
  h.markHealthy();
  return service;
}
