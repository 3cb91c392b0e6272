import { ENGINE_PATH_RE } from '../../domain/engine-path.js';
import type { JsmpegSessions } from '../../playback/jsmpeg/sessions.js';
import type { MseRelay } from '../../playback/mse-relay-types.js';
import type { WsBridge } from '../../playback/remote/ws-bridge.js';
import type { MediaScope, MediaTokens } from '../../playback/tokens.js';
import { ApiError } from '../../shared/errors.js';
import type { UpgradeRoute } from './router.js';

const MSE_PREFIX = '/api/streams/media/mse/';
const MSE_SUFFIX = '/ws';
const JSMPEG_PATH_RE = /^\/api\/streams\/media\/jsmpeg\/(.+)\/ws\/?$/;

/** The undecoded engine path of an MSE relay URL path (`/api/streams/media/mse/<path>/ws[/]`), or null. */
function msePathOf(pathname: string): string | null {
  if (!pathname.startsWith(MSE_PREFIX)) return null;
  const rest = pathname.slice(MSE_PREFIX.length).replace(/\/$/, '');
  return rest.endsWith(MSE_SUFFIX) ? rest.slice(0, -MSE_SUFFIX.length) : null;
}

function decoded(raw: string): string | null {
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

type Verify = Pick<MediaTokens, 'verify'>;
/** The transmissions another server hosts: their sockets are bridged to it. */
type Remote = { isRemote(txId: string): boolean } & WsBridge;

/**
 * `GET /api/streams/media/mse/<engine path>/ws?media_token=`: 400 `invalid_path` for a path that is
 * not an engine path, then the token (401; 403 for another path or transport than `mse`); the relay
 * (or the bridge to the host of a remote transmission) decides the rest after the handshake, with
 * close codes a browser can read.
 */
export function mseUpgradeRoute({ relay, tokens, remote }: { relay: Pick<MseRelay, 'admit'>; tokens: Verify; remote?: Remote }): UpgradeRoute {
  return {
    name: 'MSE',
    match: msePathOf,
    // Browser messages are small JSON.
    maxPayload: 64 * 1024,
    admit({ param, query }) {
      const path = decoded(param);
      if (path === null) throw new ApiError(400, 'invalid_path', 'the path is not valid percent-encoding', 'path');
      if (!ENGINE_PATH_RE.test(path)) throw new ApiError(400, 'invalid_path', 'not an engine path (letters, digits, "_", ".", "-" segments joined by "/")', 'path');
      const scope: MediaScope = tokens.verify(query.media_token ?? null, { transport: 'mse', path });
      if (remote?.isRemote(scope.transmission_id)) return remote.admit(scope, 'mse');
      return relay.admit({ path, scope });
    },
  };
}

/**
 * `GET /api/streams/media/jsmpeg/<engine path>/ws?media_token=`: the token first (401; 403 for
 * another path or transport than `jsmpeg`), so an anonymous client learns nothing about which paths
 * exist, then 404 for what cannot be an engine path; the sessions (or the bridge to the host of a
 * remote transmission) decide the rest.
 */
export function jsmpegUpgradeRoute({ sessions, tokens, remote }: { sessions: Pick<JsmpegSessions, 'admit' | 'noteRefused'>; tokens: Verify; remote?: Remote }): UpgradeRoute {
  return {
    name: 'jsmpeg',
    match: (pathname) => JSMPEG_PATH_RE.exec(pathname)?.[1] ?? null,
    // Nothing is expected from the player.
    maxPayload: 4096,
    admit({ param, query }) {
      const path = decoded(param) ?? '';
      const scope = tokens.verify(query.media_token ?? null, { transport: 'jsmpeg', path });
      if (!ENGINE_PATH_RE.test(path)) throw new ApiError(404, 'not_found', `no stream at path "${path.slice(0, 200)}"`, 'path');
      if (remote?.isRemote(scope.transmission_id)) return remote.admit(scope, 'jsmpeg');
      return sessions.admit({ path, scope });
    },
    onRefused: () => sessions.noteRefused(),
  };
}
