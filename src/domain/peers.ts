import * as v from 'valibot';
import { storedCameraSchema } from './camera.js';
import { isPlainHttpUrl } from './http-url.js';
import { pipelineSchema } from './pipeline.js';
import { transmissionSchema } from './transmission.js';
import { serverIdSchema } from './publication.js';

/** A peer's shared secret: long enough that guessing it over the network is hopeless. */
const peerSecret = v.pipe(v.string(), v.minLength(16, 'must be at least 16 characters'), v.maxLength(256));

const peerBaseUrl = v.pipe(
  v.string(),
  v.maxLength(2048),
  v.check((s) => isPlainHttpUrl(s, { bare: true }), "must be the peer's direct http:// or https:// address, without credentials, query or fragment"),
  // One spelling, so `${base_url}/api/...` never doubles a slash.
  v.transform((s) => s.replace(/\/+$/, '')),
);

/**
 * Another instance of this server that hosts transmissions for this one (or this one for it), as
 * stored: the secret both sides share authenticates every call between them and is never shown.
 */
export const peerSchema = v.object({
  id: serverIdSchema,
  name: v.pipe(v.string(), v.maxLength(120)),
  base_url: peerBaseUrl,
  secret: peerSecret,
  enabled: v.boolean(),
});
export type Peer = v.InferOutput<typeof peerSchema>;

/** A peer as written through the settings API: an omitted secret keeps the stored one of that id. */
export const peerInputSchema = v.strictObject({
  id: serverIdSchema,
  name: v.optional(v.pipe(v.string(), v.maxLength(120)), ''),
  base_url: peerBaseUrl,
  secret: v.optional(peerSecret),
  enabled: v.optional(v.boolean(), true),
  /** Sent back as read: ignored. */
  has_secret: v.optional(v.boolean()),
});
export type PeerInput = v.InferOutput<typeof peerInputSchema>;

/** What a peer says this server hosts for it (`GET /api/streams/distributed/settings/{own id}` on the peer). */
export const pulledSchema = v.object({
  server_id: v.string(),
  version: v.pipe(v.number(), v.integer(), v.minValue(0)),
  digest: v.pipe(v.string(), v.regex(/^[0-9a-f]{1,64}$/)),
  transmissions: v.array(transmissionSchema),
  cameras: v.array(storedCameraSchema),
  pipelines: v.array(pipelineSchema),
});
export type PulledSettings = v.InferOutput<typeof pulledSchema>;

/** The headers of a call from one peer to another: who calls, and the secret both share. */
export const PEER_HEADER = 'x-toposync-peer';
export const peerHeaders = (ownId: string, secret: string): Record<string, string> => ({ [PEER_HEADER]: ownId, authorization: `Bearer ${secret}` });
