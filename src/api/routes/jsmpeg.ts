import { Hono } from 'hono';
import { ApiError } from '../../shared/errors.js';
import type { JsmpegSessions } from '../../playback/jsmpeg/sessions.js';

/**
 * HTTP side of the JSMpeg fallback, mounted under /api/streams (the WebSocket itself is an upgrade
 * route: api/ws/media.ts, behind the server's upgrade router):
 * - `GET /media/jsmpeg/<path>/ws` without an Upgrade header → 426 (so a plain request is not a 404).
 * - `GET /runtime/jsmpeg/sessions` → the running sessions and counters (diagnostics).
 */
export function jsmpegRoutes(jsmpeg: JsmpegSessions) {
  return new Hono()
    .get('/media/jsmpeg/*', () => {
      throw new ApiError(426, 'upgrade_required', 'this is a WebSocket endpoint: connect with "Upgrade: websocket"');
    })
    .get('/runtime/jsmpeg/sessions', (c) => c.json({ count: jsmpeg.count(), counters: jsmpeg.counters, sessions: jsmpeg.sessions() }));
}
