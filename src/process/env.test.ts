import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/fixtures/proc-helpers.js';
import { waitFor } from '../../test/support/wait.js';
import { childEnv, INHERITED_ENV } from './env.js';
import { createSupervisor } from './supervisor.js';
import type { Supervisor } from './types.js';

/** What the add-on's container holds that no child may see: Supervisor API tokens (current and legacy name) and the server's own settings. */
const SECRET_ENV = ['SUPERVISOR_TOKEN', 'HASSIO_TOKEN', 'TOPOSYNC_STREAMING_OPTIONS_PATH', 'TOPOSYNC_STREAMING_CANARY', 'TOPOSYNC_SEED'];
const CANARY = 'env-canary-3fK9q';

let supervisor: Supervisor | null = null;
afterEach(async () => {
  await supervisor?.stopAll();
  supervisor = null;
  for (const k of SECRET_ENV) Reflect.deleteProperty(process.env, k);
});

describe('childEnv', () => {
  it('passes on only the allowlist and LC_*, whatever else the server has (property)', () => {
    const key = fc.oneof(fc.constantFrom(...SECRET_ENV, ...INHERITED_ENV, 'LC_ALL', 'NODE_OPTIONS', 'LD_PRELOAD'), fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/));
    fc.assert(
      fc.property(fc.dictionary(key, fc.string()), (parent) => {
        const env = childEnv(undefined, parent);
        for (const k of Object.keys(env)) expect(INHERITED_ENV.includes(k) || k.startsWith('LC_')).toBe(true);
        for (const k of SECRET_ENV) expect(env).not.toHaveProperty(k);
        for (const [k, v] of Object.entries(env)) expect(v).toBe(parent[k]);
      }),
      { seed: 20261205 },
    );
  });

  it('a real child (started and run) sees none of SUPERVISOR_TOKEN, HASSIO_TOKEN, TOPOSYNC_*', async () => {
    for (const k of SECRET_ENV) process.env[k] = CANARY;
    supervisor = createSupervisor({ logger: captureLogger().logger });
    const handle = supervisor.start({ name: 'env-check', command: 'sleep', args: ['30'], restart: 'never' });
    await waitFor('running', () => handle.status().state === 'running');
    const environ = readFileSync(`/proc/${handle.status().pid}/environ`, 'utf8');
    expect(environ).toContain('PATH='); // read the right thing
    expect(environ).not.toContain(CANARY);

    const ran = await supervisor.run({ name: 'env-run', command: 'env', args: [], timeoutMs: 5_000 });
    expect(ran.exit.kind).toBe('expected');
    expect(String(ran.stdout)).toContain('PATH=');
    expect(String(ran.stdout)).not.toContain(CANARY);
  });
});
