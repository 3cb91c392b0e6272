/** A WebSocket close reason cut to the protocol's 123 bytes. */
export function clipReason(reason: string): string {
  let r = reason;
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -1);
  return r;
}
