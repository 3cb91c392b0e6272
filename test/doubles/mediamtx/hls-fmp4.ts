/**
 * The fMP4 side of the MediaMTX double's HLS plane: gohlslib v2.4.3's muxer for `hlsVariant:
 * lowLatency` and `fmp4` (MediaMTX v1.20.1), fed by fragmented MP4 that real FFmpeg writes.
 *
 * FFmpeg writes `-f mp4 -movflags empty_moov+default_base_moof+frag_keyframe -frag_duration <part>`
 * to a pipe: ftyp+moov is the init segment, every moof+mdat a fragment that starts at a keyframe or
 * after one part duration. Each fragment is one part (gohlslib cuts parts the same way), a segment is
 * the concatenation of its parts and starts at an independent part once the segment before lasted
 * `hlsSegmentDuration`. Names, playlist layout and blocking rules are gohlslib's (see README.md).
 */

/** One MP4 box of a buffer: type, payload start and end. */
interface Box {
  type: string;
  start: number;
  end: number;
}

function* boxes(buf: Buffer, start = 0, end = buf.length): Generator<Box> {
  let at = start;
  while (at + 8 <= end) {
    let size = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    let header = 8;
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(at + 8));
      header = 16;
    }
    if (size < header || at + size > end) return;
    yield { type, start: at + header, end: at + size };
    at += size;
  }
}

const child = (buf: Buffer, parent: Box | { start: number; end: number }, path: string[]): Box | null => {
  let cur: Box | { start: number; end: number } | null = parent;
  for (const t of path) {
    let found: Box | null = null;
    for (const b of boxes(buf, cur.start, cur.end)) if (b.type === t) found = b;
    if (!found) return null;
    cur = found;
  }
  return cur as Box;
};

export interface InitInfo {
  timescale: number;
  width: number;
  height: number;
  /** RFC 6381 codec string as gohlslib writes it (avc1.PPCCLL, hvc1.P.C.Ll.CC). */
  codec: string;
  /** FFmpeg's name of the codec (h264, hevc). */
  name: string;
}

function reverse32(v: number): number {
  let o = 0;
  for (let i = 0; i < 32; i++) if (v & (1 << (31 - i))) o |= 1 << i;
  return o >>> 0;
}

/** Timescale, size and codec of the first track of an init segment (ftyp+moov). */
export function parseInit(init: Buffer): InitInfo | null {
  const moov = [...boxes(init)].find((b) => b.type === 'moov');
  if (!moov) return null;
  const trak = child(init, moov, ['trak']);
  const mdhd = trak && child(init, trak, ['mdia', 'mdhd']);
  const tkhd = trak && child(init, trak, ['tkhd']);
  const stsd = trak && child(init, trak, ['mdia', 'minf', 'stbl', 'stsd']);
  if (!mdhd || !tkhd || !stsd) return null;
  const timescale = init.readUInt32BE(mdhd.start + (init[mdhd.start] === 1 ? 20 : 12));
  const width = init.readUInt32BE(tkhd.end - 8) >>> 16;
  const height = init.readUInt32BE(tkhd.end - 4) >>> 16;
  // stsd: version/flags, entry count, then the sample entry (78 bytes of visual sample entry before its boxes).
  const entry = [...boxes(init, stsd.start + 8, stsd.end)][0];
  if (!entry) return null;
  if (entry.type === 'Opus') return { timescale, width: 0, height: 0, name: 'opus', codec: 'opus' };
  if (entry.type === 'mp4a') return { timescale, width: 0, height: 0, name: 'aac', codec: 'mp4a.40.2' };
  const inner = [...boxes(init, entry.start + 78, entry.end)];
  const hex = (b: number) => b.toString(16).padStart(2, '0');
  const avcC = inner.find((b) => b.type === 'avcC');
  if (avcC) return { timescale, width, height, name: 'h264', codec: `avc1.${hex(init[avcC.start + 1]!)}${hex(init[avcC.start + 2]!)}${hex(init[avcC.start + 3]!)}` };
  const hvcC = inner.find((b) => b.type === 'hvcC');
  if (hvcC) {
    const s = hvcC.start;
    const b1 = init[s + 1]!;
    const constraints = [...init.subarray(s + 6, s + 12)];
    while (constraints.length > 1 && constraints[constraints.length - 1] === 0) constraints.pop();
    const codec = `hvc1.${b1 & 0x1f}.${reverse32(init.readUInt32BE(s + 2)).toString(16)}.${b1 & 0x20 ? 'H' : 'L'}${init[s + 12]!}.${constraints.map((c) => c.toString(16)).join('.')}`;
    return { timescale, width, height, name: 'hevc', codec };
  }
  return { timescale, width, height, name: entry.type, codec: entry.type };
}

