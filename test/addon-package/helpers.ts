import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsNs from 'ajv-formats';
import { parse } from 'yaml';
import { REFERENCE_DIR } from '../reference-dir.js';

/** The repository root, which is also the add-on folder Supervisor builds. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = Record<string, Json>;

export const readText = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');
export const readYaml = (rel: string) => parse(readText(rel)) as JsonObject;

/**
 * A reference schema loaded for ajv. The linter's schemas are written for Python's `re`, whose named
 * groups are `(?P<name>...)`; JavaScript spells them `(?<name>...)` (see the reference README).
 */
export function loadReferenceSchema(file: string): JsonObject {
  const text = readFileSync(join(REFERENCE_DIR, file), 'utf8').replaceAll('(?P<', '(?<');
  return JSON.parse(text) as JsonObject;
}

export function validatorFor(schema: JsonObject) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormatsNs.default(ajv);
  const validate = ajv.compile(schema);
  return (data: unknown): string[] => (validate(data) ? [] : (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`));
}

/** Python's `==` on JSON values, which is what the linter compares with (`True == 1`, `0 == 0.0`). */
function pyEqual(a: Json | undefined, b: Json | undefined): boolean {
  const num = (v: unknown) => (typeof v === 'boolean' ? Number(v) : v);
  if ((typeof a === 'number' || typeof a === 'boolean') && (typeof b === 'number' || typeof b === 'boolean')) return num(a) === num(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => pyEqual(v, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && pyEqual(a[k], b[k]));
  }
  return a === b;
}

/**
 * Keys set to their default value, found the way frenck/action-addon-linter finds them: its
 * `check_is_default` (src/lint.py at commit 2bd8faa, the commit the reference schemas come from)
 * extends jsonschema's `properties` keyword so that every property whose subschema has a `default`
 * and whose value equals it (Python `==`) is an error. The linter has no other list of defaults:
 * the schema's `default` keywords are the list. Like jsonschema, this walks every `properties`
 * reached through `properties`, `additionalProperties` and `items` (the reference schemas put no
 * defaults under `anyOf`/`oneOf` branches that apply to our files).
 */
export function keysAtDefault(schema: JsonObject, instance: Json, path = ''): string[] {
  const found: string[] = [];
  if (instance !== null && typeof instance === 'object' && !Array.isArray(instance)) {
    const props = (schema.properties ?? {}) as Record<string, JsonObject>;
    for (const [key, sub] of Object.entries(props)) {
      if (!(key in instance)) continue;
      if ('default' in sub && pyEqual(instance[key], sub.default)) found.push(`${path}${key}`);
      found.push(...keysAtDefault(sub, instance[key] as Json, `${path}${key}.`));
    }
    const extra = schema.additionalProperties;
    if (extra && typeof extra === 'object' && !Array.isArray(extra)) {
      for (const [key, value] of Object.entries(instance)) {
        if (!(key in props)) found.push(...keysAtDefault(extra, value, `${path}${key}.`));
      }
    }
  }
  if (Array.isArray(instance) && schema.items && typeof schema.items === 'object' && !Array.isArray(schema.items)) {
    instance.forEach((item, i) => found.push(...keysAtDefault(schema.items as JsonObject, item, `${path}${i}.`)));
  }
  return found;
}

/**
 * The linter's checks beyond the schema (frenck/action-addon-linter src/lint.py at 2bd8faa), errors
 * and warnings alike: an add-on of ours should draw neither.
 */
export function linterFindings(config: JsonObject): string[] {
  const out: string[] = [];
  const map = (Array.isArray(config.map) ? config.map : []).map((m) => (typeof m === 'string' ? m : ''));
  const has = (...names: string[]) => names.some((n) => map.includes(n));
  for (const arch of (config.arch as string[] | undefined) ?? []) {
    if (['armhf', 'armv7', 'i386'].includes(arch)) out.push(`deprecated arch ${arch}`);
  }
  if (config.ingress === true) {
    if (config.webui) out.push("'webui' should be removed, Ingress is enabled");
    if (config.host_network !== true && (config.ingress_port ?? 8099) === 0) out.push("'ingress_port' 0 without host_network");
  }
  if (config.full_access && ['devices', 'gpio', 'uart', 'usb'].some((k) => k in config)) out.push("'full_access' with devices/gpio/uart/usb");
  if (config.full_access) out.push("'full_access' (warning)");
  if (config.advanced) out.push("'advanced' (warning)");
  if ('auto_uart' in config) out.push("'auto_uart' is deprecated");
  if (((config.devices as string[] | undefined) ?? []).some((d) => d.includes(':'))) out.push("'devices' deprecated format");
  if ('tmpfs' in config && typeof config.tmpfs !== 'boolean') out.push("'tmpfs' deprecated format");
  if ((config.backup ?? 'hot') === 'cold') for (const k of ['backup_pre', 'backup_post']) if (k in config) out.push(`'${k}' with cold backups`);
  if (config.watchdog) out.push("'watchdog' is obsolete: use a Docker HEALTHCHECK");
  if ('codenotary' in config) out.push("'codenotary' is deprecated");
  if (has('config', 'config:rw', 'config:ro')) out.push("'map' contains 'config' (warning)");
  if (has('config', 'config:rw', 'config:ro') && has('homeassistant_config', 'homeassistant_config:rw', 'homeassistant_config:ro')) out.push("'map' config + homeassistant_config");
  if (has('config', 'config:rw', 'config:ro') && has('addon_config', 'addon_config:rw', 'addon_config:ro')) out.push("'map' config + addon_config");
  return out;
}

/**
 * Supervisor's option type grammar, `RE_SCHEMA_ELEMENT` of supervisor/apps/options.py
 * (home-assistant/supervisor), with Python's `(?P<name>` spelled for JavaScript.
 */
const RE_SCHEMA_ELEMENT = new RegExp(
  '^(?:' +
    '|bool' +
    '|email' +
    '|url' +
    '|port' +
    '|device(?:\\((?<filter>subsystem=[a-z]+)\\))?' +
    '|str(?:\\((?<s_min>\\d+)?,(?<s_max>\\d+)?\\))?' +
    '|password(?:\\((?<p_min>\\d+)?,(?<p_max>\\d+)?\\))?' +
    '|int(?:\\((?<i_min>-?\\d+)?,(?<i_max>-?\\d+)?\\))?' +
    '|float(?:\\((?<f_min>-?\\d*\\.?\\d+)?,(?<f_max>-?\\d*\\.?\\d+)?\\))?' +
    '|match\\((?<match>.*)\\)' +
    '|list\\((?<list>.+)\\)' +
    ')\\??$',
);

export interface OptionType {
  kind: 'bool' | 'email' | 'url' | 'port' | 'device' | 'str' | 'password' | 'int' | 'float' | 'match' | 'list';
  optional: boolean;
  min?: number;
  max?: number;
  choices?: string[];
  pattern?: string;
}

/** Parses one option type such as `int(1,64)`, `list(a|b)`, `password`, `str?`; null when Supervisor would refuse it. */
export function parseOptionType(type: string): OptionType | null {
  const m = RE_SCHEMA_ELEMENT.exec(type);
  if (!m || type === '' || type === '?') return null;
  const g = m.groups ?? {};
  const kind = /^[a-z]+/.exec(type)?.[0] as OptionType['kind'];
  // The grammar allows a `?` only after the whole element, so a final `?` always means optional.
  const t: OptionType = { kind, optional: type.endsWith('?') };
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const min = num(g.i_min ?? g.f_min ?? g.s_min ?? g.p_min);
  const max = num(g.i_max ?? g.f_max ?? g.s_max ?? g.p_max);
  if (min !== undefined) t.min = min;
  if (max !== undefined) t.max = max;
  if (g.list !== undefined) t.choices = g.list.split('|');
  if (g.match !== undefined) t.pattern = g.match;
  return t;
}

/**
 * Why a value would fail Supervisor's `_single_validate` for this type, or null when it passes.
 * Stricter than Supervisor where it coerces ("5" for an int, "yes" for a bool): a default in our
 * own config.yaml should already have the right JSON type.
 */
export function optionValueProblem(t: OptionType, value: unknown): string | null {
  const range = (n: number) => ((t.min !== undefined && n < t.min) || (t.max !== undefined && n > t.max) ? `${n} is outside ${t.min ?? '-inf'}..${t.max ?? 'inf'}` : null);
  switch (t.kind) {
    case 'str':
    case 'password':
      if (typeof value !== 'string') return 'not a string';
      return range(value.length) === null ? null : `length ${range(value.length)}`;
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) ? range(value) : 'not an integer';
    case 'float':
      return typeof value === 'number' && Number.isFinite(value) ? range(value) : 'not a number';
    case 'bool':
      return typeof value === 'boolean' ? null : 'not a boolean';
    case 'port':
      return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535 ? null : 'not a port (1-65535)';
    case 'list':
      return t.choices?.includes(String(value)) ? null : `${JSON.stringify(value)} is not one of ${t.choices?.join(', ')}`;
    case 'match':
      // Python's re.match: anchored at the start only.
      return new RegExp(`^(?:${t.pattern ?? ''})`).test(String(value)) ? null : `does not match ${t.pattern}`;
    case 'email':
      return typeof value === 'string' && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value) ? null : 'not an e-mail address';
    case 'url':
      return typeof value === 'string' && URL.canParse(value) ? null : 'not a URL';
    case 'device':
      return 'a device cannot be checked outside Supervisor';
  }
}

/** Width and height of a PNG, read from its IHDR chunk. */
export function pngSize(bytes: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!bytes.subarray(0, 8).equals(signature) || bytes.toString('latin1', 12, 16) !== 'IHDR') throw new Error('not a PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}
