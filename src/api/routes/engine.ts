import { Hono } from 'hono';
import type { EngineManager } from '../../engine/engine.js';

/**
 * The engine's lifecycle (mounted by the app under `/api/streams`). Every answer is the engine
 * status; start/stop/restart never fail with an HTTP error (a missing binary or a failed start is
 * a state in the body). A refused download is an ApiError: 409 naming `engine.allow_download`
 * when downloads are disabled, 502 when the release could not be fetched or failed verification.
 */
export function engineRoutes(engine: EngineManager): Hono {
  return new Hono()
    .get('/engine/status', async (c) => c.json(await engine.inspect()))
    .post('/engine/start', async (c) => c.json(await engine.start()))
    .post('/engine/stop', async (c) => c.json(await engine.stop()))
    .post('/engine/restart', async (c) => c.json(await engine.restart()))
    .post('/engine/download', async (c) => c.json(await engine.download()));
}
