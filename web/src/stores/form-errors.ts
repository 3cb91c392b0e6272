import { ApiFailure } from '../api/client.js';
import { errorMessage } from './store.js';

/**
 * What a failed save shows: messages next to the fields the server named, and one message for the
 * whole form when the failure names no field the form has (a 409 on a generated artifact, a
 * network error).
 */
export interface FormErrors {
  fields: Readonly<Record<string, string>>;
  general: string | null;
}

export const NO_ERRORS: FormErrors = { fields: {}, general: null };

/**
 * `resolve` maps the server's field path (`sources.0.url`) to the key of the form field that shows
 * it, or null when the form has no such field. The server prefixes messages with the field path;
 * next to that field the prefix is noise, so it is dropped.
 */
export function toFormErrors(err: unknown, resolve: (field: string) => string | null): FormErrors {
  if (!(err instanceof ApiFailure)) return { fields: {}, general: errorMessage(err) };
  const key = err.field === null ? null : resolve(err.field);
  if (key === null) return { fields: {}, general: err.message };
  const prefix = `${err.field}: `;
  return { fields: { [key]: err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message }, general: null };
}

/**
 * A server error under a list of rows (`sources`, `outputs`): `sources.3.url` shows at that field
 * when the row has it, else at the row `sources.3` (a clashing row id has no field of its own);
 * null for another path.
 */
export function rowErrorField(field: string, list: string, rowFields: ReadonlySet<string>): string | null {
  const m = new RegExp(`^${list}\\.(\\d+)(?:\\.(.+))?$`).exec(field);
  if (!m) return null;
  const row = `${list}.${Number(m[1])}`;
  return rowFields.has(m[2] ?? '') ? `${row}.${m[2]}` : row;
}
