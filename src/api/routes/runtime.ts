import { Hono } from 'hono';
import { heartbeatSchema, primeSchema, type RuntimeService } from '../../runtime/service.js';
import { jsonBody } from '../validate.js';

/** Demand and runtime endpoints, mounted under /api/streams. */
export function runtimeRoutes(runtime: RuntimeService, playbackSummary: () => Record<string, unknown> = () => ({})) {
  return new Hono()
    .get('/transmissions/:id/demand', (c) => c.json(runtime.demand(c.req.param('id'))))
    .post('/transmissions/:id/demand/heartbeat', async (c) => c.json(runtime.heartbeat(c.req.param('id'), await jsonBody(c, heartbeatSchema))))
    .post('/transmissions/:id/demand/prime', async (c) => {
      // An empty body primes for the default time.
      const body = (await c.req.raw.clone().text()).trim() === '' ? { seconds: 30 } : await jsonBody(c, primeSchema);
      return c.json(runtime.prime(c.req.param('id'), body));
    })
    .get('/runtime/outputs', (c) => c.json(runtime.outputs()))
    .get('/runtime/health', (c) => c.json(runtime.health()))
    .get('/runtime/diagnostics', (c) => c.json(runtime.diagnostics()))
    .get('/runtime/observability', (c) => c.json({ ...runtime.observability(), ...playbackSummary() }))
    .get('/runtime/diagnostic-snapshot', (c) =>
      c.json({
        generated_at: new Date().toISOString(),
        health: runtime.health(),
        outputs: runtime.outputs(),
        diagnostics: runtime.diagnostics(),
        observability: { ...runtime.observability(), ...playbackSummary() },
      }),
    );
}
