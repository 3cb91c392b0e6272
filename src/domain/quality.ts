import * as v from 'valibot';

/** Built-in quality profiles a publication may name instead of spelling out size and rate. */
export const QUALITY_PROFILES: Record<string, { width: number; height: number; fps: number }> = {
  sd: { width: 640, height: 360, fps: 10 },
  hd: { width: 1280, height: 720, fps: 15 },
  fhd: { width: 1920, height: 1080, fps: 20 },
};

export const QUALITY_PROFILE_IDS = Object.keys(QUALITY_PROFILES) as [string, ...string[]];

/** A publication's quality: a named profile, explicit fields, or both (explicit fields win). */
export const qualityPolicySchema = v.strictObject({
  profile_id: v.optional(v.picklist(QUALITY_PROFILE_IDS)),
  width: v.optional(v.pipe(v.number(), v.integer(), v.minValue(16), v.maxValue(7680))),
  height: v.optional(v.pipe(v.number(), v.integer(), v.minValue(16), v.maxValue(4320))),
  fps: v.optional(v.pipe(v.number(), v.minValue(1), v.maxValue(60))),
  bitrate_kbps: v.optional(v.pipe(v.number(), v.integer(), v.minValue(64), v.maxValue(50_000))),
});
export type QualityPolicy = v.InferOutput<typeof qualityPolicySchema>;

export interface ResolvedQuality {
  width: number | null;
  height: number | null;
  fps: number | null;
  bitrate_kbps: number | null;
}

/** Explicit fields win over the named profile; nulls mean "as the source delivers". */
export function resolveQuality(policy: QualityPolicy): ResolvedQuality {
  const profile = policy.profile_id ? QUALITY_PROFILES[policy.profile_id] : undefined;
  return {
    width: policy.width ?? profile?.width ?? null,
    height: policy.height ?? profile?.height ?? null,
    fps: policy.fps ?? profile?.fps ?? null,
    bitrate_kbps: policy.bitrate_kbps ?? null,
  };
}
