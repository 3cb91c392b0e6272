import type { Hono } from 'hono';
import type { Logger } from 'pino';
import type { AddonStatus } from '../api/contract.js';
import { ingressPrefix } from '../playback/urls.js';
import type { Integration, IntegrationCore } from '../server.js';
import { createDistributedService } from '../control/distributed.js';
import { createDirectPortGuard } from './direct-port.js';
import { guarded, type Listener } from './guard.js';
import { createHaCameras } from './ha-cameras.js';
import { createIngressTrust, INGRESS_PEERS } from './ingress-trust.js';
import { MODES, type Mode } from './mode.js';
import type { WebrtcHosts } from '../engine/config.js';
import { applyAddonOptions, overriddenSettings, webrtcHostList, type AddonOptions } from './options.js';
import { createProvisioner } from './provision.js';
import { addonRoutes } from './routes.js';
import { createSupervisorClient } from './supervisor-client.js';

/** How the server runs: everything here has a default that is development mode on localhost. */
export interface AddonConfig {
  /** Default `dev`: no ingress trust, Supervisor never called. */
  mode?: Mode;
  supervisorToken?: string | null;
  /** Default `http://supervisor`. */
  supervisorUrl?: string;
  /** The token-only second port; null (default) serves none. */
  directPort?: number | null;
  /** Options read from options.json, already laid over the settings at start-up; reported by the status. */
  options?: AddonOptions | null;
  optionsPath?: string | null;
  /** Ingress peers answered in add-on mode. Default 172.30.32.2 (and its IPv4-mapped form). */
  trustedPeers?: readonly string[];
  /** The add-on's host name when Supervisor cannot say. Default HOSTNAME, then the OS host name. */
  fallbackHostname?: string;
}

export interface AddonListeners {
  /** TOPOSYNC_STREAMING_PORT: behind ingress trust in add-on mode, the app as is in development mode. */
  ingress: Listener;
  direct: (Listener & { port: number }) | null;
}

export interface Addon {
  mode: Mode;
  /** What the core gets: the options over the settings, WebRTC hosts, the add-on routes, ingress trust. */
  integration: Integration;
  /** What each port serves; only once the core has been built with `integration`. */
  listeners(app: Hono): AddonListeners;
}

/**
 * What exists only because the server may run as a Home Assistant add-on. The configuration is
 * checked here, at start-up; the parts that need the core's services are built when the core calls
 * `integration.extend`.
 */
export function createAddon(config: AddonConfig, { logger }: { logger: Logger }): Addon {
  const mode = config.mode ?? 'dev';
  if (!MODES.includes(mode)) throw new Error(`add-on: mode must be one of ${MODES.join(', ')}`);
  const directPort = config.directPort ?? null;
  if (directPort !== null && !(Number.isInteger(directPort) && directPort >= 1 && directPort <= 65535)) throw new Error('add-on: directPort must be a port number');
  const peers = config.trustedPeers ?? INGRESS_PEERS;
  const supervisor = createSupervisorClient({
    token: config.supervisorToken ?? null,
    ...(config.supervisorUrl !== undefined ? { baseUrl: config.supervisorUrl } : {}),
    ...(config.fallbackHostname !== undefined ? { fallbackHostname: config.fallbackHostname } : {}),
  });
  const trust = mode === 'addon' ? createIngressTrust({ logger, peers }) : null;
  let direct: ReturnType<typeof createDirectPortGuard> | null = null;

  // No secret here: the token's presence, never its value.
  const status = async (ingressPath: string | undefined): Promise<AddonStatus> => ({
    mode,
    ingress: {
      enforced: trust !== null,
      trusted_peers: trust ? [...peers] : [],
      prefix_seen: ingressPrefix(ingressPath) || (trust?.lastPrefix() ?? null),
    },
    direct_port: { enabled: directPort !== null, port: directPort },
    supervisor: { url: supervisor.baseUrl, token_present: supervisor.available },
    home_assistant_api: await supervisor.coreApi(),
    addon_host: await supervisor.addonHost(),
    options: { path: config.optionsPath ?? null, loaded: (config.options ?? null) !== null, overrides: overriddenSettings(config.options ?? null) },
  });

  const integration: Integration = {
    overlay: (doc, { readerPassword }) => applyAddonOptions(doc, config.options ?? null, readerPassword),
    /**
     * Where LAN browsers reach WebRTC media: the `webrtc_hosts` option, else (add-on mode) the host's
     * LAN addresses from Supervisor; outside an add-on the engine's own interfaces are the LAN's.
     */
    async webrtcHosts(): Promise<WebrtcHosts> {
      const manual = webrtcHostList(config.options?.webrtc_hosts);
      if (manual.length > 0) return { hosts: manual, source: 'option' };
      if (mode !== 'addon') return { hosts: [], source: 'interfaces' };
      const lan = await supervisor.lanAddresses();
      return lan && lan.length > 0 ? { hosts: lan, source: 'supervisor' } : { hosts: [], source: 'unknown' };
    },
    extend({ store, tokens, rtspPort, remote }: IntegrationCore) {
      direct = createDirectPortGuard({
        apiToken: () => store.get().streaming.api_token,
        tokens,
        logger,
        peerSecret: createDistributedService(store).peerSecret,
      });
      const cameras = createHaCameras({ store, tokens, supervisor, rtspPort, directPort, remote });
      const provisioner = createProvisioner({ supervisor, cameras, store, logger });
      return {
        routes: addonRoutes({ status, cameras, provisioner }),
        // The ingress proxy's socket peers (none in development mode).
        ingressPeers: trust ? [...peers] : [],
        isTrustedUpgrade: (req) => trust?.isTrustedUpgrade(req) ?? false,
      };
    },
  };

  return {
    mode,
    integration,
    listeners(app: Hono): AddonListeners {
      if (!direct) throw new Error('add-on: listeners asked for before the core was built with its integration');
      return {
        ingress: trust ? { fetch: guarded(app, trust.middleware), upgradeGate: trust.upgradeGate } : { fetch: app.fetch, upgradeGate: null },
        direct: directPort === null ? null : { fetch: guarded(app, direct.middleware), upgradeGate: direct.upgradeGate, port: directPort },
      };
    },
  };
}
