/** The fallback encoder's command line and output size (pure). */

export interface JsmpegEncodeOptions {
  width: number;
  height: number;
  fps: number;
}

/**
 * The fallback encoder (pure). JPEGs in on stdin with wall-clock timestamps (the pump paces them at
 * `fps`, so no fps filter: FFmpeg's fps filter holds frames back, about 0.4 s more before the first
 * byte); the MJPEG demuxer without probing; scaled to fit and padded to the exact output size so a
 * change of input size (placeholder to camera) never changes the stream's size.
 */
export function jsmpegArgs({ width, height, fps }: JsmpegEncodeOptions): string[] {
  const gop = String(Math.max(1, Math.round(fps)));
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostats',
    '-probesize',
    '32',
    '-analyzeduration',
    '0',
    '-use_wallclock_as_timestamps',
    '1',
    '-f',
    'mjpeg',
    '-i',
    'pipe:0',
    '-an',
    '-sn',
    '-dn',
    '-vf',
    `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:color=black,format=yuv420p`,
    '-fps_mode',
    'passthrough',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-profile:v',
    'baseline',
    '-pix_fmt',
    'yuv420p',
    '-g',
    gop,
    '-keyint_min',
    gop,
    '-sc_threshold',
    '0',
    '-bf',
    '0',
    '-crf',
    '26',
    '-maxrate',
    '1500k',
    '-bufsize',
    '1500k',
    '-f',
    'mpegts',
    '-flush_packets',
    '1',
    '-muxdelay',
    '0',
    '-muxpreload',
    '0',
    'pipe:1',
  ];
}

const even = (n: number) => Math.round(n / 2) * 2;

/** Output size: the configured width (made even), the height from the source's aspect ratio (even, 16..4320). */
export function jsmpegOutputSize(width: number, aspect: { width: number; height: number } | null): { width: number; height: number } {
  const w = Math.max(16, even(width));
  const a = aspect && aspect.width > 0 && aspect.height > 0 ? aspect : { width: 16, height: 9 };
  return { width: w, height: Math.min(4320, Math.max(16, even((w * a.height) / a.width))) };
}
