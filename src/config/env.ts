import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import * as v from 'valibot';
import { hostName } from '../api/request-guard.js';
import { parseEnv, portNumber } from '../shared/env.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const envSchema = v.object({
  TOPOSYNC_STREAMING_PORT: v.optional(portNumber, '8100'),
  TOPOSYNC_STREAMING_HOST: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty')), '127.0.0.1'),
  TOPOSYNC_STREAMING_DATA_DIR: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty')), './data'),
  TOPOSYNC_STREAMING_LOG_LEVEL: v.optional(v.picklist(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`), 'info'),
  TOPOSYNC_STREAMING_MEDIAMTX_PATH: v.optional(v.pipe(v.string(), v.startsWith('/', 'must be an absolute path'))),
  TOPOSYNC_STREAMING_GO2RTC_PATH: v.optional(v.pipe(v.string(), v.startsWith('/', 'must be an absolute path'))),
  TOPOSYNC_STREAMING_FFMPEG_PATH: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty')), 'ffmpeg'),
  TOPOSYNC_STREAMING_OPTIONS_PATH: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'))),
  TOPOSYNC_STREAMING_PROBE_ON_SAVE: v.optional(v.picklist(['true', 'false'], 'must be true or false'), 'true'),
  TOPOSYNC_STREAMING_ONVIF_DISCOVERY_TARGET: v.optional(
    v.pipe(
      v.string(),
      v.check((s) => {
        const [address = '', port = '', ...rest] = s.split(':');
        return rest.length === 0 && isIPv4(address) && /^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65_535;
      }, 'must be an IPv4 address and a port, such as 239.255.255.250:3702'),
      v.transform((s) => ({ address: s.slice(0, s.indexOf(':')), port: Number(s.slice(s.indexOf(':') + 1)) })),
    ),
  ),
  TOPOSYNC_STREAMING_ALLOWED_HOSTS: v.optional(
    v.pipe(
      v.string(),
      v.transform((list) =>
        list
          .split(',')
          .map((h) => h.trim())
          .filter(Boolean),
      ),
      v.check((hosts) => hosts.every((h) => hostName(h) !== null), 'must be a comma-separated list of host names or IP addresses (no scheme, port or wildcard)'),
    ),
  ),
});

/** The core server's settings from the environment (the add-on's own variables: src/addon/env.ts). */
export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  logLevel: (typeof LOG_LEVELS)[number];
  mediamtxPath: string | undefined;
  go2rtcPath: string | undefined;
  ffmpegPath: string;
  /** A platform's options file (read by the add-on adapter in add-on mode only). */
  optionsPath: string;
  /** Host names answered in development mode besides loopback names and IP literals: the listen host when it is a name, and TOPOSYNC_STREAMING_ALLOWED_HOSTS. */
  allowedHosts: string[];
  /** Probe camera sources in the background when a save adds one or changes its URL (TOPOSYNC_STREAMING_PROBE_ON_SAVE, default true). */
  probeOnSave: boolean;
  /** Where ONVIF discovery Probes go (TOPOSYNC_STREAMING_ONVIF_DISCOVERY_TARGET); unset: the WS-Discovery multicast group. */
  onvifDiscoveryTarget: { address: string; port: number } | undefined;
}

/** Reads and validates the environment once, at start-up; a bad value names the variable. */
export function configFromEnv(env: NodeJS.ProcessEnv): ServerConfig {
  const o = parseEnv(envSchema, env);
  return {
    port: o.TOPOSYNC_STREAMING_PORT,
    host: o.TOPOSYNC_STREAMING_HOST,
    dataDir: o.TOPOSYNC_STREAMING_DATA_DIR,
    logLevel: o.TOPOSYNC_STREAMING_LOG_LEVEL,
    mediamtxPath: o.TOPOSYNC_STREAMING_MEDIAMTX_PATH,
    go2rtcPath: o.TOPOSYNC_STREAMING_GO2RTC_PATH,
    ffmpegPath: o.TOPOSYNC_STREAMING_FFMPEG_PATH,
    // Supervisor writes options.json into the data folder (/data in the image).
    optionsPath: o.TOPOSYNC_STREAMING_OPTIONS_PATH ?? join(o.TOPOSYNC_STREAMING_DATA_DIR, 'options.json'),
    // The listen host is a name clients use (IP literals, 0.0.0.0 among them, are answered anyway).
    probeOnSave: o.TOPOSYNC_STREAMING_PROBE_ON_SAVE === 'true',
    onvifDiscoveryTarget: o.TOPOSYNC_STREAMING_ONVIF_DISCOVERY_TARGET,
    allowedHosts: [...(hostName(o.TOPOSYNC_STREAMING_HOST) === null ? [] : [o.TOPOSYNC_STREAMING_HOST]), ...(o.TOPOSYNC_STREAMING_ALLOWED_HOSTS ?? [])],
  };
}
