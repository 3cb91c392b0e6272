/**
 * What the HTTP API answers, as the UI reads it: the one module web/ may import, and only with
 * `import type` (the bundle keeps nothing of it). Every type is the server's own, re-exported or
 * derived from the service that answers, so the panel and the server cannot drift apart. Types
 * only: nothing here exists at run time.
 */
import type * as v from 'valibot';
import type { cameraInputSchema, PublicCamera, sourceInputSchema } from '../domain/camera.js';
import type { GeneratedMeta } from '../domain/generated.js';
import type { Role } from '../domain/ids.js';
import type { CameraLiveView, Variant } from '../domain/live-view.js';
import type { HostingConflict } from '../domain/hosting.js';
import type { Pipeline } from '../domain/pipeline.js';
import type { Output, Transmission } from '../domain/transmission.js';
import type { PeerSync } from '../control/peer-sync.js';
import type { PipelineOwnership } from '../control/pipelines.js';
import type { SettingsView } from '../control/settings.js';
import type { EngineStatus } from '../engine/engine.js';
import type { PlaybackEventInput, PlaybackEventKind } from '../playback/events.js';
import type { Client, Context, PlayerTransport } from '../playback/plan.js';
import type { PeerLinkState } from '../playback/remote/peer-links.js';
import type { PlaybackService } from '../playback/service.js';
import type { RuntimeService } from '../runtime/service.js';
import type { SidecarStatus } from '../sidecar/manager.js';

/** `GET api/cameras` (a list), `POST`/`PUT api/cameras/{id}`: credentials reduced to `has_credentials`. */
export type { PublicCamera as Camera, Role };
/** The `POST`/`PUT api/cameras` body: an omitted credential keeps the stored one, null clears it. */
export type CameraBody = v.InferInput<typeof cameraInputSchema>;
export type SourceBody = v.InferInput<typeof sourceInputSchema>;
/** `POST api/cameras/{id}/sources/{source_id}/probe`: the facts stored on the source (`probe.error` set, still 200, when the stream could not be read). */
export type { ProbeAnswer as SourceProbeAnswer } from '../control/probe.js';
export type { SourceProbe } from '../domain/source-facts.js';

/** `POST api/cameras/discover` and `GET api/cameras/discover/{scan_id}`; `POST api/cameras/onvif/import` with `dry_run` (the preview). */
export type { DiscoveredDevice, DiscoveryScan, OnvifImportPreview } from '../onvif/service.js';

/** `GET api/streams/live-views`. */
export type { CameraLiveView as LiveView, Variant as LiveViewVariant };

/** `GET api/streams/transmissions` (a list), `POST`/`PUT api/streams/transmissions/{id}`. */
export type { GeneratedMeta, Transmission };
export type Codec = Output['codec'];

/** `GET api/streams/runtime/health`: one entry per transmission. */
export type TransmissionHealth = ReturnType<RuntimeService['health']>[number];

/** `GET api/streams/runtime/pipelines`: one entry per pipeline. */
export type { PipelineOwnership };

/** `POST api/streams/wizard/create-pipeline`: the pipeline made. */
export type { Pipeline };

/** `GET api/streams/transmissions/{id}/urls`. */
export type ResolvedUrls = Awaited<ReturnType<PlaybackService['urls']>>;
export type ResolvedUrl = ResolvedUrls['urls'][number];

/** `GET api/streams/transmissions/{id}/playback-plan?client=&context=`. */
export type PlaybackPlan = Awaited<ReturnType<PlaybackService['plan']>>;
export type PlanTransport = PlaybackPlan['transports'][number];
export type { Client as PlanClient, Context as PlayContext, PlayerTransport as Transport };

/** `POST api/streams/runtime/playback-events`: the body (one event or a list), as the server validates it. */
export type { PlaybackEventInput, PlaybackEventKind };

/** `GET api/streams/engine/status` and every engine action (`POST api/streams/engine/{start|stop|restart|download}`). */
export type { EngineStatus };

