/**
 * Answers of the Home Assistant routes, as plain types with no imports: the panel (web/) imports
 * them too, so the browser code and the server cannot drift apart.
 */

/** One request made to Home Assistant, as reported back (never a body: Home Assistant echoes the stream URL). */
export interface ProvisionStep {
  step: string;
  request: string;
  status: number | null;
  result: string;
}

export interface ProvisionReport {
  publication_id: string;
  flow_id: string;
  entry_id: string;
  title: string;
  steps: ProvisionStep[];
  warnings: string[];
}

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

/** One camera of `GET /api/streams/home-assistant/cameras`. */
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
  still_image_url: string | null;
  /** The Home Assistant config entry created for it, if any. */
  entry: HaEntry | null;
}

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
