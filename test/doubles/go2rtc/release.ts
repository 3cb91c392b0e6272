import { fileURLToPath } from 'node:url';

/** The process double (`go2rtc -config <file>`), to pass as `go2rtcPath` or exec from a fake release asset. */
export const DOUBLE_BIN = fileURLToPath(new URL('./go2rtc', import.meta.url));
