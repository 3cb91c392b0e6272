import type { Logger } from 'pino';
import * as v from 'valibot';
import type { StreamingSettings } from '../domain/settings.js';
import type { Supervisor } from '../process/types.js';

/** The options every managed binary's manager takes; each adds its own. */
export interface ManagedBinaryOptions {
  supervisor: Supervisor;
  logger: Logger;
  dataDir: string;
  settings: () => StreamingSettings;
  /** The server's log level (pino names), mapped onto the child's. */
  logLevel: string;
  /** Where the image installs the binary; default the product's. */
  bundledPaths?: string[];
  /** The product's `…/releases/download`. */
  downloadBaseUrl?: string;
  fetch?: typeof fetch;
  /** How long the child gets to answer its API after a start. Default 15 s. */
  startTimeoutMs?: number;
  /** Per API request. Default 2 s. */
  apiTimeoutMs?: number;
  /** Clock of the retries (tests). Default Date.now. */
  now?: () => number;
}

/** A function option (the callbacks the managers take). */
export const functionOption = <T>() => v.custom<T>((f) => typeof f === 'function', 'must be a function');

/** Valibot entries of {@link ManagedBinaryOptions}, spread into each manager's schema. */
export const managedOptionEntries = {
  supervisor: v.custom<Supervisor>((s) => typeof s === 'object' && s !== null && typeof (s as Supervisor).start === 'function', 'must be a Supervisor'),
  logger: v.custom<Logger>((l) => typeof l === 'object' && l !== null && typeof (l as Logger).child === 'function', 'must be a pino logger'),
  dataDir: v.pipe(v.string(), v.minLength(1, 'must not be empty')),
  settings: functionOption<() => StreamingSettings>(),
  logLevel: v.pipe(v.string(), v.minLength(1)),
  bundledPaths: v.optional(v.array(v.pipe(v.string(), v.startsWith('/', 'must be absolute')))),
  downloadBaseUrl: v.optional(v.pipe(v.string(), v.regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL'))),
  fetch: v.optional(functionOption<typeof fetch>()),
  startTimeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(600_000))),
  apiTimeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(50), v.maxValue(60_000))),
  now: v.optional(functionOption<() => number>()),
};

/** Checks a manager's options; a TypeError naming the factory and the first bad option. */
export function checkOptions(factory: string, schema: v.GenericSchema, options: unknown): void {
  const parsed = v.safeParse(schema, options);
  if (parsed.success) return;
  const issue = parsed.issues[0];
  throw new TypeError(`${factory}: ${v.getDotPath(issue) ?? 'options'} ${issue.message}`);
}
