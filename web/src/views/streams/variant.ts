import type { LiveViewVariant, PlayContext, Role } from '../../../../src/api/contract.js';

/**
 * Roles a context prefers, best first (the reference's defaults): small tiles take the low-resolution
 * source, a view that fills the screen takes the main one, PTZ takes the zoom lens. When none of
 * them is published the first variant plays, so a camera with only custom sources still shows.
 * Diagnostics ask for the smallest public variant, which is `sub` where there is one.
 */
const PREFERENCE: Record<PlayContext, readonly Role[]> = {
  grid: ['sub', 'main'],
  thumbnail: ['sub', 'main'],
  pip: ['sub', 'main'],
  diagnostics: ['sub', 'main'],
  large: ['main'],
  fullscreen: ['main'],
  ptz: ['zoom', 'main', 'sub'],
};

export function defaultVariant<V extends Pick<LiveViewVariant, 'role'>>(variants: readonly V[], context: PlayContext): V | null {
  for (const role of PREFERENCE[context]) {
    const v = variants.find((x) => x.role === role);
    if (v) return v;
  }
  return variants[0] ?? null;
}

/** The user's pick wins in every context while it is still published; otherwise the context's default. */
export function resolveVariant<V extends Pick<LiveViewVariant, 'role' | 'publication_id'>>(variants: readonly V[], context: PlayContext, chosen: string | undefined): V | null {
  return variants.find((v) => v.publication_id === chosen) ?? defaultVariant(variants, context);
}
