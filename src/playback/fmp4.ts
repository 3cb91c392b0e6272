/**
 * Just enough fragmented MP4 (ISO BMFF) for the MSE relay to drop whole fragments for a slow viewer
 * and resume at a keyframe: which tracks of the init segment are video, and whether a moof+mdat
 * fragment is a video keyframe, a video delta frame or something else (audio). go2rtc v1.9.14
 * writes one moof+mdat per RTP frame with one traf; its sample flags are in `trun`'s per-sample
 * flags (`pkg/iso`): keyframes and audio both carry depends-on-none, delta frames non-sync. So a
 * fragment is told by its track's handler (`vide`) first, then its first sample's flags.
 */

interface Box {
  type: string;
  payload: number;
  end: number;
}

/** Child boxes of `[from, to)`; null when malformed (a relay never throws on go2rtc's bytes). */
function boxes(buf: Buffer, from: number, to: number): Box[] | null {
  const out: Box[] = [];
  let at = from;
  while (at < to) {
    if (to - at < 8) return null;
    let size = buf.readUInt32BE(at);
    let header = 8;
    if (size === 1) {
      if (to - at < 16) return null;
      size = Number(buf.readBigUInt64BE(at + 8));
      header = 16;
    }
    if (size < header || at + size > to) return null;
    out.push({ type: buf.toString('latin1', at + 4, at + 8), payload: at + header, end: at + size });
    at += size;
  }
  return out;
}

const child = (buf: Buffer, parent: Box, type: string): Box | null => boxes(buf, parent.payload, parent.end)?.find((b) => b.type === type) ?? null;

function path(buf: Buffer, parent: Box, types: readonly string[]): Box | null {
  let cur: Box | null = parent;
  for (const t of types) {
    if (!cur) return null;
    cur = child(buf, cur, t);
  }
  return cur;
}

export interface InitInfo {
  /** track_ID → whether it is a video track. */
  video: Map<number, boolean>;
  /** track_ID → `trex.default_sample_flags`. */
  defaults: Map<number, number>;
}

/** The tracks of an init segment (ftyp+moov); null when it is not one. */
export function parseInit(init: Buffer): InitInfo | null {
  const top = boxes(init, 0, init.length);
  const moov = top?.find((b) => b.type === 'moov');
  if (!moov) return null;
  const info: InitInfo = { video: new Map(), defaults: new Map() };
  for (const b of boxes(init, moov.payload, moov.end) ?? []) {
    if (b.type === 'trak') {
      const tkhd = child(init, b, 'tkhd');
      const hdlr = path(init, b, ['mdia', 'hdlr']);
      if (!tkhd || !hdlr || hdlr.end - hdlr.payload < 12) continue;
      const version = init.readUInt8(tkhd.payload);
      const idAt = tkhd.payload + (version === 1 ? 20 : 12);
      if (idAt + 4 > tkhd.end) continue;
      info.video.set(init.readUInt32BE(idAt), init.toString('latin1', hdlr.payload + 8, hdlr.payload + 12) === 'vide');
    } else if (b.type === 'mvex') {
      for (const trex of boxes(init, b.payload, b.end) ?? []) {
        if (trex.type === 'trex' && trex.end - trex.payload >= 24) info.defaults.set(init.readUInt32BE(trex.payload + 4), init.readUInt32BE(trex.payload + 20));
      }
    }
  }
  return info.video.size > 0 ? info : null;
}

/**
 * `key`: a video fragment whose first sample is a sync sample (a decoder can start here);
 * `delta`: a video fragment that needs earlier frames; `other`: audio, or not a moof we can read.
 */
export function fragmentKind(fragment: Buffer, init: InitInfo): 'key' | 'delta' | 'other' {
  const moof = boxes(fragment, 0, fragment.length)?.[0];
  if (moof?.type !== 'moof') return 'other';
  const traf = child(fragment, moof, 'traf');
  const tfhd = traf && child(fragment, traf, 'tfhd');
  const trun = traf && child(fragment, traf, 'trun');
  if (!tfhd || !trun || tfhd.end - tfhd.payload < 8 || trun.end - trun.payload < 8) return 'other';
  const trackId = fragment.readUInt32BE(tfhd.payload + 4);
  if (init.video.get(trackId) !== true) return 'other';
  let flags = init.defaults.get(trackId) ?? 0;
  const tf = fragment.readUInt32BE(tfhd.payload) & 0xffffff;
  let p = tfhd.payload + 8;
  if (tf & 0x1) p += 8;
  if (tf & 0x2) p += 4;
  if (tf & 0x8) p += 4;
  if (tf & 0x10) p += 4;
  if (tf & 0x20 && p + 4 <= tfhd.end) flags = fragment.readUInt32BE(p);
  const tr = fragment.readUInt32BE(trun.payload) & 0xffffff;
  let q = trun.payload + 8;
  if (tr & 0x1) q += 4;
  if (tr & 0x4) {
    if (q + 4 <= trun.end) flags = fragment.readUInt32BE(q);
  } else if (tr & 0x400) {
    let s = q;
    if (tr & 0x100) s += 4;
    if (tr & 0x200) s += 4;
    if (s + 4 <= trun.end) flags = fragment.readUInt32BE(s);
  }
  return (flags & 0x10000) === 0 ? 'key' : 'delta';
}
