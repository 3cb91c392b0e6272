/**
 * The engine path-name rule, the one place it is written: MediaMTX path names (v1.20.1
 * `conf.IsValidPathName`) as this server uses them: segments of letters, digits, `_`, `.` and `-`
 * joined by single `/`, no leading or trailing `/`, no `.` or `..` segment. Regular-expression names
 * (`~...`) and `all_others` are never managed by this server.
 */
const SEGMENT = '(?!\\.{1,2}(?:/|$))[A-Za-z0-9_.-]+';
export const ENGINE_PATH_RE = new RegExp(`^${SEGMENT}(?:/${SEGMENT})*$`);

/** Why `name` is not an engine path, in MediaMTX's own words; null when it is one. */
export function pathNameError(name: string): string | null {
  if (ENGINE_PATH_RE.test(name)) return null;
  if (name === '') return 'cannot be empty';
  if (name.startsWith('/')) return "can't begin with a slash";
  if (name.endsWith('/')) return "can't end with a slash";
  if (!/^[0-9a-zA-Z_\-/.]+$/.test(name)) return 'can contain only alphanumeric characters, underscore, dot, minus, slash';
  if (name.split('/').some((s) => s === '.' || s === '..')) return "can't contain dot path segments";
  // What the rule refuses beyond the above: a `//`.
  return "can't contain empty segments";
}
