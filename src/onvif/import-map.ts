import { uniqueId, type Role } from '../domain/ids.js';
import type { OnvifProfile } from './device.js';

export type RoledProfile = OnvifProfile & { role: Role };

/** A camera source made from a profile, as the camera service takes it (credentials added by the import). */
export interface ImportedSource {
  id: string;
  role: Role;
  label: string;
  url: string;
  publish: boolean;
  snapshot_url: string | null;
  onvif_profile: string;
}

const area = (p: OnvifProfile) => (p.width ?? 0) * (p.height ?? 0);

/**
 * Profiles to sources: largest picture first (width × height). The largest is `main`; the smallest
 * is `sub` when it is smaller than the largest (two profiles of one size are no main/sub pair); the
 * rest are `custom`. `main` and `sub` are published, `custom` not. A profile whose stream URI another
 * (larger) profile already has is left out: the same stream twice would be two connections to one
 * camera stream.
 */
export function planImport(found: readonly OnvifProfile[]): { profiles: RoledProfile[]; sources: ImportedSource[] } {
  const urls = new Set<string>();
  const sorted = [...found]
    .sort((a, b) => area(b) - area(a))
    .filter((p) => {
      if (urls.has(p.stream_url)) return false;
      urls.add(p.stream_url);
      return true;
    });
  const last = sorted.length - 1;
  const profiles = sorted.map((p, i): RoledProfile => ({ ...p, role: i === 0 ? 'main' : i === last && area(p) < area(sorted[0]!) ? 'sub' : 'custom' }));
  const taken = new Set<string>();
  const sources = profiles.map((p): ImportedSource => {
    const id = uniqueId(p.role, taken);
    taken.add(id);
    return { id, role: p.role, label: p.name.slice(0, 120), url: p.stream_url, publish: p.role !== 'custom', snapshot_url: p.snapshot_url, onvif_profile: p.token };
  });
  return { profiles, sources };
}
