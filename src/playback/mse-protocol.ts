import type { RawData } from 'ws';

/** The messages of go2rtc's `/api/ws` MSE protocol as the relay reads them (the relay: mse-relay.ts). */

/** Largest WebSocket frame header a server sends (no mask): counted so the cap holds to the byte. */
export const FRAME_HEADER_MAX = 10;
const CODECS_RE = /^[A-Za-z0-9.,_-]{0,512}$/;

/** The `type` and `value` of a go2rtc text message (both null when it is not one). */
export function parseMessage(data: Buffer): { type: unknown; value: unknown } {
  try {
    const m = JSON.parse(data.toString('utf8')) as { type?: unknown; value?: unknown } | null;
    return { type: m?.type ?? null, value: m?.value ?? null };
  } catch {
    return { type: null, value: null };
  }
}

/**
 * go2rtc errors that asking again cannot fix (go2rtc v1.9.14 wording): the browser's codecs do not
 * match the stream, or its source is of an unknown scheme. "stream not found" is not among them: the relay only
 * asks for streams the go2rtc manager has configured, so it means go2rtc is still taking a change in.
 * Every other error before the first answer is a source that cannot be read yet (DESCRIBE 404 from
 * a path with no publisher, go2rtc's 5 s dial timeout while MediaMTX starts an on-demand source).
 */
export const isPermanentError = (value: unknown) => /codecs not matched|unsupported scheme/.test(String(value));

export function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * A browser text message as the relay passes it to go2rtc: only `{"type":"mse","value"?:"<codecs>"}`,
 * re-serialised with nothing else in it; else the reason it is refused.
 */
export function browserRequest(data: RawData): { text: string } | { refused: string } {
  let msg: unknown;
  try {
    msg = JSON.parse(toBuffer(data).toString('utf8'));
  } catch {
    return { refused: 'messages must be JSON' };
  }
  const m = msg as { type?: unknown; value?: unknown };
  if (msg === null || typeof msg !== 'object' || m.type !== 'mse') return { refused: 'only {"type":"mse","value":"<codecs>"} is relayed' };
  if (m.value !== undefined && (typeof m.value !== 'string' || !CODECS_RE.test(m.value))) return { refused: 'mse value must be a comma-separated list of codec names' };
  return { text: JSON.stringify(m.value === undefined ? { type: 'mse' } : { type: 'mse', value: m.value }) };
}
