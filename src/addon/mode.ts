export const MODES = ['dev', 'addon'] as const;
export type Mode = (typeof MODES)[number];

/**
 * Add-on mode turns on ingress trust and the Supervisor client. An explicit
 * TOPOSYNC_STREAMING_MODE wins (so the image can be debugged in dev mode, and add-on mode tried
 * without a Supervisor); otherwise the token Supervisor hands every add-on decides.
 */
export function resolveMode(explicit: Mode | undefined, supervisorToken: string | null): Mode {
  return explicit ?? (supervisorToken !== null ? 'addon' : 'dev');
}
