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

/** Largest accepted side: 8K (7680x4320) fits, and FFmpeg's image size limit is far above 8192x8192. */
export const JPEG_MAX_SIDE = 8192;

export type JpegCheck = { ok: true; width: number; height: number; progressive: boolean } | { ok: false; code: 'not_jpeg' | 'invalid_jpeg'; reason: string };

interface Component {
  id: number;
  tq: number;
}

const refuse = (reason: string): JpegCheck => ({ ok: false, code: 'invalid_jpeg', reason });

/**
 * Structural check of one complete JPEG, for frames that writers push: what passes is cut into one
 * frame by FFmpeg's MJPEG parser and decodes to a picture. The parser finds frames by their markers
 * and skips marker segments by their lengths, so one garbled length or stray marker can make it
 * swallow the frames that follow (the JSMpeg encoder then outputs nothing at all); hence the walk:
 * SOI; marker segments whose lengths and contents hold together (DQT, DHT, DRI, APPn, COM); exactly
 * one baseline, extended or progressive frame header (SOF0/1/2) with sane dimensions and components;
 * scans (SOS) that name known components and defined tables (Huffman tables may be omitted: MJPEG
 * frames use the standard ones, as FFmpeg does), each followed by entropy-coded data in which FF is
 * only ever stuffed (FF 00) or a restart marker; a scan for every component; and EOI as the very last
 * two bytes. It cannot tell a corrupt entropy stream from a real one (nothing short of decoding can):
 * such a frame decodes to a damaged picture, which keeps the pipeline moving. Pure; the entropy data
 * is scanned with `indexOf` (memchr), so a 1280x720 frame takes microseconds.
 */
export function checkJpeg(buf: Buffer): JpegCheck {
  const n = buf.length;
  if (n < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return { ok: false, code: 'not_jpeg', reason: 'not a JPEG: it must start with the start-of-image marker FF D8' };
  const u16 = (at: number) => (buf[at]! << 8) | buf[at + 1]!;
  let sof: { marker: number; width: number; height: number; components: Component[] } | null = null;
  let quant = 0; // bit t: quantisation table t defined
  const huff = [0b11, 0b11]; // [DC, AC], bit t: Huffman table t usable (0 and 1 are the standard ones)
  let scanned = 0; // bit k: component k has been in a scan
  let restartInterval = false;
  let i = 2;
  for (;;) {
    if (i + 2 > n) return refuse('truncated: no end-of-image marker (FF D9)');
    if (buf[i] !== 0xff) return refuse(`expected a marker at byte ${i}`);
    let m = buf[i + 1]!;
    while (m === 0xff && i + 2 < n) m = buf[++i + 1]!; // fill bytes
    i += 2;
    if (m === 0xd9) {
      if (!sof || scanned === 0) return refuse('no image data before the end-of-image marker');
      if (scanned !== (1 << sof.components.length) - 1) return refuse('a component is in no scan');
      if (i !== n) return refuse(`${n - i} bytes after the end-of-image marker`);
      return { ok: true, width: sof.width, height: sof.height, progressive: sof.marker === 0xc2 };
    }
    if (m === 0xd8) return refuse('a second start-of-image marker');
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) return refuse(`marker FF ${hex(m)} outside entropy-coded data`);
    if (i + 2 > n) return refuse('truncated inside a marker segment');
    const len = u16(i);
    const end = i + len;
    if (len < 2) return refuse(`marker FF ${hex(m)}: segment length ${len}`);
    if (end > n) return refuse(`marker FF ${hex(m)}: segment length ${len} runs past the end (truncated or corrupt)`);
    const body = i + 2;
    if (m === 0xc0 || m === 0xc1 || m === 0xc2) {
      if (sof) return refuse('more than one frame header (SOF)');
      const parsed = frameHeader(buf, body, len, m);
      if (typeof parsed === 'string') return refuse(parsed);
      sof = parsed;
    } else if (m === 0xc4) {
      const err = huffmanTables(buf, body, end, huff);
      if (err) return refuse(err);
    } else if (m === 0xdb) {
      const defined = quantTables(buf, body, end);
      if (typeof defined === 'string') return refuse(defined);
      quant |= defined;
    } else if (m === 0xdd) {
      if (len !== 4) return refuse('restart interval (DRI): length must be 4');
      restartInterval = u16(body) > 0;
    } else if (m === 0xda) {
      if (!sof) return refuse('a scan (SOS) before the frame header (SOF)');
      const covered = scanHeader(buf, body, len, sof, quant, huff);
      if (typeof covered === 'string') return refuse(covered);
      scanned |= covered;
      // Entropy-coded data: FF is followed by 00 (a stuffed byte), a restart marker or more fill bytes.
      let j = end;
      for (;;) {
        const k = buf.indexOf(0xff, j);
        if (k < 0 || k + 1 >= n) return refuse('truncated: entropy-coded data without an end-of-image marker');
        const next = buf[k + 1]!;
        if (next === 0x00) j = k + 2;
        else if (next >= 0xd0 && next <= 0xd7) {
          if (!restartInterval) return refuse('a restart marker without a restart interval (DRI)');
          j = k + 2;
        } else if (next === 0xff) j = k + 1;
        else {
          if (k === end) return refuse('a scan (SOS) without entropy-coded data');
          if (!endsScan(next)) return refuse(`marker FF ${hex(next)} inside entropy-coded data`);
          i = k;
          break;
        }
      }
      continue;
    } else if (m >= 0xc0 && m <= 0xcf) {
      return refuse(`unsupported JPEG coding (marker FF ${hex(m)}): send baseline or progressive JPEG`);
    } else if (!(m >= 0xe0 && m <= 0xef) && m !== 0xfe) {
      return refuse(`unexpected marker FF ${hex(m)}`);
    }
    i = end;
  }
}

