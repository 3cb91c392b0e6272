import { createHmac, hash, timingSafeEqual } from 'node:crypto';
import * as v from 'valibot';
import { ApiError } from '../shared/errors.js';
import { loadOrCreateSecret } from '../store/secrets.js';

const TRANSPORTS = ['hls', 'mse', 'jsmpeg', 'webrtc', 'still'] as const;
export type MediaTransport = (typeof TRANSPORTS)[number];

/** What a media token grants: one transport of one output of one transmission, until `exp`. */
export interface MediaScope {
  transmission_id: string;
  output_id: string;
  /** The engine path the output plays from; a token for one path never opens another. */
  path: string;
  transport: MediaTransport;
}

const payloadSchema = v.object({
  t: v.string(),
  o: v.string(),
  p: v.string(),
  x: v.picklist(TRANSPORTS),
  e: v.pipe(v.number(), v.integer()),
});

export interface MediaTokens {
  /** A token for `scope`, valid `ttlMs` (default: the configured TTL). */
  issue(scope: MediaScope, ttlMs?: number): string;
  /** The scope and expiry of a valid token; throws ApiError 401 (missing, forged, expired) or 403 (other scope). */
  verify(token: string | null | undefined, expected: Partial<MediaScope>): MediaScope & { exp: number };
  /** How many verified tokens are remembered now (at most `cacheSize`). */
  cached(): number;
  ttlMs: number;
}

export interface MediaTokenOptions {
  key: Buffer;
  /** Default 10 minutes; the playback plan hands out fresh tokens. */
  ttlMs?: number;
  now?: () => number;
  /** Verified tokens remembered (their scope and expiry), so a player's segment requests skip the MAC. Default 4096. */
  cacheSize?: number;
}

const b64 = (b: Buffer) => b.toString('base64url');
/** One text per token: unpadded base64url, the signature exactly the 43 characters of a SHA-256 MAC. */
const PAYLOAD_RE = /^[A-Za-z0-9_-]+$/;
const SIGNATURE_RE = /^[A-Za-z0-9_-]{43}$/;

const SCOPE_KEYS = ['transmission_id', 'output_id', 'path', 'transport'] as const;

/**
 * HMAC-SHA256 tokens: `base64url(json payload).base64url(mac)`. Verification recomputes the MAC and
 * compares its canonical text in constant time before reading anything from the payload; the MAC
 * covers the payload's text, so a payload spelled other than as issued never verifies either.
 *
 * A token that verified is remembered under the SHA-256 of its text (a player sends the same token
 * with every segment): a lookup's timing depends only on that digest, which tells nothing about a
 * valid token, and only tokens whose MAC matched ever get in. Expiry and the expected scope are
 * checked on every call, cached or not.
 */
export function createMediaTokens({ key, ttlMs = 10 * 60_000, now = Date.now, cacheSize = 4096 }: MediaTokenOptions): MediaTokens {
  if (key.length < 32) throw new Error('media tokens: the key must be at least 32 bytes');
  if (!(ttlMs >= 1000)) throw new Error('media tokens: ttlMs must be at least 1000');
  const mac = (data: string) => createHmac('sha256', key).update(data).digest();
  const verified = new Map<string, Readonly<MediaScope & { exp: number }>>();

  function checkMac(token: string): MediaScope & { exp: number } {
    const [payload, signature, extra] = token.split('.');
    if (!payload || !signature || extra !== undefined || !PAYLOAD_RE.test(payload) || !SIGNATURE_RE.test(signature)) {
      throw new ApiError(401, 'invalid_token', 'media_token is malformed', 'media_token');
    }
    // The text is compared, not decoded bytes: base64url decoding skips stray characters and unused
    // bits, so many texts would carry one MAC (and each would take its own cache slot).
    if (!timingSafeEqual(Buffer.from(signature), Buffer.from(b64(mac(payload))))) {
      throw new ApiError(401, 'invalid_token', 'media_token signature does not match', 'media_token');
    }
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw new ApiError(401, 'invalid_token', 'media_token is malformed', 'media_token');
    }
    const parsed = v.safeParse(payloadSchema, decoded);
    if (!parsed.success) throw new ApiError(401, 'invalid_token', 'media_token is malformed', 'media_token');
    const p = parsed.output;
    return { transmission_id: p.t, output_id: p.o, path: p.p, transport: p.x, exp: p.e };
  }

  return {
    ttlMs,
    cached: () => verified.size,
    issue(scope, ttl = ttlMs) {
      const payload = b64(Buffer.from(JSON.stringify({ t: scope.transmission_id, o: scope.output_id, p: scope.path, x: scope.transport, e: Math.floor((now() + ttl) / 1000) })));
      return `${payload}.${b64(mac(payload))}`;
    },
    verify(token, expected) {
      if (!token) throw new ApiError(401, 'missing_token', 'a media_token is required', 'media_token');
      const digest = hash('sha256', token, 'base64url');
      let scope = verified.get(digest);
      if (!scope) {
        scope = Object.freeze(checkMac(token));
        if (verified.size >= cacheSize) verified.delete(verified.keys().next().value!);
        verified.set(digest, scope);
      }
      if (scope.exp * 1000 <= now()) {
        verified.delete(digest);
        throw new ApiError(401, 'expired_token', 'media_token has expired; ask the playback plan for a fresh one', 'media_token');
      }
      for (const k of SCOPE_KEYS) {
        if (expected[k] !== undefined && expected[k] !== scope[k]) {
          throw new ApiError(403, 'token_scope', `media_token is not valid for this ${k.replace('_id', '')}`, 'media_token');
        }
      }
      return scope;
    },
  };
}

/** The signing key lives in the data directory, created once with mode 0600. */
export const loadOrCreateTokenKey = (dataDir: string): Promise<Buffer> => loadOrCreateSecret(dataDir, 'media-token.key');
