import { readFile } from 'node:fs/promises';
import * as v from 'valibot';
import { ConfigError } from '../shared/env.js';
import type { SettingsDoc, StreamingSettings } from '../domain/settings.js';

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

const int = (min: number, max: number) => {
  const message = `must be an integer from ${min} to ${max}`;
  return v.pipe(v.number(message), v.integer(message), v.minValue(min, message), v.maxValue(max, message));
};

/**
 * `/data/options.json` as Supervisor writes it from config.yaml's `options`/`schema`. Strict: a key
 * this server does not know means config.yaml and the server disagree, which must stop start-up.
 * Limits are the server's own (src/domain/settings.ts), so an accepted option is always a valid setting.
 */
const addonOptionsSchema = v.strictObject({
  log_level: v.optional(v.picklist(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`)),
  rtsp_reader_username: v.optional(
    v.pipe(
      v.string('must be a string'),
      v.regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, "_", "." or "-"'),
      v.check((u) => u !== 'any', 'must not be "any" (MediaMTX reserves it for anonymous readers)'),
    ),
  ),
  // Empty: the server's generated reader password, so HA camera entities work out of the box.
  rtsp_reader_password: v.optional(
    v.pipe(
      v.string('must be a string'),
      v.check((p) => p === '' || (p.length >= 8 && p.length <= 256), 'must be empty or 8 to 256 characters'),
    ),
  ),
  mse_enabled: v.optional(v.boolean('must be true or false')),
  jsmpeg_max_sessions: v.optional(int(1, 64)),
  jsmpeg_max_sessions_per_transmission: v.optional(int(1, 16)),
  demand_debounce_seconds: v.optional(int(0, 600)),
  // Comma-separated host names or addresses browsers on the LAN reach this machine at (WebRTC);
  // empty: Supervisor's network information says.
  webrtc_hosts: v.optional(
    v.pipe(
      v.string('must be a string'),
      v.maxLength(1000, 'must be at most 1000 characters'),
      v.check((s) => webrtcHostList(s).every((h) => /^[A-Za-z0-9.:-]{1,253}$/.test(h)), 'must be host names or IP addresses separated by commas'),
    ),
  ),
});

/** The `webrtc_hosts` option as a list: trimmed, empty items dropped. */
export const webrtcHostList = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
export type AddonOptions = v.InferOutput<typeof addonOptionsSchema>;

/** Options whose value must never appear in a message. */
const SECRET_OPTIONS = new Set(['rtsp_reader_password']);

/** Which streaming setting each option overrides, as [group, key]. */
const TARGETS = {
  rtsp_reader_username: ['lan_reader', 'username'],
  rtsp_reader_password: ['lan_reader', 'password'],
  mse_enabled: ['mse', 'enabled'],
  jsmpeg_max_sessions: ['jsmpeg', 'max_sessions'],
  jsmpeg_max_sessions_per_transmission: ['jsmpeg', 'max_sessions_per_transmission'],
  demand_debounce_seconds: ['demand', 'debounce_s'],
} as const satisfies Partial<Record<keyof AddonOptions, readonly [keyof StreamingSettings, string]>>;

/** Parses the options text; a bad value throws one ConfigError line naming the option (never a secret's value). */
export function parseAddonOptions(text: string, source: string): AddonOptions {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ConfigError(`${source} is not valid JSON`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${source} must hold a JSON object`);
  const parsed = v.safeParse(addonOptionsSchema, raw);
  if (parsed.success) return parsed.output;
  const issue = parsed.issues[0];
  const key = v.getDotPath(issue) ?? 'options';
  if (issue.expected === 'never') throw new ConfigError(`add-on option ${key} is not an option of this add-on (in ${source})`);
  const got = SECRET_OPTIONS.has(key) ? '' : ` (got ${JSON.stringify((raw as Record<string, unknown>)[key])})`;
  throw new ConfigError(`add-on option ${key} ${issue.message}${got} (in ${source})`);
}

/** The options file, or null when there is none (a manual run in add-on mode); unreadable or invalid throws ConfigError. */
export async function readAddonOptions(path: string): Promise<AddonOptions | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new ConfigError(`cannot read the add-on options ${path}: ${code ?? (err as Error).message}`);
  }
  return parseAddonOptions(text, path);
}

/**
 * The document with the options laid over its streaming settings (the options win at every start).
 * An empty reader password means `generatedReaderPassword`, a secret the server keeps in the data
 * directory: Home Assistant's camera entities need a reader, and most users never set one.
 */
export function applyAddonOptions(doc: SettingsDoc, options: AddonOptions | null, generatedReaderPassword: string): SettingsDoc {
  if (!options) return doc;
  const streaming: Record<string, Record<string, unknown>> = { ...(doc.streaming as unknown as Record<string, Record<string, unknown>>) };
  for (const [option, [group, key]] of Object.entries(TARGETS)) {
    const value = options[option as keyof AddonOptions];
    if (value === undefined) continue;
    streaming[group] = { ...streaming[group], [key]: value === '' ? generatedReaderPassword : value };
  }
  return { ...doc, streaming: streaming as unknown as StreamingSettings };
}

/** The streaming settings the options override, e.g. `jsmpeg.max_sessions` (a settings UI shows them as locked). */
export function overriddenSettings(options: AddonOptions | null): string[] {
  if (!options) return [];
  return Object.entries(TARGETS)
    .filter(([option]) => options[option as keyof AddonOptions] !== undefined)
    .map(([, path]) => path.join('.'));
}