export interface Fragment {
  bytes: Buffer;
  /** tfdt's base media decode time, in the track's timescale. */
  baseTime: number;
  /** Its first sample is a sync sample (a keyframe). */
  independent: boolean;
}

/** Decode time and first-sample sync flag of a moof (first traf). */
function parseMoof(buf: Buffer, moof: Box): { baseTime: number; independent: boolean } {
  const traf = child(buf, moof, ['traf']);
  const tfdt = traf && child(buf, traf, ['tfdt']);
  const tfhd = traf && child(buf, traf, ['tfhd']);
  const trun = traf && child(buf, traf, ['trun']);
  let baseTime = 0;
  if (tfdt) baseTime = buf[tfdt.start] === 1 ? Number(buf.readBigUInt64BE(tfdt.start + 4)) : buf.readUInt32BE(tfdt.start + 4);
  let flags: number | null = null;
  if (trun) {
    const tf = buf.readUInt32BE(trun.start) & 0xffffff;
    let at = trun.start + 8 + (tf & 0x1 ? 4 : 0);
    if (tf & 0x4) flags = buf.readUInt32BE(at);
    else if (tf & 0x400) {
      at += (tf & 0x4 ? 4 : 0) + (tf & 0x100 ? 4 : 0) + (tf & 0x200 ? 4 : 0);
      flags = buf.readUInt32BE(at);
    }
  }
  if (flags === null && tfhd) {
    const hf = buf.readUInt32BE(tfhd.start) & 0xffffff;
    if (hf & 0x20) {
      const at = tfhd.start + 8 + (hf & 0x1 ? 8 : 0) + (hf & 0x2 ? 4 : 0) + (hf & 0x8 ? 4 : 0) + (hf & 0x10 ? 4 : 0);
      flags = buf.readUInt32BE(at);
    }
  }
  // sample_is_non_sync_sample (bit 16); without any flags every sample is a sync sample.
  return { baseTime, independent: flags === null || (flags & 0x10000) === 0 };
}

/** Splits FFmpeg's fragmented MP4 stream into the init segment and moof+mdat fragments. */
export function createFmp4Splitter(onInit: (init: Buffer) => void, onFragment: (f: Fragment) => void) {
  let pending: Buffer = Buffer.alloc(0);
  let head: Buffer[] = [];
  let moof: Buffer | null = null;
  return (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      if (pending.length < 8) return;
      let size = pending.readUInt32BE(0);
      if (size === 1) {
        if (pending.length < 16) return;
        size = Number(pending.readBigUInt64BE(8));
      }
      if (size < 8 || pending.length < size) return;
      const box = pending.subarray(0, size);
      pending = pending.subarray(size);
      const type = box.toString('latin1', 4, 8);
      if (type === 'ftyp') head = [Buffer.from(box)];
      else if (type === 'moov') onInit(Buffer.concat([...head, box]));
      else if (type === 'moof') moof = Buffer.from(box);
      else if (type === 'mdat' && moof) {
        const info = parseMoof(moof, { type: 'moof', start: 8, end: moof.length });
        onFragment({ bytes: Buffer.concat([moof, box]), ...info });
        moof = null;
      }
    }
  };
}

export interface MuxPart {
  id: number;
  name: string;
  bytes: Buffer;
  durationS: number;
  independent: boolean;
}

interface MuxSegment {
  /** null for the initial gaps of Low-Latency HLS (`#EXT-X-GAP`, `gap.mp4`). */
  id: number | null;
  name: string;
  parts: MuxPart[];
  durationS: number;
  startedAt: number;
  size: number;
}

export interface Fmp4MuxerOptions {
  /** gohlslib's stream id: `video1` (the leading stream), `audio2` (an audio rendition). */
  streamId: string;
  /**
   * For a rendition: the leading stream. gohlslib rotates every stream's segments (and takes their
   * target durations) from the leading one; a rendition's own fragments are its parts.
   */
  leader?: Fmp4Muxer;
  lowLatency: boolean;
  segmentCount: number;
  segmentMinS: number;
  prefix: string;
  timescale: number;
  now?: () => number;
}

