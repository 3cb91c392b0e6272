import type { SettingsDoc } from '../domain/settings.js';
import { reconcile, type ReconcileDiff } from '../reconcile/reconcile.js';
import type { SettingsStore } from '../store/settings-store.js';

export interface Committed<T> {
  value: T;
  diff: ReconcileDiff;
  doc: SettingsDoc;
}

/**
 * Applies an edit and reconciles in one serialised store update: either both are stored, or
 * (when `edit` throws) nothing is.
 */
export async function commit<T>(store: SettingsStore, edit: (draft: SettingsDoc) => T): Promise<Committed<T>> {
  const { doc, result } = await store.update((draft) => {
    const value = edit(draft);
    const { plane, diff } = reconcile(draft);
    Object.assign(draft, plane);
    return { value, diff };
  });
  return { value: result.value, diff: result.diff, doc };
}
