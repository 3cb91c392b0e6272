/**
 * The hardening suites run short in CI and long under `npm run soak` (TOPOSYNC_SOAK=1). One place
 * decides how much each suite does and which seed a fuzz run uses, so a soak failure can be replayed.
 */
export const SOAK = process.env.TOPOSYNC_SOAK === '1';

/** `ci` iterations in the normal run, `soak` under `npm run soak`; `TOPOSYNC_SOAK_SCALE` multiplies the soak figure. */
export function scale(ci: number, soak: number): number {
  if (!SOAK) return ci;
  const factor = Number(process.env.TOPOSYNC_SOAK_SCALE ?? 1);
  return Math.max(ci, Math.round(soak * (Number.isFinite(factor) && factor > 0 ? factor : 1)));
}

/** A fixed seed in CI (repeatable); a random one under soak unless TOPOSYNC_SEED replays one. Printed either way. */
export function seedFor(suite: string): number {
  const given = process.env.TOPOSYNC_SEED;
  const seed = given !== undefined ? Number(given) : SOAK ? (Math.random() * 2 ** 31) | 0 : 20261205;
  console.log(`[${suite}] seed ${seed} (replay with TOPOSYNC_SEED=${seed})`);
  return seed;
}

/** A test's time limit: generous under soak, where a suite runs for minutes. */
export const suiteTimeout = (ciMs: number, soakMs: number): number => (SOAK ? soakMs : ciMs);
