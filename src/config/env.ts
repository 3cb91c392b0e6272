import * as v from 'valibot';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const envSchema = v.object({
  TOPOSYNC_STREAMING_PORT: v.optional(
    v.pipe(v.string(), v.regex(/^\d{1,5}$/, 'must be a port number'), v.transform(Number), v.minValue(1, 'must be a port number'), v.maxValue(65535, 'must be a port number')),
    '8100',
  ),
  TOPOSYNC_STREAMING_HOST: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty')), '127.0.0.1'),
  TOPOSYNC_STREAMING_DATA_DIR: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty')), './data'),
  TOPOSYNC_STREAMING_LOG_LEVEL: v.optional(v.picklist(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`), 'info'),
  TOPOSYNC_STREAMING_MEDIAMTX_PATH: v.optional(v.pipe(v.string(), v.startsWith('/', 'must be an absolute path'))),
  TOPOSYNC_STREAMING_GO2RTC_PATH: v.optional(v.pipe(v.string(), v.startsWith('/', 'must be an absolute path'))),
  TOPOSYNC_STREAMING_FFMPEG_PATH: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty')), 'ffmpeg'),
});

export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  logLevel: (typeof LOG_LEVELS)[number];
  mediamtxPath: string | undefined;
  go2rtcPath: string | undefined;
  ffmpegPath: string;
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
  return {
    port: o.TOPOSYNC_STREAMING_PORT as number,
    host: o.TOPOSYNC_STREAMING_HOST,
    dataDir: o.TOPOSYNC_STREAMING_DATA_DIR,
    logLevel: o.TOPOSYNC_STREAMING_LOG_LEVEL,
    mediamtxPath: o.TOPOSYNC_STREAMING_MEDIAMTX_PATH,
    go2rtcPath: o.TOPOSYNC_STREAMING_GO2RTC_PATH,
    ffmpegPath: o.TOPOSYNC_STREAMING_FFMPEG_PATH,
  };
}
