/**
 * Just enough ISO BMFF (fragmented MP4) to split FFmpeg's output the way go2rtc sends MSE data
 * (one init segment = ftyp+moov, then one moof+mdat per fragment), to read the H.264 codec string
 * from `avcC`, and to tell whether a fragment starts with a sync sample. Test infrastructure.
 */

export interface Box {
  type: string;
  /** Offset of the box header in the buffer it was read from. */
  start: number;
  /** Offset of the payload (after the header). */
  payload: number;
  end: number;
}

/** Header of the box at `offset`, or null when the buffer does not hold the whole box yet. */
function readBoxHeader(buf: Buffer, offset: number): { type: string; size: number; header: number } | null {
  if (buf.length - offset < 8) return null;
  let size = buf.readUInt32BE(offset);
  const type = buf.toString('latin1', offset + 4, offset + 8);
  let header = 8;
  if (size === 1) {
    if (buf.length - offset < 16) return null;
    const big = buf.readBigUInt64BE(offset + 8);
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`box ${type} too large`);
    size = Number(big);
    header = 16;
  } else if (size === 0) {
    throw new Error(`box ${type} extends to the end of the stream: not supported in a live stream`);
  }
  if (size < header) throw new Error(`box ${type} has an invalid size ${size}`);
  return { type, size, header };
}

/** Top-level (or child) boxes of a complete buffer; throws on a truncated or malformed one. */
export function listBoxes(buf: Buffer, from = 0, to = buf.length): Box[] {
  const out: Box[] = [];
  let offset = from;
  while (offset < to) {
    const h = readBoxHeader(buf.subarray(0, to), offset);
    if (!h) throw new Error(`truncated box header at ${offset}`);
    if (offset + h.size > to) throw new Error(`box ${h.type} at ${offset} overruns its parent (${h.size} bytes)`);
    out.push({ type: h.type, start: offset, payload: offset + h.header, end: offset + h.size });
    offset += h.size;
  }
  return out;
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'mvex', 'moof', 'traf', 'edts', 'dinf']);

/** The first box with this path of types (e.g. `['moov','mvex','trex']`), searching containers only. */
function findBox(buf: Buffer, path: readonly string[], from = 0, to = buf.length): Box | null {
  const [head, ...rest] = path;
  for (const b of listBoxes(buf, from, to)) {
    if (b.type !== head) continue;
    if (rest.length === 0) return b;
    if (!CONTAINERS.has(b.type)) continue;
    const found = findBox(buf, rest, b.payload, b.end);
    if (found) return found;
  }
  return null;
}

/**
 * Incremental splitter for FFmpeg's fragmented MP4 on stdout: `onInit(ftyp+moov)` once, then
 * `onFragment(moof+mdat)` per fragment. Other top-level boxes (styp, sidx, mfra) are skipped.
 */
export class Fmp4Splitter {
  private pending: Buffer = Buffer.alloc(0);
  private initParts: Buffer[] = [];
  private initDone = false;
  private moof: Buffer | null = null;

  constructor(
    private readonly onInit: (init: Buffer) => void,
    private readonly onFragment: (fragment: Buffer) => void,
    private readonly maxBox = 64 * 1024 * 1024,
  ) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let offset = 0;
    for (;;) {
      const h = readBoxHeader(this.pending, offset);
      if (!h) break;
      if (h.size > this.maxBox) throw new Error(`box ${h.type} of ${h.size} bytes is larger than ${this.maxBox}`);
      if (this.pending.length - offset < h.size) break;
      const box = Buffer.from(this.pending.subarray(offset, offset + h.size));
      offset += h.size;
      this.box(h.type, box);
    }
    this.pending = offset === 0 ? this.pending : Buffer.from(this.pending.subarray(offset));
  }

  private box(type: string, box: Buffer): void {
    if (!this.initDone) {
      if (type === 'ftyp' || type === 'moov') this.initParts.push(box);
      if (type === 'moov') {
        this.initDone = true;
        this.onInit(Buffer.concat(this.initParts));
        this.initParts = [];
      }
      return;
    }
    if (type === 'moof') this.moof = box;
    else if (type === 'mdat' && this.moof) {
      this.onFragment(Buffer.concat([this.moof, box]));
      this.moof = null;
    }
  }
}

/** `avc1.PPCCLL` from the init segment's `avcC` (profile, compatibility, level), as go2rtc builds it from the SDP. */
export function avcCodecString(init: Buffer): string | null {
  const at = init.indexOf('avcC', 0, 'latin1');
  if (at < 0 || at + 8 > init.length) return null;
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return `avc1.${hex(init[at + 5]!)}${hex(init[at + 6]!)}${hex(init[at + 7]!)}`;
}

/** `trex.default_sample_flags` of the init segment (0 when absent). */
export function trexDefaultFlags(init: Buffer): number {
  const trex = findBox(init, ['moov', 'mvex', 'trex']);
  if (!trex || trex.end - trex.payload < 24) return 0;
  return init.readUInt32BE(trex.payload + 20);
}

/**
 * Whether the first sample of a moof+mdat fragment is a sync sample (a keyframe): first-sample
 * flags of `trun`, else its per-sample flags, else `tfhd`'s defaults, else `trex`'s.
 */
export function fragmentStartsWithKeyframe(fragment: Buffer, trexFlags = 0): boolean {
  const moof = listBoxes(fragment)[0];
  if (moof?.type !== 'moof') throw new Error('fragment does not start with moof');
  const tfhd = findBox(fragment, ['traf', 'tfhd'], moof.payload, moof.end);
  const trun = findBox(fragment, ['traf', 'trun'], moof.payload, moof.end);
  if (!tfhd || !trun) throw new Error('moof without traf/tfhd/trun');
  let flags = trexFlags;
  const tfFlags = fragment.readUInt32BE(tfhd.payload) & 0xffffff;
  let p = tfhd.payload + 8;
  if (tfFlags & 0x1) p += 8;
  if (tfFlags & 0x2) p += 4;
  if (tfFlags & 0x8) p += 4;
  if (tfFlags & 0x10) p += 4;
  if (tfFlags & 0x20) flags = fragment.readUInt32BE(p);
  const trFlags = fragment.readUInt32BE(trun.payload) & 0xffffff;
  let q = trun.payload + 8;
  if (trFlags & 0x1) q += 4;
  if (trFlags & 0x4) flags = fragment.readUInt32BE(q);
  else if (trFlags & 0x400) {
    let s = q;
    if (trFlags & 0x100) s += 4;
    if (trFlags & 0x200) s += 4;
    flags = fragment.readUInt32BE(s);
  }
  return ((flags >>> 16) & 1) === 0;
}
