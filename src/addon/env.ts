import * as v from 'valibot';
import { ConfigError, parseEnv, portNumber } from '../shared/env.js';
import { MODES, resolveMode, type Mode } from './mode.js';

const envSchema = v.object({
  TOPOSYNC_STREAMING_MODE: v.optional(v.picklist(MODES, `must be one of ${MODES.join(', ')}`)),
  TOPOSYNC_STREAMING_DIRECT_PORT: v.optional(portNumber),
});

/** The add-on's settings from the environment. */
export interface AddonEnv {
  mode: Mode;
  /** Supervisor's token for this add-on; a secret, never logged or echoed. */
  supervisorToken: string | null;
  directPort: number | null;
}

/** Read once at start-up beside the core's variables; `corePort` is TOPOSYNC_STREAMING_PORT as the core read it. */
export function addonEnv(env: NodeJS.ProcessEnv, corePort: number): AddonEnv {
  const o = parseEnv(envSchema, env);
  const directPort = o.TOPOSYNC_STREAMING_DIRECT_PORT ?? null;
  if (directPort === corePort) throw new ConfigError(`TOPOSYNC_STREAMING_DIRECT_PORT must differ from TOPOSYNC_STREAMING_PORT (both ${corePort})`);
  // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- a blank token is no token
  const supervisorToken = env.SUPERVISOR_TOKEN?.trim() || null;
  return { mode: resolveMode(o.TOPOSYNC_STREAMING_MODE, supervisorToken), supervisorToken, directPort };
}
