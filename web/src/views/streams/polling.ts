/**
 * Runs `task` now and again `intervalMs` after each run ends (never two at once, so a slow server
 * does not pile requests up). The returned stop aborts the run in flight and the next one.
 */
export function startPolling(task: (signal: AbortSignal) => Promise<void>, intervalMs: number): () => void {
  const ctrl = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = (): void => {
    void task(ctrl.signal).finally(() => {
      if (!ctrl.signal.aborted) timer = setTimeout(run, intervalMs);
    });
  };
  run();
  return () => {
    ctrl.abort();
    clearTimeout(timer);
  };
}
