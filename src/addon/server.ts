import { createStreamingServer, type ServerOptions, type StreamingServer } from '../server.js';
import { createAddon, type AddonConfig, type AddonListeners } from './index.js';

/** The core wrapped by the add-on adapter, as main.ts runs it. */
export interface AddonServer {
  streaming: StreamingServer;
  /** What each port serves (see ./listeners.ts). */
  listeners: AddonListeners;
}

/** Builds the core with the add-on plugged in; `config` defaults to development mode with no direct port. */
export async function createAddonServer(options: Omit<ServerOptions, 'integration'>, config: AddonConfig = {}): Promise<AddonServer> {
  const addon = createAddon(config, { logger: options.logger });
  const streaming = await createStreamingServer({
    ...options,
    integration: addon.integration,
    // In add-on mode the ports are guarded by peer and token, and their Host names are Home Assistant's to choose.
    ...(addon.mode === 'addon' ? { allowedHosts: 'any' as const } : {}),
  });
  return { streaming, listeners: addon.listeners(streaming.app) };
}
