import { parse } from 'yaml';
import { formatAjvErrors, type Go2rtcReference } from './reference.js';

/** A config the double refuses to start with (exit 1, message on stderr). */
export class ConfigLoadError extends Error {
  override name = 'ConfigLoadError';
}

export interface DoubleConfig {
  /** The config file (null when given inline as `-config '{...}'`). */
  file: string | null;
  /** The parsed document, as go2rtc would unmarshal it. */
  raw: Record<string, unknown>;
  apiHost: string;
  apiPort: number;
  /** `api.origin`: `''` = go2rtc's same-origin check, `'*'` = any origin. */
  origin: '' | '*';
  /** `app.modules`; null = every module (go2rtc's default). */
  modules: string[] | null;
  /** `api.allow_paths`; null = every path. */
  allowPaths: string[] | null;
  /** `rtsp.listen` ('' = no RTSP server). go2rtc's default is `:8554`. */
  rtspListen: string;
  /** stream name → its sources (a string becomes a one-element list, null an empty one). */
  streams: Map<string, string[]>;
  /** Keys go2rtc would silently ignore (not in the schema): typos the double reports as violations. */
  unknownKeys: string[];
}

/** The config file argument(s) of `go2rtc` (Go `flag` syntax: `-config x`, `--config=x`, `-c x`). */
export function parseArgs(argv: readonly string[]): { configs: string[] } {
  const configs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?(config|c)(?:=(.*))?$/.exec(arg);
    if (m) {
      if (m[2] !== undefined) configs.push(m[2]);
      else {
        const value = argv[i + 1];
        if (value === undefined) throw new ConfigLoadError(`flag needs an argument: -${m[1]}`);
        configs.push(value);
        i++;
      }
      continue;
    }
    if (/^--?(daemon|d)$/.test(arg)) throw new ConfigLoadError('the double does not daemonize (-daemon): a supervised child must stay in the foreground');
    if (/^--?(version|v)$/.test(arg)) continue;
    throw new ConfigLoadError(`flag provided but not defined: ${arg}`);
  }
  return { configs };
}

function splitListen(listen: string): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(listen);
  if (!m) throw new ConfigLoadError(`api.listen "${listen}" is not host:port`);
  const port = Number(m[2]);
  if (port > 65535) throw new ConfigLoadError(`api.listen "${listen}": port out of range`);
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** Keys under documented sections that the schema does not know (go2rtc ignores them silently). */
function findUnknownKeys(raw: Record<string, unknown>, schema: Record<string, unknown>): string[] {
  const out: string[] = [];
  const sections = (schema.properties ?? {}) as Record<string, { properties?: Record<string, unknown>; additionalProperties?: unknown }>;
  for (const [section, value] of Object.entries(raw)) {
    const def = sections[section];
    if (!def?.properties || def.additionalProperties !== undefined) continue;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    for (const key of Object.keys(value)) if (!(key in def.properties)) out.push(`${section}.${key}`);
  }
  return out;
}

/**
 * Parses and checks a go2rtc config the way the double needs it. Stricter than go2rtc (which
 * unmarshals whatever it can and logs a warning): the document must validate against go2rtc's
 * published JSON schema, and the API must be on a loopback address (go2rtc's default `:1984`
 * listens on every interface, which a test double must never do).
 */
export function loadDoubleConfig(ref: Go2rtcReference, text: string, file: string | null): DoubleConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ConfigLoadError(`yaml: ${(err as Error).message.split('\n')[0]}`);
  }
  doc ??= {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigLoadError('yaml: the config is not a mapping');
  const raw = doc as Record<string, unknown>;
  if (!ref.config(raw)) throw new ConfigLoadError(`config does not match go2rtc's schema: ${formatAjvErrors(ref.config.errors).join('; ')}`);

  const app = (raw.app ?? {}) as { modules?: string[] };
  const modules = Array.isArray(app.modules) && app.modules.length > 0 ? app.modules : null;
  if (modules && !modules.includes('api')) throw new ConfigLoadError('app.modules has no "api": go2rtc would serve no HTTP API, and the double exists to serve it');

  const api = (raw.api ?? {}) as { listen?: string; origin?: string; allow_paths?: string[]; username?: string; tls_listen?: string; unix_listen?: string; base_path?: string };
  const listen = api.listen ?? ':1984';
  if (listen === '') throw new ConfigLoadError('api.listen is empty: go2rtc would serve no HTTP API, and the double exists to serve it');
  const { host, port } = splitListen(listen);
  if (!LOOPBACK.has(host)) {
    throw new ConfigLoadError(`api.listen "${listen}" is not a loopback address: go2rtc would accept (and skip auth for nobody) on every interface; the double refuses`);
  }
  for (const key of ['tls_listen', 'unix_listen', 'base_path', 'username'] as const) {
    if (api[key]) throw new ConfigLoadError(`api.${key} is not supported by the double`);
  }

  const streams = new Map<string, string[]>();
  for (const [name, value] of Object.entries((raw.streams ?? {}) as Record<string, unknown>)) {
    streams.set(name, value === null ? [] : Array.isArray(value) ? (value as string[]) : [value as string]);
  }
  const rtsp = (raw.rtsp ?? {}) as { listen?: string };
  return {
    file,
    raw,
    apiHost: host,
    apiPort: port,
    origin: api.origin === '*' ? '*' : '',
    modules,
    allowPaths: Array.isArray(api.allow_paths) ? api.allow_paths : null,
    rtspListen: rtsp.listen ?? ':8554',
    streams,
    unknownKeys: findUnknownKeys(raw, ref.configSchema),
  };
}

export const moduleEnabled = (config: DoubleConfig, name: string) => config.modules === null || config.modules.includes(name);
