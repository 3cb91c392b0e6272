import type { Logger } from 'pino';
import type { Go2rtcApi } from './api.js';
import { go2rtcStreamName, go2rtcStreams, renderGo2rtcConfig, writeGo2rtcConfig } from './config.js';

export interface StreamSetOptions {
  log: Logger;
  dataDir: string;
  /** The server's log level, for the rendered config. */
  logLevel: string;
  /** MediaMTX's actual RTSP port, read at every render. */
  rtspPort: () => number;
  api: Go2rtcApi;
}

/**
 * The MSE streams: the engine paths the server wants served (`desired`) and the name → source map
 * the running go2rtc has (`loaded`). New streams go in through the API and the config file is
 * rewritten, so a crash restart loads the same set; a source that moved needs a restart.
 */
export function createStreamSet({ log, dataDir, logLevel, rtspPort, api }: StreamSetOptions) {
  /** Engine paths wanted (sorted, unique). */
  let desired: string[] = [];
  /** name → source of what the current process has. */
  let loaded: Record<string, string> = {};

  const wantedMap = () => {
    try {
      return go2rtcStreams(rtspPort(), desired);
    } catch {
      return {};
    }
  };
  /** Wanted streams go2rtc does not have yet. */
  const added = () => Object.entries(wantedMap()).filter(([name]) => !(name in loaded));
  /** Wanted streams go2rtc has with another source. */
  const moved = () => Object.entries(wantedMap()).filter(([name, src]) => name in loaded && loaded[name] !== src);

  const writeConfig = (apiPort: number) => writeGo2rtcConfig(dataDir, renderGo2rtcConfig({ apiPort, rtspPort: rtspPort(), paths: desired, logLevel }));

  /** The stream name of `path` when the running go2rtc has it, else null. */
  function loadedName(path: string): string | null {
    try {
      const name = go2rtcStreamName(path);
      return name in loaded ? name : null;
    } catch {
      return null;
    }
  }

  return {
    /** Remembers the engine paths to serve; anything that is not an engine path is left out (and said). */
    want(paths: Iterable<string>): void {
      const next = [...new Set(paths)].filter((p) => {
        try {
          go2rtcStreamName(p);
          return true;
        } catch {
          log.warn({ path: p }, 'not an engine path; not served over MSE');
          return false;
        }
      });
      next.sort();
      desired = next;
    },
    count: () => desired.length,
    /** Writes the config of a new process; the map it loads, for `loaded()` once it runs. */
    async render(apiPort: number): Promise<{ file: string; streams: Record<string, string> }> {
      const streams = go2rtcStreams(rtspPort(), desired);
      return { file: await writeConfig(apiPort), streams };
    },
    loaded(streams: Record<string, string>): void {
      loaded = streams;
    },
    /** The process is gone: it has nothing loaded. */
    unload(): void {
      loaded = {};
    },
    /**
     * Brings the running go2rtc (API on `apiPort`) to the wanted set without a restart when only
     * streams were added; false when a restart is needed (a source moved, or go2rtc refused).
     */
    async apply(apiPort: number): Promise<boolean> {
      if (moved().length > 0) return false;
      const add = added();
      if (add.length === 0) return true;
      try {
        for (const [name, src] of add) {
          await api.addStream(apiPort, { name, src });
          loaded = { ...loaded, [name]: src };
        }
        await writeConfig(apiPort);
        log.info({ added: add.map(([name]) => name) }, 'MSE streams added to go2rtc through its API');
        return true;
      } catch (err) {
        log.warn({ error: (err as Error).message }, 'go2rtc refused a new stream through its API; restarting it with the new config');
        return false;
      }
    },
    loadedName,
    status: (running: boolean) => ({ desired: desired.length, configured: running ? Object.keys(loaded).length : 0, restart_pending: running && (moved().length > 0 || added().length > 0) }),
  };
}
