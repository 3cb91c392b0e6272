import { execa } from 'execa';

/**
 * An FFmpeg decoder of MPEG-TS fed through `write()` that reports (performance.now()) when its first
 * frame comes out: the same on both sides of a comparison, so only what feeds it differs.
 */
export function firstFrameDecoder() {
  const dec = execa(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-probesize',
      '32',
      '-analyzeduration',
      '0',
      '-f',
      'mpegts',
      '-i',
      'pipe:0',
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'gray',
      '-s',
      '16x16',
      'pipe:1',
    ],
    {
      stdin: 'pipe',
      stdout: 'pipe',
      reject: false,
      buffer: false,
    },
  );
  const firstFrame = new Promise<number>((resolve) => dec.stdout.once('data', () => resolve(performance.now())));
  dec.stdin.on('error', () => undefined);
  return { write: (b: Buffer) => dec.stdin.write(b), firstFrame, stop: () => (dec.kill('SIGKILL'), dec.catch(() => undefined)) };
}

export const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
