import { serve } from '@hono/node-server';
import { createApp } from './api/app.js';
import { ConfigError, configFromEnv } from './config/env.js';
import { createLogger } from './logger.js';
import { prepareDoc } from './control/bootstrap.js';
import { openSettingsStore } from './store/settings-store.js';

async function main(): Promise<void> {
  let config;
  try {
    config = configFromEnv(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // One clear line, then stop: a bad value must not half-start the server.
    process.stderr.write(`toposync-streaming: invalid configuration: ${err.message}\n`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel);
  const store = await openSettingsStore({ dataDir: config.dataDir, logger });
  await store.update((draft) => Object.assign(draft, prepareDoc(draft)));
  const app = createApp({ store, logger });
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    logger.info({ port: info.port, host: config.host, dataDir: config.dataDir }, 'listening');
  });

  const stop = (signal: string) => {
    logger.info({ signal }, 'stopping');
    server.close();
    void store.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

void main();
