import type { IncomingMessage } from 'node:http';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import type { MediaTokens } from '../playback/tokens.js';
import { ingressPrefix } from '../playback/urls.js';
import type { SettingsStore } from '../store/settings-store.js';
import { createDirectPortGuard } from './direct-port.js';
import { guarded, type Listener } from './guard.js';
import { createHaCameras } from './ha-cameras.js';
import { createIngressTrust, INGRESS_PEERS } from './ingress-trust.js';
import { MODES, type Mode } from './mode.js';
import type { WebrtcHosts } from '../engine/config.js';
import { overriddenSettings, webrtcHostList, type AddonOptions } from './options.js';
import { createProvisioner } from './provision.js';
import { addonRoutes } from './routes.js';
import { createSupervisorClient } from './supervisor-client.js';

export { applyAddonOptions } from './options.js';
export type { UpgradeGate } from './guard.js';

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

export interface AddonDeps {
  store: SettingsStore;
  tokens: MediaTokens;
  rtspPort: () => number;
  logger: Logger;
}

export interface AddonListeners {
  /** TOPOSYNC_STREAMING_PORT: behind ingress trust in add-on mode, the app as is in development mode. */
  ingress: Listener;
  direct: (Listener & { port: number }) | null;
}

/** What exists only because the server may run as a Home Assistant add-on. */
export function createAddon(config: AddonConfig, { store, tokens, rtspPort, logger }: AddonDeps) {
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
  const direct = createDirectPortGuard({ apiToken: () => store.get().streaming.api_token, tokens, logger });
  const cameras = createHaCameras({ store, tokens, supervisor, rtspPort, directPort });
  const provisioner = createProvisioner({ supervisor, cameras, store, logger });

  // No secret here: the token's presence, never its value.
  const status = async (ingressPath: string | undefined) => ({
    mode,
    ingress: {
      enforced: trust !== null,
      trusted_peers: trust ? [...peers] : [],
      prefix_seen: ingressPrefix(ingressPath) || trust?.lastPrefix() || null,
    },
    direct_port: { enabled: directPort !== null, port: directPort },
    supervisor: { url: supervisor.baseUrl, token_present: supervisor.available },
    home_assistant_api: await supervisor.coreApi(),
    addon_host: await supervisor.addonHost(),
    options: { path: config.optionsPath ?? null, loaded: (config.options ?? null) !== null, overrides: overriddenSettings(config.options ?? null) },
  });

  return {
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
    routes: addonRoutes({ status, cameras, provisioner }),
    /** The ingress proxy's socket peers (none in development mode): the request guard takes its X-Forwarded-Host as the page's origin. */
    ingressPeers: trust ? [...peers] : [],
    /** For the writer API: an upgrade the ingress gate let through needs no token. */
    isTrustedIngress: (req: IncomingMessage) => trust?.isTrustedUpgrade(req) ?? false,
    listeners(app: Hono): AddonListeners {
      return {
        ingress: trust ? { fetch: guarded(app, trust.middleware), upgradeGate: trust.upgradeGate } : { fetch: app.fetch, upgradeGate: null },
        direct: directPort === null ? null : { fetch: guarded(app, direct.middleware), upgradeGate: direct.upgradeGate, port: directPort },
      };
    },
  };
}
