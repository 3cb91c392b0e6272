import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { StreamingSettings } from '../domain/settings.js';
import { childLogLevel, renderYaml, writeConfigFile } from '../managed/child-config.js';
import { engineRuntimeDir } from './binary.js';
import type { PortPlan } from './ports.js';

/** MediaMTX's hashed credential form: `sha256:` + base64(SHA-256(value)) (conf.Credential). */
export function hashCredential(value: string): string {
  return `sha256:${createHash('sha256').update(value, 'utf8').digest('base64')}`;
}

/**
 * Where browsers reach WebRTC media besides the machine's own interfaces: `hosts` go to MediaMTX's
 * `webrtcAdditionalHosts`. `source`: `option` (set by hand), `supervisor` (the host's LAN addresses,
 * add-on mode), `interfaces` (none needed: the engine's interfaces are the LAN's), `unknown` (add-on
 * mode and nothing known: the container's addresses are all MediaMTX offers, and LAN browsers fail).
 */
export interface WebrtcHosts {
  hosts: string[];
  source: 'option' | 'supervisor' | 'interfaces' | 'unknown';
}

export interface RenderOptions {
  settings: StreamingSettings;
  ports: PortPlan;
  /** The server's log level (pino names). */
  logLevel: string;
  /** Extra ICE host candidates MediaMTX advertises (LAN addresses of the Home Assistant host). */
  webrtcHosts?: readonly string[];
}

/**
 * HLS variant: Low-Latency HLS (fMP4 parts). The `mpegts` variant carries H.264 and MPEG-4 audio
 * only, so every H.265 or Opus camera answered 500 on each playlist (real MediaMTX v1.20.1). Of the
 * two fMP4 variants, which carry H.264, H.265, AAC and Opus alike, lowLatency was measured faster
 * with hls.js in Chromium (H.264 camera, 1 s segments, real MediaMTX, 2026-12-05): first frame on a
 * cold muxer 1.4 s against 2.5 s for `fmp4` (whose first playlist waits for two whole segments),
 * about 0.2 s for both on a warm muxer, and a live latency of 0.9 s against 3.1 s, with no frame
 * dropped as hls.js plays parts and blocking playlist reloads.
 */
const HLS_VARIANT = 'lowLatency';

/** Segments the HLS playlist keeps: MediaMTX's Low-Latency HLS refuses fewer than 7. */
const HLS_SEGMENT_COUNT = 7;

/**
 * Reader lifetimes (issue 11, 4g), measured with the real MediaMTX v1.20.1 (`npm run
 * bench:idle-timeline`): an HLS muxer is a hidden reader of its path until `hlsMuxerCloseAfter`
 * after its last request (checked every third of it), and its sessions close with it; while it
 * lives, a publisher path's runOnDemand notifier keeps demand and a camera path stays pulled. With
 * MediaMTX's defaults (60 s muxer, 10 s on-demand close) the last FFmpeg exited 99 s and the camera
 * connection closed 109 s after the last viewer left (debounce 15 s). These bring "no viewer: no
 * FFmpeg, no camera connection" within the debounce plus 30 s (README), each term said below.
 */
export const ENGINE_IDLE_TIMEOUTS = {
  /** The muxer (and every HLS session of it) closes 10-13.3 s after the last HLS request. */
  hlsMuxerCloseAfter: '10s',
  /** A camera's engine path drops the camera 5 s after its last reader (a player switching transports reuses it). */
  sourceOnDemandCloseAfter: '5s',
  /** The on-demand notifier of a publisher path ends 5 s after its last reader; then the demand debounce runs. */
  runOnDemandCloseAfter: '5s',
} as const;

/**
 * The MediaMTX configuration as a plain object. Keys are all documented in MediaMTX v1.20.1's
 * `mediamtx.yml` (tested); everything not set keeps MediaMTX's default. Paths are not in the file:
 * the engine manager adds them through the control API, so camera credentials never reach disk.
 */
export function mediamtxConfig({ settings, ports, logLevel, webrtcHosts = [] }: RenderOptions): Record<string, unknown> {
  const users: Record<string, unknown>[] = [
    {
      // Anything on this machine (the node server, FFmpeg publishers, go2rtc, the HLS/WHEP proxy).
      user: 'any',
      ips: ['127.0.0.1', '::1'],
      permissions: [{ action: 'publish' }, { action: 'read' }, { action: 'playback' }, { action: 'api' }],
    },
  ];
  const reader = settings.lan_reader;
  if (reader.password !== null) {
    if (reader.username === 'any') throw new Error('lan_reader.username must not be "any": MediaMTX reserves it for anonymous users');
    // Home Assistant core, VLC, ffplay on the LAN: RTSP read with a password; the file only holds its hash.
    users.push({ user: reader.username, pass: hashCredential(reader.password), ips: [], permissions: [{ action: 'read' }] });
  }
  return {
    logLevel: childLogLevel(logLevel),
    logDestinations: ['stdout'],

    authMethod: 'internal',
    authInternalUsers: users,

    api: true,
    apiAddress: `127.0.0.1:${ports.api.actual}`,
    metrics: false,
    pprof: false,
    playback: false,

    rtsp: true,
    rtspTransports: ['tcp', 'udp'],
    rtspEncryption: 'no',
    rtspAddress: `:${ports.rtsp.actual}`,
    rtpAddress: `:${ports.rtp.actual}`,
    rtcpAddress: `:${ports.rtcp.actual}`,
    rtspAuthMethods: ['basic'],

    rtmp: false,

    hls: true,
    hlsAddress: `127.0.0.1:${ports.hls.actual}`,
    hlsAlwaysRemux: false,
    hlsVariant: HLS_VARIANT,
    hlsSegmentCount: HLS_SEGMENT_COUNT,
    hlsSegmentDuration: '1s',
    hlsMuxerCloseAfter: ENGINE_IDLE_TIMEOUTS.hlsMuxerCloseAfter,

    webrtc: true,
    webrtcAddress: `127.0.0.1:${ports.webrtc.actual}`,
    webrtcLocalUDPAddress: `:${ports.webrtc_udp.actual}`,
    // ICE over TCP on the same port number: clients whose UDP is blocked still connect (the add-on maps 8555/tcp too).
    webrtcLocalTCPAddress: `:${ports.webrtc_udp.actual}`,
    webrtcIPsFromInterfaces: true,
    // MediaMTX ignores browsers' mDNS candidates and offers only its own interfaces' addresses: inside
    // the add-on's container those are not the LAN's, so the host's LAN addresses are added here.
    webrtcAdditionalHosts: [...webrtcHosts],

    srt: false,
    moq: false,

    pathDefaults: {
      record: false,
      sourceOnDemandCloseAfter: ENGINE_IDLE_TIMEOUTS.sourceOnDemandCloseAfter,
      runOnDemandCloseAfter: ENGINE_IDLE_TIMEOUTS.runOnDemandCloseAfter,
    },
    paths: {},
  };
}

/** The YAML text of {@link mediamtxConfig} (every string double-quoted). */
export const renderMediamtxConfig = (options: RenderOptions): string => renderYaml(mediamtxConfig(options));

export const configPath = (dataDir: string) => join(engineRuntimeDir(dataDir), 'mediamtx.yml');

/** Writes the rendered config atomically, mode 0600 (it may hold hashed credentials). Returns its path. */
export const writeMediamtxConfig = (dataDir: string, yamlText: string): Promise<string> => writeConfigFile(configPath(dataDir), yamlText);
