import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { REFERENCE_DIR as SHARED_REFERENCE } from '../../reference-dir.js';

/**
 * The go2rtc v1.9.14 contract the double enforces, loaded from the reference copies of upstream's
 * `www/schema.json` (config) and `api/openapi.yaml` (HTTP API). Never copied into the project.
 */
const REFERENCE_DIR = process.env.GO2RTC_DOUBLE_REFERENCE_DIR ?? SHARED_REFERENCE;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = Record<string, Json>;

export interface Go2rtcReference {
  /** `go2rtc.yaml` validator (draft-07, as published). */
  config: ValidateFunction;
  /** The raw config schema (to look up which keys a section documents). */
  configSchema: Schema;
  /** Response validators of the operations the double implements, by `METHOD path`. */
  responses: Map<string, ValidateFunction>;
  /** Every `METHOD path` the OpenAPI documents (path without its `?query` template). */
  operations: Set<string>;
  /** `app.modules` names the schema allows. */
  modules: Set<string>;
}

/** OpenAPI 3.1 schema objects → plain JSON schema (drop `example`). */
function stripExamples(node: Json): Json {
  if (Array.isArray(node)) return node.map(stripExamples);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k]) => k !== 'example')
      .map(([k, val]) => [k, stripExamples(val)]),
  );
}

let cached: Go2rtcReference | null = null;

export function loadGo2rtcReference(dir = REFERENCE_DIR): Go2rtcReference {
  if (cached && dir === REFERENCE_DIR) return cached;
  const configSchema = JSON.parse(readFileSync(join(dir, 'go2rtc-schema.json'), 'utf8')) as Schema;
  const api = parse(readFileSync(join(dir, 'go2rtc-openapi.yaml'), 'utf8')) as {
    paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: Json }> }> }>>;
  };
  const ajv = new Ajv({ strict: false, allErrors: true });
  const config = ajv.compile(configSchema);
  const operations = new Set<string>();
  const responses = new Map<string, ValidateFunction>();
  for (const [template, methods] of Object.entries(api.paths)) {
    const path = template.replace(/\?.*$/, '');
    for (const [method, op] of Object.entries(methods)) {
      const key = `${method.toUpperCase()} ${path}`;
      operations.add(key);
      // `/api/streams?src={src}` shares its path with `/api/streams`: the first (list) schema wins.
      const schema = op.responses?.['200']?.content?.['application/json']?.schema;
      if (schema && !responses.has(key)) responses.set(key, ajv.compile(stripExamples(schema) as Schema));
    }
  }
  const appModules = ((configSchema.properties as Schema).app as Schema).properties as Schema;
  const modules = new Set(((appModules.modules as Schema).items as Schema).enum as string[]);
  const ref: Go2rtcReference = { config, configSchema, responses, operations, modules };
  if (dir === REFERENCE_DIR) cached = ref;
  return ref;
}

export function formatAjvErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map(
    (e) =>
      `${e.instancePath || '(root)'} ${e.message ?? 'invalid'}${e.params && 'additionalProperty' in e.params ? ` "${String(e.params.additionalProperty)}"` : ''}${e.params && 'allowedValues' in e.params ? ` (${JSON.stringify(e.params.allowedValues)})` : ''}`,
  );
}
