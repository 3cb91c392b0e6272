import { Hono } from 'hono';
import type { JsmpegSessions } from '../../playback/jsmpeg.js';

/**
 * HTTP side of the JSMpeg fallback, mounted under /api/streams (the WebSocket itself is an upgrade
 * handler: `jsmpeg.handleUpgrade`, hooked on the HTTP server's `upgrade` event):
 * - `GET /media/jsmpeg/<path>/ws` without an Upgrade header → 426 (so a plain request is not a 404).
 * - `GET /runtime/jsmpeg/sessions` → the running sessions and counters (diagnostics).
 */
export function jsmpegRoutes(jsmpeg: JsmpegSessions) {
  return new Hono()
    .get('/media/jsmpeg/*', (c) =>
      c.json({ error: { code: 'upgrade_required', message: 'this is a WebSocket endpoint: connect with "Upgrade: websocket"', field: null } }, 426, { upgrade: 'websocket' }),
    )
    .get('/runtime/jsmpeg/sessions', (c) => c.json({ count: jsmpeg.count(), counters: jsmpeg.counters, sessions: jsmpeg.sessions() }));
}