/** What may follow a scan: the end of the image, the next scan, or tables and metadata before it. */
const endsScan = (m: number) => m === 0xd9 || m === 0xda || m === 0xc4 || m === 0xdb || m === 0xdd || m === 0xfe || (m >= 0xe0 && m <= 0xef);

const hex = (b: number) => b.toString(16).toUpperCase().padStart(2, '0');

/** SOF0/1/2: precision, size, components (sampling 1..4, quantisation table 0..3, unique ids). */
function frameHeader(buf: Uint8Array, at: number, len: number, marker: number) {
  const nf = buf[at + 5]!;
  if (len !== 8 + 3 * nf) return 'frame header (SOF): length does not match its component count';
  const precision = buf[at]!;
  if (precision !== 8 && !(precision === 12 && marker !== 0xc0)) return `frame header (SOF): ${precision}-bit samples`;
  const height = (buf[at + 1]! << 8) | buf[at + 2]!;
  const width = (buf[at + 3]! << 8) | buf[at + 4]!;
  if (width < 1 || height < 1 || width > JPEG_MAX_SIDE || height > JPEG_MAX_SIDE) return `frame header (SOF): size ${width}x${height} (1..${JPEG_MAX_SIDE} per side)`;
  if (nf !== 1 && nf !== 3 && nf !== 4) return `frame header (SOF): ${nf} components (1, 3 or 4)`;
  const components: Component[] = [];
  for (let c = 0; c < nf; c++) {
    const p = at + 6 + 3 * c;
    const id = buf[p]!;
    const h = buf[p + 1]! >> 4;
    const v = buf[p + 1]! & 15;
    const tq = buf[p + 2]!;
    if (components.some((x) => x.id === id)) return `frame header (SOF): component id ${id} twice`;
    if (h < 1 || h > 4 || v < 1 || v > 4) return `frame header (SOF): component ${id} sampling ${h}x${v}`;
    if (tq > 3) return `frame header (SOF): component ${id} quantisation table ${tq}`;
    components.push({ id, tq });
  }
  return { marker, width, height, components };
}

