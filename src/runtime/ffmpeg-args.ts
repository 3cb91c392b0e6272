/** FFmpeg command lines of the runtime, as argv arrays. Pure, so each one is checked by a table test. */

export interface EncodeOptions {
  width: number | null;
  height: number | null;
  fps: number | null;
  codec: 'h264' | 'h265';
  bitrateKbps: number | null;
}

const COMMON = ['-hide_banner', '-loglevel', 'warning', '-nostats', '-nostdin'];
/**
 * Inputs whose codec is known up front (forced MJPEG, or RTSP whose SDP names it) need no probing:
 * FFmpeg's default probe would hold the first frame back for seconds (5 MB or 5 s).
 */
const NO_PROBE = ['-probesize', '32', '-analyzeduration', '0'];

/** Contain: scale down to fit, then pad with black to the exact size (no stretching, no cropping). */
export function videoFilter({ width, height, fps }: Pick<EncodeOptions, 'width' | 'height' | 'fps'>): string {
  const parts: string[] = [];
  if (fps !== null) parts.push(`fps=${fps}`);
  if (width !== null && height !== null) {
    parts.push(`scale=${width}:${height}:force_original_aspect_ratio=decrease`, `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:color=black`);
  } else if (width !== null || height !== null) {
    parts.push(`scale=${width ?? -2}:${height ?? -2}`);
  }
  parts.push('format=yuv420p');
  return parts.join(',');
}

function encoder({ codec, fps, bitrateKbps }: EncodeOptions): string[] {
  // A keyframe every two seconds: HLS segments and late joiners start quickly without a huge bitrate.
  const gop = String(Math.max(1, Math.round((fps ?? 15) * 2)));
  const rate = bitrateKbps !== null ? ['-b:v', `${bitrateKbps}k`, '-maxrate', `${bitrateKbps}k`, '-bufsize', `${bitrateKbps * 2}k`] : [];
  const codecArgs =
    codec === 'h265'
      ? ['-c:v', 'libx265', '-preset', 'veryfast', '-tune', 'zerolatency', '-x265-params', `keyint=${gop}:min-keyint=${gop}:scenecut=0:log-level=warning`, '-tag:v', 'hvc1']
      : ['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-g', gop, '-keyint_min', gop, '-sc_threshold', '0'];
  return [...codecArgs, ...rate];
}

const rtspOut = (url: string) => ['-f', 'rtsp', '-rtsp_transport', 'tcp', url];

/**
 * Reads an engine path and publishes it at another size, rate or codec into another path. The
 * camera's AAC or Opus sound is copied along when `copyAudio` (browsers decode both; the `?` keeps a
 * camera that stopped sending audio playing), any other audio is left out.
 */
export function transcodeArgs(input: string, output: string, enc: EncodeOptions & { copyAudio?: boolean }): string[] {
  const audio = enc.copyAudio ? ['-map', '0:v:0', '-map', '0:a:0?', '-c:a', 'copy'] : ['-an'];
  return [...COMMON, ...NO_PROBE, '-rtsp_transport', 'tcp', '-i', input, ...audio, '-vf', videoFilter(enc), ...encoder(enc), ...rtspOut(output)];
}

/**
 * Encodes JPEG frames written to stdin as they arrive: arrival time is the timestamp and the fps
 * filter makes the output a constant rate (repeating or dropping frames), whatever writers send.
 * Error level only: JPEG's full-range pixels make swscale warn once per frame.
 */
export function writerPublisherArgs(output: string, enc: EncodeOptions & { fps: number; width: number; height: number }): string[] {
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostats',
    ...NO_PROBE,
    '-use_wallclock_as_timestamps',
    '1',
    '-f',
    'image2pipe',
    '-c:v',
    'mjpeg',
    '-i',
    'pipe:0',
    '-an',
    '-vf',
    videoFilter(enc),
    ...encoder(enc),
    ...rtspOut(output),
  ];
}

/** Concatenated JPEGs on stdout: what the in-process frame sources split and push into the registry. */
const JPEG_FRAMES_OUT = ['-q:v', '5', '-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1'];

/**
 * An FFmpeg input: a URL with nothing secret in it (the engine's loopback paths), or an ffconcat file
 * (mode 0600, see secret-input.ts) holding a camera's own URL. A command line is world-readable
 * (`ps`, /proc/<pid>/cmdline) and FFmpeg 5.1's RTSP demuxer takes credentials only inside the URL.
 */
export type FfmpegInput = { url: string } | { ffconcat: string };

/**
 * What a camera read through an ffconcat file may open: the file itself and RTSP(S) with its
 * transports. The concat demuxer passes this whitelist on to the RTSP input it opens.
 */
const CAMERA_PROTOCOLS = 'file,rtsp,rtsps,tcp,udp,rtp,srtp,tls';

/**
 * A URL as an ffconcat token: single-quoted (nothing is special inside quotes), each `'` written as
 * `'\''` (close, escaped quote, reopen), as FFmpeg's `av_get_token` reads it. The script is read line
 * by line and as C strings, so CR, LF and NUL cannot be carried: they are percent-encoded (a valid URL
 * never holds them raw, so nothing meaningful changes).
 */
export function ffconcatQuote(url: string): string {
  const oneLine = url.replace(/[\0\r\n]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
  return `'${oneLine.replaceAll("'", "'\\''")}'`;
}

/**
 * The ffconcat script of one live camera: its URL, then the RTSP demuxer's options (the `option`
 * directive applies them to that input: over TCP, and no probing, as for every other input here).
 */
export function cameraFfconcat(url: string): string {
  return ['ffconcat version 1.0', `file ${ffconcatQuote(url)}`, 'option rtsp_transport tcp', 'option probesize 32', 'option analyzeduration 0', ''].join('\n');
}

function inputArgs(input: FfmpegInput): string[] {
  if ('ffconcat' in input) return ['-f', 'concat', '-safe', '0', '-protocol_whitelist', CAMERA_PROTOCOLS, '-i', input.ffconcat];
  return [...(input.url.startsWith('rtsp') ? ['-rtsp_transport', 'tcp'] : []), '-i', input.url];
}

/** Decodes a camera (through the engine, or directly when it is missing) into JPEG frames at a low rate on stdout. */
export function frameDecoderArgs(input: FfmpegInput, fps: number, width: number): string[] {
  return [...COMMON, ...NO_PROBE, ...inputArgs(input), '-an', '-vf', `fps=${fps},scale='min(${width},iw)':-2`, ...JPEG_FRAMES_OUT];
}

/**
 * Renders a lavfi graph into JPEG frames on stdout in real time (`-re`: lavfi would otherwise
 * generate as fast as the CPU allows). Error level only, as the writer publisher: the full-range
 * JPEG pixel format makes swscale warn on every frame.
 */
export function generatedFramesArgs(graph: string): string[] {
  return ['-hide_banner', '-loglevel', 'error', '-nostats', '-nostdin', '-re', '-f', 'lavfi', '-i', graph, '-an', ...JPEG_FRAMES_OUT];
}
