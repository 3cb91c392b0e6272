import { fileURLToPath } from 'node:url';

/** The process double (`go2rtc -config <file>`), to pass as `go2rtcPath` or exec from a fake release asset. */
export const DOUBLE_BIN = fileURLToPath(new URL('./go2rtc', import.meta.url));

/** A raw release asset (go2rtc ships bare executables) whose content execs the double. */
export const doubleReleaseAsset = (): Buffer => Buffer.from(`#!/bin/sh\nexec "${DOUBLE_BIN}" "$@"\n`);
