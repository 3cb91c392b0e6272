import * as v from 'valibot';
import { ROLES, slugSchema } from './ids.js';

const rtspUrl = v.pipe(
  v.string(),
  v.maxLength(2048),
  v.check((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'rtsp:' || u.protocol === 'rtsps:') && u.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be an rtsp:// or rtsps:// URL with a host'),
);

const credential = v.pipe(v.string(), v.maxLength(256));

/** A camera source as stored: credentials are kept apart from the URL and never leave the server. */
export const storedSourceSchema = v.object({
  id: slugSchema,
  role: v.picklist(ROLES),
  label: v.pipe(v.string(), v.maxLength(120)),
  url: rtspUrl,
  username: v.nullable(credential),
  password: v.nullable(credential),
  publish: v.boolean(),
});
export type StoredSource = v.InferOutput<typeof storedSourceSchema>;

export const storedCameraSchema = v.object({
  id: slugSchema,
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(120)),
  sources: v.array(storedSourceSchema),
});
export type StoredCamera = v.InferOutput<typeof storedCameraSchema>;

/**
 * A source as written through the API. Omitted credentials keep what is stored, null clears them.
 * `has_credentials` is accepted so a client may send back what it read.
 */
export const sourceInputSchema = v.strictObject({
  id: v.optional(slugSchema),
  role: v.optional(v.picklist(ROLES), 'main'),
  label: v.optional(v.pipe(v.string(), v.maxLength(120))),
  url: rtspUrl,
  username: v.optional(v.nullable(credential)),
  password: v.optional(v.nullable(credential)),
  publish: v.optional(v.boolean(), true),
  has_credentials: v.optional(v.boolean()),
});
export type SourceInput = v.InferOutput<typeof sourceInputSchema>;

export const cameraInputSchema = v.strictObject({
  id: v.optional(slugSchema),
  name: v.pipe(v.string(), v.trim(), v.minLength(1, 'must not be empty'), v.maxLength(120)),
  sources: v.optional(v.pipe(v.array(sourceInputSchema), v.maxLength(16)), []),
});
export type CameraInput = v.InferOutput<typeof cameraInputSchema>;

export interface PublicSource {
  id: string;
  role: StoredSource['role'];
  label: string;
  url: string;
  publish: boolean;
  has_credentials: boolean;
  publication_id: string;
}
export interface PublicCamera {
  id: string;
  name: string;
  sources: PublicSource[];
}
