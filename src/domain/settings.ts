import * as v from 'valibot';
import { storedCameraSchema } from './camera.js';
import { liveViewSchema } from './live-view.js';
import { pipelineSchema } from './pipeline.js';
import { peerInputSchema, peerSchema } from './peers.js';
import { publicationSchema, serverIdSchema } from './publication.js';
import { transmissionSchema } from './transmission.js';

const port = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535));
const secret = v.pipe(v.string(), v.minLength(8), v.maxLength(256));
const int = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

/**
 * Tunables of the streaming runtime. Every field has a default so a document written by an older
 * version loads with the newer fields filled in.
 */
export const streamingSettingsSchema = v.object({
  server_id: v.optional(serverIdSchema, 'local'),
  engine: v.optional(
    v.object({
      auto_start: v.optional(v.boolean(), true),
      allow_download: v.optional(v.boolean(), false),
      rtsp_port: v.optional(port, 8554),
      hls_port: v.optional(port, 8888),
      webrtc_port: v.optional(port, 8889),
      webrtc_udp_port: v.optional(port, 8555),
      api_port: v.optional(port, 9997),
    }),
    {},
  ),
  lan_reader: v.optional(
    v.object({
      username: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]{1,64}$/)), 'viewer'),
      password: v.optional(v.nullable(secret), null),
    }),
    {},
  ),
  demand: v.optional(v.object({ debounce_s: v.optional(int(0, 3600), 15) }), {}),
  writers: v.optional(
    v.object({
      sticky_window_ms: v.optional(int(0, 60_000), 2000),
      stale_after_ms: v.optional(int(100, 60_000), 3000),
    }),
    {},
  ),
  api_token: v.optional(v.nullable(secret), null),
  jsmpeg: v.optional(
    v.object({
      enabled: v.optional(v.boolean(), true),
      max_sessions: v.optional(int(0, 64), 8),
      max_sessions_per_transmission: v.optional(int(0, 16), 2),
      width: v.optional(int(160, 1920), 640),
      fps: v.optional(int(1, 30), 10),
    }),
    {},
  ),
  mse: v.optional(v.object({ enabled: v.optional(v.boolean(), true), allow_download: v.optional(v.boolean(), false) }), {}),
  still: v.optional(v.object({ cache_ms: v.optional(int(0, 60_000), 2000) }), {}),
  /** Other instances that host transmissions (`host_server_id`) for this one, or this one for them. */
  peers: v.optional(v.array(peerSchema), []),
});
export type StreamingSettings = v.InferOutput<typeof streamingSettingsSchema>;

export const SCHEMA_VERSION = 1;

/** A Home Assistant config entry (a Generic Camera) this add-on created, kept so it can offer to remove it. */
const homeAssistantEntrySchema = v.object({
  entry_id: v.string(),
  publication_id: v.string(),
  title: v.string(),
  created_at: v.string(),
});
export type HomeAssistantEntry = v.InferOutput<typeof homeAssistantEntrySchema>;

export const settingsDocSchema = v.object({
  schema_version: v.literal(SCHEMA_VERSION),
  revision: v.pipe(v.number(), v.integer(), v.minValue(0)),
  updated_at: v.string(),
  cameras: v.array(storedCameraSchema),
  publications: v.array(publicationSchema),
  pipelines: v.array(pipelineSchema),
  transmissions: v.array(transmissionSchema),
  live_views: v.array(liveViewSchema),
  streaming: v.optional(streamingSettingsSchema, {}),
  home_assistant: v.optional(v.object({ entries: v.optional(v.array(homeAssistantEntrySchema), []) }), {}),
});
export type SettingsDoc = v.InferOutput<typeof settingsDocSchema>;

/** The parts of the document the reconciler reads and writes. */
export type ControlPlane = Pick<SettingsDoc, 'cameras' | 'publications' | 'pipelines' | 'transmissions' | 'live_views' | 'streaming'>;

export function emptyDoc(): SettingsDoc {
  return v.parse(settingsDocSchema, {
    schema_version: SCHEMA_VERSION,
    revision: 0,
    updated_at: new Date(0).toISOString(),
    cameras: [],
    publications: [],
    pipelines: [],
    transmissions: [],
    live_views: [],
  });
}

/** PATCH body: any subset of the tunables; unknown keys are refused so a typo is named. */
export const streamingSettingsPatchSchema = v.strictObject({
  server_id: v.optional(serverIdSchema),
  engine: v.optional(
    v.strictObject({
      auto_start: v.optional(v.boolean()),
      allow_download: v.optional(v.boolean()),
      rtsp_port: v.optional(port),
      hls_port: v.optional(port),
      webrtc_port: v.optional(port),
      webrtc_udp_port: v.optional(port),
      api_port: v.optional(port),
    }),
  ),
  lan_reader: v.optional(
    v.strictObject({
      username: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, "_", "." or "-"'))),
      password: v.optional(secret),
    }),
  ),
  demand: v.optional(v.strictObject({ debounce_s: v.optional(int(0, 3600)) })),
  writers: v.optional(v.strictObject({ sticky_window_ms: v.optional(int(0, 60_000)), stale_after_ms: v.optional(int(100, 60_000)) })),
  api_token: v.optional(secret),
  jsmpeg: v.optional(
    v.strictObject({
      enabled: v.optional(v.boolean()),
      max_sessions: v.optional(int(0, 64)),
      max_sessions_per_transmission: v.optional(int(0, 16)),
      width: v.optional(int(160, 1920)),
      fps: v.optional(int(1, 30)),
    }),
  ),
  mse: v.optional(v.strictObject({ enabled: v.optional(v.boolean()), allow_download: v.optional(v.boolean()) })),
  still: v.optional(v.strictObject({ cache_ms: v.optional(int(0, 60_000)) })),
  /** The whole list: peers left out are removed. */
  peers: v.optional(v.pipe(v.array(peerInputSchema), v.maxLength(16))),
});
export type StreamingSettingsPatch = v.InferOutput<typeof streamingSettingsPatchSchema>;
