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