/** gohlslib's muxer stream for one track, fed fragment by fragment. */
export function createFmp4Muxer(o: Fmp4MuxerOptions) {
  const followers: Fmp4Muxer[] = [];
  const now = o.now ?? Date.now;
  const segments: MuxSegment[] = [];
  // Low-Latency HLS starts at segment 7: seven gaps go in front of the first one (iOS wants them).
  let nextSegmentId = o.lowLatency ? 7 : 0;
  let nextPartId = 0;
  let deleted = 0;
  let open: { id: number; parts: MuxPart[]; startedAt: number } | null = null;
  let last: Fragment | null = null;
  let targetDuration = 0;
  let partTarget = 0;
  const files = new Map<string, Buffer>();

  const segmentName = (id: number) => `${o.prefix}_${o.streamId}_seg${id}.mp4`;
  const partName = (id: number) => `${o.prefix}_${o.streamId}_part${id}.mp4`;

  function closeSegment(seg: { id: number; parts: MuxPart[]; startedAt: number }) {
    const bytes = Buffer.concat(seg.parts.map((p) => p.bytes));
    const durationS = seg.parts.reduce((a, p) => a + p.durationS, 0);
    const done: MuxSegment = { id: seg.id, name: segmentName(seg.id), parts: seg.parts, durationS, startedAt: seg.startedAt, size: bytes.length };
    if (o.lowLatency && segments.length === 0) {
      for (let i = 0; i < 7; i++) segments.push({ id: null, name: 'gap.mp4', parts: [], durationS, startedAt: seg.startedAt, size: 0 });
    }
    segments.push(done);
    files.set(done.name, bytes);
    if (segments.length > o.segmentCount) {
      const gone = segments.shift()!;
      if (gone.id !== null) {
        files.delete(gone.name);
        for (const p of gone.parts) files.delete(p.name);
      }
      deleted++;
    }
    targetDuration = Math.max(targetDuration, ...segments.map((s) => Math.round(s.durationS)));
  }

  /** The leading stream opened its first segment, or cut one: a rendition does the same. */
  function rotate() {
    if (open) {
      closeSegment(open);
      nextSegmentId++;
    }
    open = { id: nextSegmentId, parts: [], startedAt: now() };
  }

  /** A fragment arrived: the one before it is now a finished part (its duration is known). */
  function push(f: Fragment): boolean {
    const prev = last;
    last = f;
    if (!prev) return false;
    // The muxer starts at a keyframe, like gohlslib waiting for an IDR; a rendition when its leader does.
    if (!open) {
      if (o.leader || !prev.independent) return false;
      open = { id: nextSegmentId, parts: [], startedAt: now() };
      for (const f of followers) f.rotate();
    }
    const part: MuxPart = { id: nextPartId, name: partName(nextPartId), bytes: prev.bytes, durationS: (f.baseTime - prev.baseTime) / o.timescale, independent: prev.independent };
    nextPartId++;
    open.parts.push(part);
    if (o.lowLatency) files.set(part.name, part.bytes);
    partTarget = Math.max(...[...segments.flatMap((s) => s.parts), ...open.parts].map((p) => Math.ceil(p.durationS * 1000) / 1000));
    const openDuration = open.parts.reduce((a, p) => a + p.durationS, 0);
    if (!o.leader && f.independent && openDuration >= o.segmentMinS) {
      rotate();
      for (const x of followers) x.rotate();
    }
    return true;
  }

  const hasContent = () => segments.filter((s) => s.id !== null).length >= (o.lowLatency ? 1 : 2);

  /** gohlslib's hasPart: the part exists (a part index past a segment's last means the next segment's first). */
  function hasPart(msn: number, part: number): boolean {
    if (msn === open?.id) return part < open.parts.length;
    for (const s of segments) {
      if (s.id === null || s.id !== msn) continue;
      if (part < s.parts.length) return true;
      msn++;
      part = 0;
    }
    return false;
  }

  /** Whether `_HLS_msn` is out of the window gohlslib accepts (400 at once). */
  const msnRefused = (msn: number) => msn > nextSegmentId + 1 || msn < nextSegmentId - (segments.length - 1);

  const f5 = (n: number) => n.toFixed(5);
  const iso = (ms: number) => {
    const s = new Date(ms).toISOString();
    return s.replace(/\.?0+Z$/, 'Z').replace(/\.Z$/, 'Z');
  };

  function mediaPlaylist(rawQuery: string, skip: boolean): string {
    const q = rawQuery !== '' ? `?${rawQuery}` : '';
    const { targetDuration, partTarget } = o.leader?.targets() ?? targets();
    const skipBoundary = targetDuration * 6;
    let out = `#EXTM3U\n#EXT-X-VERSION:10\n#EXT-X-TARGETDURATION:${targetDuration}\n`;
    if (o.lowLatency) {
      out += `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${f5(Math.floor(partTarget * 25_000) / 10_000)},CAN-SKIP-UNTIL=${f5(skipBoundary)}\n`;
      out += `#EXT-X-PART-INF:PART-TARGET=${f5(partTarget)}\n`;
    }
    out += `#EXT-X-MEDIA-SEQUENCE:${deleted}\n`;
    let skipped = 0;
    if (!skip) out += `#EXT-X-MAP:URI="${o.prefix}_${o.streamId}_init.mp4${q}"\n`;
    else {
      let cur = 0;
      let shown = 0;
      for (const s of segments) {
        cur += s.durationS;
        if (cur >= skipBoundary) break;
        shown++;
      }
      skipped = segments.length - shown;
      out += `#EXT-X-SKIP:SKIPPED-SEGMENTS=${skipped}\n`;
    }
    segments.forEach((s, i) => {
      if (i < skipped) return;
      if (s.id === null) {
        out += `#EXT-X-GAP\n#EXTINF:${f5(s.durationS)},\ngap.mp4\n`;
        return;
      }
      const recent = segments.length - i <= 2;
      if (recent) out += `#EXT-X-PROGRAM-DATE-TIME:${iso(s.startedAt)}\n`;
      if (o.lowLatency && recent) for (const p of s.parts) out += partLine(p, q);
      out += `#EXTINF:${f5(s.durationS)},\n${s.name}${q}\n`;
    });
    if (o.lowLatency) {
      for (const p of open?.parts ?? []) out += partLine(p, q);
      out += `#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${partName(nextPartId)}${q}"\n`;
    }
    return out;
  }

  const partLine = (p: MuxPart, q: string) => `#EXT-X-PART:DURATION=${f5(p.durationS)},URI="${p.name}${q}"${p.independent ? ',INDEPENDENT=YES' : ''}\n`;

  function targets() {
    return { targetDuration, partTarget };
  }

  const self = {
    push,
    rotate,
    targets,
    /** Renditions whose segments this (leading) stream rotates. */
    follow: (x: Fmp4Muxer) => void followers.push(x),
    hasContent,
    hasPart,
    msnRefused,
    mediaPlaylist,
    /** The listed segments (gaps included). */
    segments: () => segments,
    /** A registered file (init, segment or part), else null. */
    file: (name: string) => files.get(name) ?? null,
    setInit: (init: Buffer) => files.set(`${o.prefix}_${o.streamId}_init.mp4`, init),
    /** The preload hint's part: the next one to be finished. */
    isHint: (name: string) => o.lowLatency && name === partName(nextPartId),
    /** A part id from its name, if it is one of this muxer's. */
    partId: (name: string): number | null => {
      const m = new RegExp(`^${o.prefix}_${o.streamId}_part(\\d+)\\.mp4$`).exec(name);
      return m ? Number(m[1]) : null;
    },
    nextPartId: () => nextPartId,
  };
  return self;
}

export interface Fmp4Muxer {
  push(f: Fragment): boolean;
  rotate(): void;
  targets(): { targetDuration: number; partTarget: number };
  follow(x: Fmp4Muxer): void;
  hasContent(): boolean;
  hasPart(msn: number, part: number): boolean;
  msnRefused(msn: number): boolean;
  mediaPlaylist(rawQuery: string, skip: boolean): string;
  segments(): MuxSegment[];
  file(name: string): Buffer | null;
  setInit(init: Buffer): void;
  isHint(name: string): boolean;
  partId(name: string): number | null;
  nextPartId(): number;
}
