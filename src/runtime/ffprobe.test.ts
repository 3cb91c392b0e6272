import { describe, expect, it } from 'vitest';
import { ffprobeArgs, frameRate, parseFfprobe, probeError, probeFfconcat } from './ffprobe.js';

const out = (...streams: unknown[]) => JSON.stringify({ streams });
const h264 = { index: 0, codec_name: 'h264', profile: 'Constrained Baseline', codec_type: 'video', width: 640, height: 360, r_frame_rate: '15/1', avg_frame_rate: '15/1' };
const hevc = { index: 0, codec_name: 'hevc', profile: 'Main', codec_type: 'video', width: 1920, height: 1080, r_frame_rate: '25/1', avg_frame_rate: '0/0' };
const aac = { index: 1, codec_name: 'aac', profile: 'LC', codec_type: 'audio', sample_rate: '48000', channels: 1, r_frame_rate: '0/0', avg_frame_rate: '0/0' };
const opus = { index: 1, codec_name: 'opus', codec_type: 'audio', sample_rate: '48000', channels: 2 };

describe('parseFfprobe: ffprobe -show_streams JSON → facts', () => {
  it.each([
    {
      name: 'H.264 + AAC (the GStreamer camera)',
      stdout: out(h264, aac),
      facts: { error: null, video: { codec: 'h264', profile: 'Constrained Baseline', width: 640, height: 360, fps: 15 }, audio: { codec: 'aac', sample_rate: 48000, channels: 1 } },
    },
    {
      name: 'hevc is spelled h265; avg_frame_rate 0/0 falls back to r_frame_rate',
      stdout: out(hevc, opus),
      facts: { error: null, video: { codec: 'h265', profile: 'Main', width: 1920, height: 1080, fps: 25 }, audio: { codec: 'opus', sample_rate: 48000, channels: 2 } },
    },
    {
      name: 'NTSC rate, no audio, MJPEG without a profile',
      stdout: out({ codec_type: 'video', codec_name: 'mjpeg', profile: 'unknown', width: 1280, height: 720, avg_frame_rate: '30000/1001' }),
      facts: { error: null, video: { codec: 'mjpeg', profile: null, width: 1280, height: 720, fps: 29.97 }, audio: null },
    },
    {
      name: 'the first of each kind counts (a second video track, data streams, an unnamed codec are skipped)',
      stdout: out({ codec_type: 'data', codec_name: 'onvif' }, { codec_type: 'video' }, h264, { ...hevc, index: 2 }, { ...opus, index: 3 }, aac),
      facts: { error: null, video: { codec: 'h264', profile: 'Constrained Baseline', width: 640, height: 360, fps: 15 }, audio: { codec: 'opus', sample_rate: 48000, channels: 2 } },
    },
    {
      name: 'out-of-range or missing numbers are null, never a wrong figure',
      stdout: out(
        { codec_type: 'video', codec_name: 'h264', width: 0, height: 99999, avg_frame_rate: '90000/0', r_frame_rate: 'x' },
        { codec_type: 'audio', codec_name: 'pcm_mulaw', sample_rate: '8000.5', channels: -1 },
      ),
      facts: { error: null, video: { codec: 'h264', profile: null, width: null, height: null, fps: null }, audio: { codec: 'pcm_mulaw', sample_rate: null, channels: null } },
    },
    { name: 'audio only: not a video stream, the audio kept', stdout: out(aac), facts: { error: 'not a video stream', video: null, audio: { codec: 'aac', sample_rate: 48000, channels: 1 } } },
    { name: 'no streams', stdout: out(), facts: { error: 'not a video stream', video: null, audio: null } },
    { name: 'empty output', stdout: '', facts: { error: 'the stream could not be read', video: null, audio: null } },
    { name: 'not JSON', stdout: '[rtsp @ 0x1] something', facts: { error: 'the stream could not be read', video: null, audio: null } },
    { name: 'JSON without streams', stdout: '{"format":{}}', facts: { error: 'the stream could not be read', video: null, audio: null } },
    { name: 'streams that are not objects', stdout: '{"streams":[null,1,"x"]}', facts: { error: 'not a video stream', video: null, audio: null } },
  ])('$name', ({ stdout, facts }) => {
    expect(parseFfprobe(stdout)).toEqual(facts);
  });

  it.each([
    ['15/1', 15],
    ['30000/1001', 29.97],
    ['25/2', 12.5],
    ['0/0', null],
    ['1/0', null],
    ['2000/1', null],
    ['15', null],
    [15, null],
  ] as const)('frame rate %j → %j', (raw, fps) => {
    expect(frameRate(raw)).toBe(fps);
  });
});

