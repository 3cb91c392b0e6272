import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import { ConfigError, configFromEnv, type ServerConfig } from './config/env.js';
import { createLogger } from './logger.js';
import { createStreamingServer } from './server.js';

function readConfig(): ServerConfig {
  try {
    return configFromEnv(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // One clear line, then stop: a bad value must not half-start the server.
    process.stderr.write(`toposync-streaming: invalid configuration: ${err.message}\n`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config.logLevel);
  const streaming = await createStreamingServer({
    dataDir: config.dataDir,
    logger,
    logLevel: config.logLevel,
    mediamtxPath: config.mediamtxPath,
    go2rtcPath: config.go2rtcPath,
    ffmpegPath: config.ffmpegPath,
  });
  const server = serve({ fetch: streaming.app.fetch, port: config.port, hostname: config.host }, (info) => {
    logger.info({ port: info.port, host: config.host, dataDir: config.dataDir }, 'listening');
  }) as Server;
  streaming.attach(server);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    server.close();
    // Children (MediaMTX, FFmpeg) get their graceful stop before the process exits.
    await streaming.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

void main();
