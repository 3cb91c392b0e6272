import { join } from 'node:path';
import { ENGINE_PATH_RE } from '../domain/engine-path.js';
import { childLogLevel, renderYaml, writeConfigFile } from '../managed/child-config.js';
import { sidecarRuntimeDir } from './binary.js';

/**
 * go2rtc modules this server needs, in go2rtc's own names (`app.modules`, v1.9.14 `main.go`):
 * - `api`: the HTTP listener (`/api`, `/api/streams`), which `ws` and `mp4` hang off;
 * - `ws`: the `/api/ws` WebSocket endpoint;
 * - `mp4`: registers the WebSocket `mse` message handler (fMP4 muxer);
 * - `rtsp`: the RTSP *client* that reads MediaMTX (its server is switched off with `rtsp.listen: ""`).
 * Everything else (webrtc, srtp, homekit, exec, echo, ffmpeg, hls, ...) is never initialised:
 * `src=` on `/api/ws` cannot create `exec:`/`ffmpeg:`/`echo:` streams, nothing else listens.
 */
const GO2RTC_MODULES = ['api', 'ws', 'mp4', 'rtsp'] as const;

/**
 * The only HTTP paths go2rtc registers (`api.allow_paths`): liveness, the stream list and the
 * WebSocket. `/api/config` (rewrites the file), `/api/exit`, `/api/restart`, `/api/log`,
 * `/api/streams.dot`, `/api/preload`, `/api/schemes` and the mp4 file endpoints do not exist.
 */
const GO2RTC_ALLOW_PATHS = ['/api', '/api/streams', '/api/ws'] as const;

/**
 * go2rtc stream name of an engine path: the path with every `/` replaced by `~`
 * (`cam/front/main` → `cam~front~main`).
 *
 * Why: engine paths are `[A-Za-z0-9_.-]` segments joined by `/` (ENGINE_PATH_RE), and `~` is in
 * neither set, so the mapping is one-to-one and reversible ({@link enginePathOfStream}). The name
 * has no `/`, `:`, `#`, `?`, `&`, `%` or space: it is a plain YAML key and query value, and go2rtc can
 * never read it as a source URL (`GetOrPatch` treats a `src` containing `scheme:` as a URL to open).
 * Throws for anything that is not an engine path.
 */
export function go2rtcStreamName(enginePath: string): string {
  if (!ENGINE_PATH_RE.test(enginePath)) throw new Error(`not an engine path: ${JSON.stringify(enginePath)}`);
  return enginePath.replaceAll('/', '~');
}

/** Inverse of {@link go2rtcStreamName}; null when `name` is not one of ours. */
export function enginePathOfStream(name: string): string | null {
  const path = name.replaceAll('~', '/');
  return ENGINE_PATH_RE.test(path) && !name.includes('/') ? path : null;
}

/**
 * go2rtc's source for an engine path: MediaMTX's loopback RTSP URL (free local reads, so no
 * credentials exist to leak). `#backchannel=0`: go2rtc otherwise asks for an ONVIF audio
 * backchannel on the first DESCRIBE and reconnects without it; nothing here sends audio back.
 */
function internalSource(rtspPort: number, enginePath: string): string {
  if (!ENGINE_PATH_RE.test(enginePath)) throw new Error(`not an engine path: ${JSON.stringify(enginePath)}`);
  if (!Number.isInteger(rtspPort) || rtspPort < 1 || rtspPort > 65535) throw new Error(`invalid RTSP port ${rtspPort}`);
  return `rtsp://127.0.0.1:${rtspPort}/${enginePath}#backchannel=0`;
}

export interface Go2rtcRenderOptions {
  /** Loopback port of go2rtc's API (and `/api/ws`). */
  apiPort: number;
  /** MediaMTX's actual RTSP port. */
  rtspPort: number;
  /** Engine paths to serve over MSE (every enabled output). Duplicates are ignored. */
  paths: Iterable<string>;
  /** The server's log level (pino names). */
  logLevel: string;
}

/** `{ name: source }`, sorted by name (the config is compared by value to decide restarts). */
export function go2rtcStreams(rtspPort: number, paths: Iterable<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of [...new Set(paths)].sort()) out[go2rtcStreamName(p)] = internalSource(rtspPort, p);
  return out;
}

/**
 * The go2rtc configuration as a plain object. Every key is in go2rtc v1.9.14's `www/schema.json`
 * (tested with ajv). Decisions:
 * - `api.listen` on 127.0.0.1 only: go2rtc skips auth for loopback requests and `src` can open
 *   streams, so nothing but this server may reach it; no username/password (the relay is local).
 * - `api.origin: ""`: go2rtc's default same-origin check stays on (not `*`, which would also add
 *   permissive CORS headers); the relay never sends an `Origin` header, which that check accepts.
 * - `rtsp.listen: ""`, `webrtc.listen: ""`, `srtp.listen: ""`: no media listener at all (the last
 *   two are not even initialised with the module whitelist; the empty listens are a second lock).
 * - `log`: text without colours or timestamps on stderr, so the supervisor records go2rtc's last
 *   error line and the server's logger adds the time.
 * - `streams`: only `rtsp://127.0.0.1:<MediaMTX RTSP>/<engine path>` built here from engine paths,
 *   never a camera URL or a credential.
 */
function go2rtcConfig({ apiPort, rtspPort, paths, logLevel }: Go2rtcRenderOptions): Record<string, unknown> {
  if (!Number.isInteger(apiPort) || apiPort < 1 || apiPort > 65535) throw new Error(`invalid go2rtc API port ${apiPort}`);
  return {
    app: { modules: [...GO2RTC_MODULES] },
    api: {
      listen: `127.0.0.1:${apiPort}`,
      origin: '',
      allow_paths: [...GO2RTC_ALLOW_PATHS],
    },
    rtsp: { listen: '' },
    webrtc: { listen: '' },
    srtp: { listen: '' },
    log: { level: childLogLevel(logLevel), format: 'text', output: 'stderr', time: '' },
    streams: go2rtcStreams(rtspPort, paths),
  };
}

/** The YAML text of {@link go2rtcConfig} (every string double-quoted). */
export const renderGo2rtcConfig = (options: Go2rtcRenderOptions): string => renderYaml(go2rtcConfig(options));

export const go2rtcConfigPath = (dataDir: string) => join(sidecarRuntimeDir(dataDir), 'go2rtc.yaml');

/** Writes the rendered config atomically, mode 0600. Returns its path. */
export const writeGo2rtcConfig = (dataDir: string, yamlText: string): Promise<string> => writeConfigFile(go2rtcConfigPath(dataDir), yamlText);
