import { join } from 'node:path';
import * as v from 'valibot';
import { MODES, resolveMode, type Mode } from '../addon/mode.js';
import { hostName } from '../api/request-guard.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const portNumber = v.pipe(v.string(), v.regex(/^\d{1,5}$/, 'must be a port number'), v.transform(Number), v.minValue(1, 'must be a port number'), v.maxValue(65535, 'must be a port number'));

const envSchema = v.object({
  TOPOSYNC_STREAMING_PORT: v.optional(portNumber, '8100'),
  TOPOSYNC_STREAMING_HOST: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty')), '127.0.0.1'),
  TOPOSYNC_STREAMING_DATA_DIR: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty')), './data'),
  TOPOSYNC_STREAMING_LOG_LEVEL: v.optional(v.picklist(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`), 'info'),
  TOPOSYNC_STREAMING_MEDIAMTX_PATH: v.optional(v.pipe(v.string(), v.startsWith('/', 'must be an absolute path'))),
  TOPOSYNC_STREAMING_GO2RTC_PATH: v.optional(v.pipe(v.string(), v.startsWith('/', 'must be an absolute path'))),
  TOPOSYNC_STREAMING_FFMPEG_PATH: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty')), 'ffmpeg'),
  TOPOSYNC_STREAMING_MODE: v.optional(v.picklist(MODES, `must be one of ${MODES.join(', ')}`)),
  TOPOSYNC_STREAMING_DIRECT_PORT: v.optional(portNumber),
  TOPOSYNC_STREAMING_OPTIONS_PATH: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'))),
  TOPOSYNC_STREAMING_ALLOWED_HOSTS: v.optional(
    v.pipe(
      v.string(),
      v.transform((list) => list.split(',').map((h) => h.trim()).filter(Boolean)),
      v.check((hosts) => hosts.every((h) => hostName(h) !== null), 'must be a comma-separated list of host names or IP addresses (no scheme, port or wildcard)'),
    ),
  ),
});

export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  logLevel: (typeof LOG_LEVELS)[number];
  mediamtxPath: string | undefined;
  go2rtcPath: string | undefined;
  ffmpegPath: string;
  mode: Mode;
  /** Supervisor's token for this add-on; a secret, never logged or echoed. */
  supervisorToken: string | null;
  directPort: number | null;
  /** The add-on options file (read in add-on mode only). */
  optionsPath: string;
  /** Host names answered in development mode besides loopback names and IP literals: the listen host when it is a name, and TOPOSYNC_STREAMING_ALLOWED_HOSTS. */
  allowedHosts: string[];
}

export class ConfigError extends Error {}

/** Reads and validates the environment once, at start-up; a bad value names the variable. */
export function configFromEnv(env: NodeJS.ProcessEnv): ServerConfig {
  const picked = Object.fromEntries(Object.keys(envSchema.entries).filter((k) => env[k] !== undefined).map((k) => [k, env[k]]));
  const parsed = v.safeParse(envSchema, picked);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const key = v.getDotPath(issue) ?? 'environment';
    throw new ConfigError(`${key} ${issue.message.replace(/^Invalid \w+: /, '').replace(/ but received .*$/, '')} (got ${JSON.stringify(env[key])})`);
  }
  const o = parsed.output;
  if (o.TOPOSYNC_STREAMING_DIRECT_PORT !== undefined && o.TOPOSYNC_STREAMING_DIRECT_PORT === o.TOPOSYNC_STREAMING_PORT) {
    throw new ConfigError(`TOPOSYNC_STREAMING_DIRECT_PORT must differ from TOPOSYNC_STREAMING_PORT (both ${o.TOPOSYNC_STREAMING_PORT})`);
  }
  const supervisorToken = env.SUPERVISOR_TOKEN?.trim() || null;
  return {
    port: o.TOPOSYNC_STREAMING_PORT as number,
    host: o.TOPOSYNC_STREAMING_HOST,
    dataDir: o.TOPOSYNC_STREAMING_DATA_DIR,
    logLevel: o.TOPOSYNC_STREAMING_LOG_LEVEL,
    mediamtxPath: o.TOPOSYNC_STREAMING_MEDIAMTX_PATH,
    go2rtcPath: o.TOPOSYNC_STREAMING_GO2RTC_PATH,
    ffmpegPath: o.TOPOSYNC_STREAMING_FFMPEG_PATH,
    mode: resolveMode(o.TOPOSYNC_STREAMING_MODE, supervisorToken),
    supervisorToken,
    directPort: o.TOPOSYNC_STREAMING_DIRECT_PORT ?? null,
    // Supervisor writes options.json into the data folder (/data in the image).
    optionsPath: o.TOPOSYNC_STREAMING_OPTIONS_PATH ?? join(o.TOPOSYNC_STREAMING_DATA_DIR, 'options.json'),
    // The listen host is a name clients use (IP literals, 0.0.0.0 among them, are answered anyway).
    allowedHosts: [...(hostName(o.TOPOSYNC_STREAMING_HOST) === null ? [] : [o.TOPOSYNC_STREAMING_HOST]), ...(o.TOPOSYNC_STREAMING_ALLOWED_HOSTS ?? [])],
  };
}