/** `GET api/streams/mse/status` and every go2rtc action (`POST api/streams/mse/{start|stop|restart|download}`). */
export type { SidecarStatus };

/** `GET`/`PATCH api/streams/settings`: secrets reduced to `has_password` / `has_api_token`. */
export type { SettingsView };

/** One peer of `GET api/streams/distributed/status`: what this server pulled from it to host for it (`error` in words, never a secret). */
export type PeerPullStatus = ReturnType<PeerSync['status']>[number];

/** `GET api/streams/distributed/status`: what was pulled from each peer; whether each peer answers as a host; pulled transmissions not run here, and why. */
export interface DistributedStatus {
  peers: PeerPullStatus[];
  /** Absent from servers that do not check their hosts. */
  hosts?: PeerLinkState[];
  conflicts?: HostingConflict[];
}
/** `reachable` null: not called yet. */
export type { PeerLinkState as HostReachability, HostingConflict };

/** `GET api/streams/addon`: how this server runs (add-on or not) and whether Home Assistant answers; no secret, a token's presence only. */
export interface AddonStatus {
  mode: 'dev' | 'addon';
  ingress: { enforced: boolean; trusted_peers: string[]; prefix_seen: string | null };
  direct_port: { enabled: boolean; port: number | null };
  supervisor: { url: string; token_present: boolean };
  home_assistant_api: { reachable: boolean; status: number | null; reason: string | null };
  addon_host: { host: string; source: 'supervisor' | 'fallback' };
  options: { path: string | null; loaded: boolean; overrides: string[] };
}

// The Home Assistant routes (src/addon/) answer with the types below; they live here, below the
// add-on adapter that imports them, because the core's contract must not import the adapter.

/** One request made to Home Assistant, as reported back (never a body: Home Assistant echoes the stream URL). */
export interface ProvisionStep {
  step: string;
  request: string;
  status: number | null;
  result: string;
}

/** `POST api/streams/home-assistant/cameras/{publication_id}/provision`. */
export interface ProvisionReport {
  publication_id: string;
  flow_id: string;
  entry_id: string;
  title: string;
  steps: ProvisionStep[];
  warnings: string[];
}

/** `DELETE api/streams/home-assistant/cameras/entries/{entry_id}`. */
export interface RemovalReport {
  entry_id: string;
  publication_id: string;
  /** Home Assistant no longer knew the entry (removed by hand); it is forgotten here all the same. */
  already_removed: boolean;
  require_restart: boolean;
  steps: ProvisionStep[];
}

/** A config entry this add-on created (the settings document keeps them: src/domain/settings.ts). */
export interface HaEntry {
  entry_id: string;
  publication_id: string;
  title: string;
  created_at: string;
}

/** One camera of `GET api/streams/home-assistant/cameras`. */
export interface HaCamera {
  /** Stable across restarts: this server and the publication. */
  unique_id: string;
  publication_id: string;
  live_view_id: string;
  camera_id: string | null;
  name: string;
  role: string;
  label: string;
  transmission_id: string;
  output_id: string;
  engine_path: string;
  /** RTSP with the LAN reader's credentials, never a camera's. */
  stream_source: string;
  /** Which engine Home Assistant reads: this server's (`local`), the peer's that hosts it (`host`), or this server's relay of the peer's (`relay`, when the peer is on loopback). */
  stream_via: 'local' | 'host' | 'relay';
  still_image_url: string | null;
  /** The Home Assistant config entry created for it, if any. */
  entry: HaEntry | null;
}

/** `GET api/streams/home-assistant/cameras`. */
export interface HaCameraList {
  addon_host: string;
  addon_host_source: 'supervisor' | 'fallback';
  rtsp_port: number;
  direct_port: number | null;
  reader: { username: string; has_password: boolean };
  cameras: HaCamera[];
  /** Entries created for publications that are gone or hidden: the offer to remove them. */
  orphaned_entries: (HaEntry & { remove_url: string })[];
  warnings: string[];
}
