import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'yaml';
import { writeFileAtomic } from '../store/atomic-file.js';

/** What MediaMTX's and go2rtc's rendered configs have in common: the log level, the YAML, the file. */

export type ChildLogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * The server's pino level mapped onto the four levels MediaMTX and go2rtc both have. Never the
 * children's own `trace` (go2rtc's logs every WebSocket message).
 */
export function childLogLevel(level: string): ChildLogLevel {
  switch (level) {
    case 'trace':
    case 'debug':
      return 'debug';
    case 'info':
      return 'info';
    case 'warn':
      return 'warn';
    default:
      return 'error';
  }
}

/**
 * YAML text by the `yaml` library with every string double-quoted: MediaMTX reads unquoted
 * `yes`/`no`/`on`/`off` as booleans (legacy YAML 1.1), so a plain `rtspEncryption: no` or a LAN
 * user called `no` would not load.
 */
export const renderYaml = (doc: unknown): string => stringify(doc, { lineWidth: 0, defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' });

/** Writes a rendered config atomically, mode 0600 (it may hold hashed credentials), in a 0700 directory. Returns its path. */
export async function writeConfigFile(file: string, text: string): Promise<string> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, text, { backup: false });
  return file;
}
