/**
 * The engines the engine-facing tests run against: the real MediaMTX / go2rtc binaries when
 * TOPOSYNC_STREAMING_MEDIAMTX_PATH / TOPOSYNC_STREAMING_GO2RTC_PATH name them (`npm run test:engines`
 * on a machine that built them), else the project's doubles (CI). One place decides, so every suite
 * runs unchanged against either target.
 */
import { DOUBLE_BIN as GO2RTC_DOUBLE } from './doubles/go2rtc/release.js';
import { DOUBLE_BIN as MEDIAMTX_DOUBLE, makeReleaseTarball } from './doubles/mediamtx/release.js';

/** A variable set but empty (`VAR= npm test`) names no binary. */
const pathFromEnv = (name: string): string | null => {
  const value = process.env[name];
  return value === undefined || value === '' ? null : value;
};
const realMediamtx = pathFromEnv('TOPOSYNC_STREAMING_MEDIAMTX_PATH');
const realGo2rtc = pathFromEnv('TOPOSYNC_STREAMING_GO2RTC_PATH');

export const ENGINE_BINS = {
  mediamtx: realMediamtx ?? MEDIAMTX_DOUBLE,
  go2rtc: realGo2rtc ?? GO2RTC_DOUBLE,
} as const;

/** Which target this run has: a test that reads a double's own log or knobs can only run against the double. */
export const REAL_ENGINES = { mediamtx: realMediamtx !== null, go2rtc: realGo2rtc !== null } as const;

/** Label for test titles and printed figures. */
export const engineTarget = (which: keyof typeof REAL_ENGINES): string => (REAL_ENGINES[which] ? `real ${which}` : `${which} double`);

/** A MediaMTX release tarball (the layout downloads unpack) whose `mediamtx` execs this run's engine. */
export const mediamtxReleaseTarball = (): Promise<Buffer> =>
  makeReleaseTarball({
    mediamtx: { content: `#!/bin/sh\nexec "${ENGINE_BINS.mediamtx}" "$@"\n`, mode: 0o755 },
    'mediamtx.yml': { content: 'api: false\n' },
    LICENSE: { content: 'MIT\n' },
  });

/** A go2rtc release asset (a bare executable) that execs this run's go2rtc. */
export const go2rtcReleaseAsset = (): Buffer => Buffer.from(`#!/bin/sh\nexec "${ENGINE_BINS.go2rtc}" "$@"\n`);
