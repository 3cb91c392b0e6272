/**
 * Strings that are not well-formed Unicode hold a lone UTF-16 surrogate: JSON can carry one
 * (`"\ud800"`), but it has no UTF-8 spelling, so `encodeURIComponent`, URLs, files read by other
 * programs and the engines cannot. (`String.prototype.isWellFormed` does the same test; the
 * project's TypeScript lib, ES2023, does not declare it.)
 */
const LONE_SURROGATE = /\p{Cs}/u; // in `u` mode a surrogate pair is one code point and does not match

export const isWellFormed = (s: string): boolean => !LONE_SURROGATE.test(s);

/** A string or key in a JSON value that is not well-formed: its dot path ('' for the value itself); a key is named by the object holding it. */
export interface IllFormed {
  path: string;
  key: boolean;
}

/** The first `max` ill-formed strings and keys of a JSON value, in document order; iterative, so any depth is fine. */
export function illFormed(value: unknown, max = Infinity): IllFormed[] {
  const found: IllFormed[] = [];
  const stack: [unknown, string][] = [[value, '']];
  const join = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);
  while (stack.length > 0 && found.length < max) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (!isWellFormed(v)) found.push({ path, key: false });
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], join(path, String(i))]);
    } else if (v !== null && typeof v === 'object') {
      const all = Object.keys(v);
      const keys = all.filter(isWellFormed);
      if (keys.length < all.length) found.push({ path, key: true });
      for (let i = keys.length - 1; i >= 0; i--) stack.push([(v as Record<string, unknown>)[keys[i]!], join(path, keys[i]!)]);
    }
  }
  return found;
}

/** What is wrong, for a message: `<field>: ...`. */
export const illFormedMessage = (f: IllFormed) => (f.key ? 'holds a key that is not well-formed Unicode (a lone UTF-16 surrogate)' : 'not well-formed Unicode (a lone UTF-16 surrogate)');
