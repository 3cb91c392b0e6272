/**
 * JPEG framing for FFmpeg's `image2pipe` output: frames are concatenated with no length prefix, so
 * they are cut by walking the marker segments (a table may contain the bytes FF D9) and then the
 * entropy-coded data, where FF is always followed by 00 or a restart marker until EOI.
 */

const isStandalone = (m: number) => m === 0x01 || (m >= 0xd0 && m <= 0xd7);

/** Length of the complete JPEG at the start of `buf`, or 0 when more bytes are needed; -1 when it is not a JPEG. */
export function jpegLength(buf: Buffer): number {
  if (buf.length < 2) return 0;
  if (buf[0] !== 0xff || buf[1] !== 0xd8) return -1;
  let i = 2;
  // Marker segments up to the start of scan.
  for (;;) {
    if (i + 4 > buf.length) return 0;
    if (buf[i] !== 0xff) return -1;
    const marker = buf[i + 1]!;
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    if (isStandalone(marker)) {
      i += 2;
      continue;
    }
    const len = buf.readUInt16BE(i + 2);
    i += 2 + len;
    if (marker === 0xda) break; // SOS: entropy-coded data follows
  }
  // Entropy-coded data (and any further scans of a progressive JPEG) until EOI.
  for (; i + 1 < buf.length; i++) {
    if (buf[i] !== 0xff) continue;
    const next = buf[i + 1]!;
    if (next === 0x00 || next === 0xff || (next >= 0xd0 && next <= 0xd7)) continue;
    if (next === 0xd9) return i + 2;
    // Another marker segment (DHT or SOS of a progressive scan): skip it whole.
    if (i + 4 > buf.length) return 0;
    i += 1 + buf.readUInt16BE(i + 2);
  }
  return 0;
}

/** Feeds stdout chunks in, calls `onFrame` with each complete JPEG; bytes that are not a JPEG are skipped. */
export function createJpegSplitter(onFrame: (jpeg: Buffer) => void, maxFrameBytes = 8 * 1024 * 1024) {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      const len = jpegLength(pending);
      if (len > 0) {
        onFrame(pending.subarray(0, len));
        pending = pending.subarray(len);
        continue;
      }
      if (len < 0) {
        // Resynchronise on the next start-of-image marker.
        const next = pending.indexOf(Buffer.from([0xff, 0xd8]), 1);
        pending = next < 0 ? Buffer.alloc(0) : pending.subarray(next);
        continue;
      }
      if (pending.length > maxFrameBytes) pending = Buffer.alloc(0);
      return;
    }
  };
}

/** Width and height from the first start-of-frame marker, or null. */
export function jpegSize(buf: Buffer): { width: number; height: number } | null {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return null;
  let i = 2;
  while (i + 9 < buf.length) {
    if (buf[i] !== 0xff) return null;
    const marker = buf[i + 1]!;
    if (marker === 0xff) {
      i += 1;
      continue;
    }
    if (isStandalone(marker)) {
      i += 2;
      continue;
    }
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: buf.readUInt16BE(i + 5), width: buf.readUInt16BE(i + 7) };
    }
    if (marker === 0xda) return null;
    i += 2 + buf.readUInt16BE(i + 2);
  }
  return null;
}
