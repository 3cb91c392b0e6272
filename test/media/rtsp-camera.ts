/**
 * A simulated IP camera: GStreamer's RTSP server (rtsp-camera.py, system /usr/bin/python3 with `gi`)
 * on 127.0.0.1, counting RTSP client connections.
 */
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { onLines, spawnMedia, type MediaProcess } from './proc.js';
import { LOOPBACK } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

const PYTHON = '/usr/bin/python3';
const CAMERA_SCRIPT = fileURLToPath(new URL('./rtsp-camera.py', import.meta.url));

export interface RtspCameraOptions {
  /** 0 or absent: the server binds a free port and reports it. */
  port?: number;
  /** Mount path, default `/cam`. */
  path?: string;
  codec?: 'h264' | 'h265';
  width?: number;
  height?: number;
  fps?: number;
  /** Keyframe interval in frames (default: fps, i.e. one per second). */
  gop?: number;
  /** Encoder bitrate in kbit/s (default 1000). */
  bitrateKbps?: number;
  /** `ball` (default), another videotestsrc pattern (`smpte`, `snow`, ...), a colour name (`red`, `green`, `blue`,
   *  `black`, `white`, `gray`, `yellow`, `cyan`, `magenta`) or `#rrggbb`. */
  pattern?: string;
  /** A second stream beside the video, a test tone: AAC (MPEG-4 generic) or Opus; default none. */
  audio?: 'none' | 'aac' | 'opus';
  /** Enables RTSP authentication. Handed to the camera on its stdin, never in its argv. */
  username?: string;
  password?: string;
  /** Which challenge the camera sends (default basic). */
  auth?: 'basic' | 'digest';
  /** Default 10 s. */
  readyTimeoutMs?: number;
}

export interface RtspCamera {
  /** rtsp://[user:pass@]127.0.0.1:port/path (credentials URL-encoded when set). */
  url: string;
  /** The same URL without credentials. */
  bareUrl: string;
  port: number;
  path: string;
  /** ms from spawn to the server listening. */
  readyMs: number;
  /** RTSP client connections accepted so far (the server's `client-connected` signal). */
  connections(): number;
  /** Connections currently open (connected minus closed). */
  activeConnections(): number;
  /** Resolves once `connections() >= n`. */
  waitForConnections(n: number, timeoutMs: number): Promise<void>;
  readonly process: MediaProcess;
  /** Kills the server and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

interface CameraEvent {
  event: string;
  port?: number;
  count?: number;
  active?: number;
  message?: string;
}

export async function startRtspCamera(opts: RtspCameraOptions = {}): Promise<RtspCamera> {
  const path = opts.path ?? '/cam';
  if (!path.startsWith('/')) throw new Error(`camera path must start with '/': ${path}`);
  const args = [
    '-u',
    CAMERA_SCRIPT,
    '--port',
    String(opts.port ?? 0),
    '--mount',
    path,
    '--codec',
    opts.codec ?? 'h264',
    '--width',
    String(opts.width ?? 640),
    '--height',
    String(opts.height ?? 360),
    '--fps',
    String(opts.fps ?? 15),
    '--gop',
    String(opts.gop ?? 0),
    '--bitrate',
    String(opts.bitrateKbps ?? 1000),
    '--pattern',
    opts.pattern ?? 'ball',
    '--audio',
    opts.audio ?? 'none',
  ];
  if (opts.username !== undefined) args.push('--credentials-stdin');
  const started = performance.now();
  // stdin stays an open pipe: the script exits when it reaches EOF, so it cannot outlive this worker.
  const proc = spawnMedia('rtsp-camera', PYTHON, args, { stdin: 'pipe' });
  if (opts.username !== undefined) {
    proc.child.stdin?.write(`${JSON.stringify({ username: opts.username, password: opts.password ?? '', auth: opts.auth ?? 'basic' })}\n`);
  }

  let port: number | undefined;
  let error: string | undefined;
  let count = 0;
  let active = 0;
  onLines(proc.child.stdout, (line) => {
    let ev: CameraEvent;
    try {
      ev = JSON.parse(line) as CameraEvent;
    } catch {
      return;
    }
    if (ev.event === 'ready' && typeof ev.port === 'number') port = ev.port;
    else if (ev.event === 'client' || ev.event === 'client-closed') {
      count = Math.max(count, ev.count ?? count);
      active = ev.active ?? active;
    } else if (ev.event === 'error') error = ev.message ?? 'unknown error';
  });

  const why = () => (error ? `camera error: ${error}\n${proc.stderrTail()}` : proc.hasExited() ? `camera exited\n${proc.stderrTail()}` : undefined);
  try {
    await waitFor('rtsp camera ready', () => port, opts.readyTimeoutMs ?? 10_000, { intervalMs: 10, abort: why });
  } catch (e) {
    await proc.stop();
    throw e;
  }
  const readyMs = performance.now() - started;

  const bareUrl = `rtsp://${LOOPBACK}:${port}${path}`;
  const cred = opts.username !== undefined ? `${encodeURIComponent(opts.username)}:${encodeURIComponent(opts.password ?? '')}@` : '';
  return {
    url: `rtsp://${cred}${LOOPBACK}:${port}${path}`,
    bareUrl,
    port: port!,
    path,
    readyMs,
    connections: () => count,
    activeConnections: () => active,
    async waitForConnections(n, timeoutMs) {
      await waitFor(`camera connections >= ${n} (now ${count})`, () => count >= n, timeoutMs, { abort: why });
    },
    process: proc,
    async stop() {
      await proc.stop(3_000);
    },
  };
}
