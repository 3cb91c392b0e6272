import { addonEnv, type AddonEnv } from './addon/env.js';
import { listen } from './addon/listeners.js';
import { readAddonOptions, type AddonOptions } from './addon/options.js';
import { createAddonServer } from './addon/server.js';
import { configFromEnv, type ServerConfig } from './config/env.js';
import { ConfigError } from './shared/env.js';
import { createLogger } from './shared/logger.js';

/** The entry: the core's configuration, the add-on adapter's, and the core wrapped by the adapter. */
async function readConfig(): Promise<{ config: ServerConfig & AddonEnv; options: AddonOptions | null }> {
  try {
    const core = configFromEnv(process.env);
    const config = { ...core, ...addonEnv(process.env, core.port) };
    // options.json is Supervisor's: read only in add-on mode.
    const options = config.mode === 'addon' ? await readAddonOptions(config.optionsPath) : null;
    return { config, options };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // One clear line, then stop: a bad value must not half-start the server.
    process.stderr.write(`toposync-streaming: invalid configuration: ${err.message}\n`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const { config, options } = await readConfig();
  const logLevel = options?.log_level ?? config.logLevel;
  const logger = createLogger(logLevel);
  if (config.mode === 'addon' && options === null) logger.warn({ path: config.optionsPath }, 'no add-on options file; the stored settings stand');
  const server = await createAddonServer(
    {
      dataDir: config.dataDir,
      logger,
      logLevel,
      mediamtxPath: config.mediamtxPath,
      go2rtcPath: config.go2rtcPath,
      ffmpegPath: config.ffmpegPath,
      allowedHosts: config.allowedHosts,
      probe: { auto: config.probeOnSave },
      onvif: config.onvifDiscoveryTarget ? { discoveryTarget: config.onvifDiscoveryTarget } : {},
    },
    { mode: config.mode, supervisorToken: config.supervisorToken, directPort: config.directPort, options, optionsPath: config.mode === 'addon' ? config.optionsPath : null },
  );
  const { streaming } = server;
  const servers = await listen(server, { host: config.host, port: config.port });
  logger.info({ port: config.port, host: config.host, direct_port: config.directPort, mode: config.mode, dataDir: config.dataDir }, 'listening');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    servers.close();
    // Children (MediaMTX, FFmpeg) get their graceful stop before the process exits.
    await streaming.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

void main();
