import { Hono } from 'hono';
import type { Go2rtcManager } from '../../sidecar/manager.js';

/**
 * The go2rtc sidecar's lifecycle (mounted by the app under `/api/streams`). Every answer is the
 * sidecar status; start/stop/restart never fail with an HTTP error (disabled MSE, a missing binary
 * or a failed start is a state in the body). A refused download is an ApiError: 409
 * `download_disabled` naming `mse.allow_download`, 409 `checksum_not_pinned` when this build has no
 * pinned SHA-256 for the platform, 502 `checksum_mismatch` / `download_failed`.
 */
export function mseRoutes(sidecar: Go2rtcManager): Hono {
  return new Hono()
    .get('/mse/status', async (c) => c.json(await sidecar.inspect()))
    .post('/mse/start', async (c) => c.json(await sidecar.start()))
    .post('/mse/stop', async (c) => c.json(await sidecar.stop()))
    .post('/mse/restart', async (c) => c.json(await sidecar.restart()))
    .post('/mse/download', async (c) => c.json(await sidecar.download()));
}