/** DQT: one or more tables, 8- or 16-bit, no zero entry. Returns the defined tables as bits. */
function quantTables(buf: Uint8Array, at: number, end: number): number | string {
  let defined = 0;
  let p = at;
  while (p < end) {
    const pq = buf[p]! >> 4;
    const tq = buf[p]! & 15;
    if (pq > 1 || tq > 3) return 'quantisation table (DQT): bad precision or table id';
    const size = 64 * (pq + 1);
    if (p + 1 + size > end) return 'quantisation table (DQT): length does not match its tables';
    for (let k = 0; k < 64; k++) {
      const q = pq === 0 ? buf[p + 1 + k]! : (buf[p + 1 + 2 * k]! << 8) | buf[p + 2 + 2 * k]!;
      if (q === 0) return 'quantisation table (DQT): a zero entry';
    }
    defined |= 1 << tq;
    p += 1 + size;
  }
  return defined === 0 ? 'quantisation table (DQT): empty' : defined;
}

/** DHT: one or more tables whose code lengths form a valid prefix code. Marks them usable in `huff`. */
function huffmanTables(buf: Uint8Array, at: number, end: number, huff: number[]): string | null {
  let p = at;
  if (p >= end) return 'Huffman table (DHT): empty';
  while (p < end) {
    const tc = buf[p]! >> 4;
    const th = buf[p]! & 15;
    if (tc > 1 || th > 3) return 'Huffman table (DHT): bad class or table id';
    if (p + 17 > end) return 'Huffman table (DHT): length does not match its tables';
    let total = 0;
    let codes = 0;
    for (let l = 1; l <= 16; l++) {
      const count = buf[p + l]!;
      total += count;
      codes = (codes << 1) + count;
      if (codes > 2 ** l) return 'Huffman table (DHT): more codes than a prefix code allows';
    }
    if (total === 0 || total > 256) return 'Huffman table (DHT): bad symbol count';
    if (p + 17 + total > end) return 'Huffman table (DHT): length does not match its tables';
    if (tc === 0) {
      for (let k = 0; k < total; k++) if (buf[p + 17 + k]! > 15) return 'Huffman table (DHT): a DC symbol above 15';
    }
    huff[tc]! |= 1 << th;
    p += 17 + total;
  }
  return null;
}

/** SOS header: known components with defined tables and a spectral selection the coding allows. Returns the components covered as bits. */
function scanHeader(buf: Uint8Array, at: number, len: number, sof: { marker: number; components: Component[] }, quant: number, huff: number[]): number | string {
  const ns = buf[at]!;
  if (ns < 1 || ns > 4 || len !== 6 + 2 * ns) return 'scan header (SOS): bad component count or length';
  let covered = 0;
  for (let c = 0; c < ns; c++) {
    const id = buf[at + 1 + 2 * c]!;
    const k = sof.components.findIndex((x) => x.id === id);
    if (k < 0) return `scan header (SOS): unknown component ${id}`;
    if (covered & (1 << k)) return `scan header (SOS): component ${id} twice`;
    covered |= 1 << k;
    if (!(quant & (1 << sof.components[k]!.tq))) return `scan header (SOS): component ${id} uses quantisation table ${sof.components[k]!.tq}, which is not defined`;
    const td = buf[at + 2 + 2 * c]! >> 4;
    const ta = buf[at + 2 + 2 * c]! & 15;
    if (td > 3 || !(huff[0]! & (1 << td)) || ta > 3 || !(huff[1]! & (1 << ta))) return `scan header (SOS): component ${id} uses a Huffman table that is not defined`;
  }
  const ss = buf[at + 1 + 2 * ns]!;
  const se = buf[at + 2 + 2 * ns]!;
  const ah = buf[at + 3 + 2 * ns]! >> 4;
  const al = buf[at + 3 + 2 * ns]! & 15;
  if (sof.marker !== 0xc2) {
    if (ss !== 0 || se !== 63 || ah !== 0 || al !== 0) return 'scan header (SOS): a sequential scan must cover coefficients 0..63';
  } else if (ss > se || se > 63 || (ss === 0 && se !== 0) || (ss > 0 && ns !== 1) || ah > 13 || al > 13) {
    return 'scan header (SOS): bad progressive spectral selection';
  }
  return covered;
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