describe('probeError: a failed run in plain words, never the stderr itself', () => {
  const secretLine = "[concat @ 0x1] Impossible to open 'rtsp://admin:hunter2@192.0.2.1/x'";
  it.each([
    { stderr: ['[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized', secretLine], timedOut: false, via: 'camera', error: 'the camera refused the user name or password' },
    { stderr: ['Server returned 403 Forbidden (access denied)'], timedOut: false, via: 'camera', error: 'the camera refused access to this stream' },
    { stderr: ['method DESCRIBE failed: 404 Not Found'], timedOut: false, via: 'camera', error: 'the camera has no stream at this address (check the path)' },
    { stderr: ['x.ffconcat: Connection refused'], timedOut: false, via: 'camera', error: 'the camera refused the connection (check the address and port)' },
    { stderr: ['Failed to resolve hostname cam.invalid: Name or service not known'], timedOut: false, via: 'camera', error: 'the camera’s host name could not be found' },
    { stderr: ['x.ffconcat: Connection timed out'], timedOut: false, via: 'camera', error: 'no answer from the camera' },
    { stderr: [], timedOut: true, via: 'camera', error: 'no answer from the camera' },
    { stderr: ['x: Invalid data found when processing input'], timedOut: false, via: 'camera', error: 'not a video stream' },
    { stderr: [secretLine], timedOut: false, via: 'camera', error: 'the stream could not be read' },
    // Through the engine: the engine's 404/400 for a camera it could not pull says nothing of the camera's cause.
    { stderr: ['method DESCRIBE failed: 404 Not Found'], timedOut: false, via: 'engine', error: 'no picture from the camera through the engine (see the engine’s log for the camera’s answer)' },
    { stderr: ['method DESCRIBE failed: 400 Bad Request'], timedOut: false, via: 'engine', error: 'no picture from the camera through the engine (see the engine’s log for the camera’s answer)' },
    { stderr: [], timedOut: true, via: 'engine', error: 'no picture from the camera through the engine (see the engine’s log for the camera’s answer)' },
    { stderr: ['Invalid data found when processing input'], timedOut: false, via: 'engine', error: 'not a video stream' },
  ] as const)('$via $stderr (timed out: $timedOut) → $error', ({ stderr, timedOut, via, error }) => {
    const said = probeError(stderr, timedOut, via);
    expect(said).toBe(error);
    expect(said).not.toContain('hunter2');
  });
});

describe('ffprobe arguments', () => {
  it('the engine path: RTSP over TCP with a socket timeout in µs, JSON streams', () => {
    expect(ffprobeArgs({ url: 'rtsp://127.0.0.1:8554/cam/front/main' })).toEqual([
      '-hide_banner',
      '-v',
      'error',
      '-print_format',
      'json',
      '-show_streams',
      '-rtsp_transport',
      'tcp',
      '-timeout',
      '8000000',
      '-i',
      'rtsp://127.0.0.1:8554/cam/front/main',
    ]);
  });

  it('the camera itself: only the 0600 file on the command line; the URL and the RTSP options inside it', () => {
    const args = ffprobeArgs({ ffconcat: '/data/runtime/streaming/probe-inputs/x.ffconcat' });
    expect(args.slice(-8)).toEqual(['-f', 'concat', '-safe', '0', '-protocol_whitelist', expect.stringContaining('rtsp'), '-i', '/data/runtime/streaming/probe-inputs/x.ffconcat']);
    expect(probeFfconcat("rtsp://u:p'w@192.0.2.1:554/s")).toBe("ffconcat version 1.0\nfile 'rtsp://u:p'\\''w@192.0.2.1:554/s'\noption rtsp_transport tcp\noption timeout 8000000\n");
    // The RTSP demuxer's options would make another input refuse to open.
    expect(probeFfconcat('http://192.0.2.1/video.mjpg')).toBe("ffconcat version 1.0\nfile 'http://192.0.2.1/video.mjpg'\n");
  });
});
