import { createHash, timingSafeEqual } from 'node:crypto';

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time token check: both sides hashed to equal-length digests, so not even the length leaks. */
export function tokenMatches(given: string | null, expected: string | null): boolean {
  if (given === null || expected === null || expected === '') return false;
  return timingSafeEqual(sha256(given), sha256(expected));
}
