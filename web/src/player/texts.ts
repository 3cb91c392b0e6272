/** Server codes (blocked reasons, plan warnings) to translated text; unknown codes show as sent. */
import { player } from '../i18n/player.js';
import type { T } from '../i18n/use-t.js';

type PlayerKey = keyof typeof player.en;
const isPlayerKey = (k: string): k is PlayerKey => k in player.en;

export function blockedText(t: T, reason: string): string {
  const key = `player.blocked.${reason}`;
  return isPlayerKey(key) ? t(key) : reason;
}

/** Plan warnings read `code: explanation`; a known code gets the translated explanation. */
export function warningText(t: T, warning: string): string {
  const key = `player.warning.${warning.split(':', 1)[0]}`;
  return isPlayerKey(key) ? t(key) : warning;
}
