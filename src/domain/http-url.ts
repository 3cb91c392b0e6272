/** An http:// or https:// URL without credentials in it (and, when `bare`, without query or fragment). */
export function isPlainHttpUrl(s: string, { bare = false }: { bare?: boolean } = {}): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '' && (!bare || (u.search === '' && u.hash === ''));
  } catch {
    return false;
  }
}
