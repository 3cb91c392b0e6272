import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsNs from 'ajv-formats';
import { parse } from 'yaml';
import { REFERENCE_DIR as SHARED_REFERENCE } from '../../reference-dir.js';

/**
 * The MediaMTX v1.20.1 contract the double enforces, loaded from the reference copies of upstream's
 * `api/openapi.yaml` and `mediamtx.yml` (never copied into the project).
 */
export const REFERENCE_DIR = process.env.MEDIAMTX_DOUBLE_REFERENCE_DIR ?? SHARED_REFERENCE;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = Record<string, Json>;

export interface Operation {
  operationId: string;
  method: string;
  template: string;
  regex: RegExp;
  /** Names of the path parameters, in order. */
  params: string[];
  query: Map<string, Schema>;
  requestBody: ValidateFunction | null;
  responses: Map<number, ValidateFunction | null>;
}

export interface Reference {
  /** Keys documented in mediamtx.yml, top level. */
  topKeys: Set<string>;
  /** mediamtx.yml's documented top-level values (the defaults). */
  topDefaults: Record<string, unknown>;
  /** Keys documented under mediamtx.yml's `pathDefaults`. */
  pathDefaultKeys: Set<string>;
  /** mediamtx.yml's `pathDefaults`, as documented defaults. */
  pathDefaults: Record<string, unknown>;
  operations: Operation[];
  /** Validators of component schemas, strict (unknown properties refused, as MediaMTX's decoder does). */
  schema(name: string): ValidateFunction;
  /** Property types of PathConf (for defaulting empty YAML values). */
  pathConfTypes: Map<string, string>;
}

/**
 * OpenAPI 3.0 → JSON schema as ajv runs it:
 * - `nullable: true` becomes `anyOf: [null, schema]` (ajv's own `nullable` cannot express
 *   `{type: object, allOf: [...], nullable: true}`, which the spec uses for `Path.source`);
 * - every object schema with `properties` gets `additionalProperties: false`: MediaMTX decodes
 *   JSON with unknown fields refused, and the double must not send fields the spec lacks.
 */
function convert(node: Json): Json {
  if (Array.isArray(node)) return node.map(convert);
  if (node === null || typeof node !== 'object') return node;
  const out: Schema = {};
  for (const [k, val] of Object.entries(node)) {
    if (k === 'nullable' || k === 'deprecated' || k === 'description' || k === 'example') continue;
    out[k] = k === 'properties' ? Object.fromEntries(Object.entries(val as Schema).map(([p, s]) => [p, convert(s)])) : convert(val);
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  if (node.nullable === true) return { anyOf: [{ type: 'null' }, out] };
  return out;
}

/** Inline schemas point into the registered `mediamtx` document. */
function rewriteRefs(node: Json): Json {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node).map(([k, val]) => [k, k === '$ref' && typeof val === 'string' && val.startsWith('#/') ? `mediamtx${val}` : rewriteRefs(val)]));
}

function createAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormatsNs.default(ajv);
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('uint64', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 });
  ajv.addFormat('double', { type: 'number', validate: (n: number) => Number.isFinite(n) });
  return ajv;
}

let cached: Reference | null = null;

export function loadReference(dir = REFERENCE_DIR): Reference {
  if (cached && dir === REFERENCE_DIR) return cached;
  const yml = parse(readFileSync(join(dir, 'mediamtx.yml'), 'utf8')) as Record<string, unknown>;
  const api = parse(readFileSync(join(dir, 'mediamtx-openapi.yaml'), 'utf8')) as {
    components: { schemas: Record<string, Json> };
    paths: Record<
      string,
      Record<
        string,
        {
          operationId: string;
          parameters?: { name: string; in: string; schema: Schema }[];
          requestBody?: { content: Record<string, { schema: Json }> };
          responses: Record<string, { content?: Record<string, { schema: Json }> }>;
        }
      >
    >;
  };
  const ajv = createAjv();
  const schemas = Object.fromEntries(Object.entries(api.components.schemas).map(([k, s]) => [k, convert(s)]));
  ajv.addSchema({ $id: 'mediamtx', components: { schemas } }, 'mediamtx');
  const byRef = (schema: Json): ValidateFunction => {
    const ref = (schema as Schema).$ref;
    if (typeof ref === 'string' && ref.startsWith('#/')) {
      const v = ajv.getSchema(`mediamtx${ref}`);
      if (!v) throw new Error(`unresolvable ${ref}`);
      return v;
    }
    return ajv.compile(rewriteRefs(convert(schema)) as Schema);
  };

  const operations: Operation[] = [];
  for (const [template, methods] of Object.entries(api.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params: string[] = [];
      const segments = template.split('/');
      const pattern = segments
        .map((seg, i) => {
          const m = /^\{(\w+)\}$/.exec(seg);
          if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          params.push(m[1]!);
          // gin catch-all (`*name`) when last: path names contain slashes.
          return i === segments.length - 1 ? '(.+)' : '([^/]+)';
        })
        .join('/');
      const query = new Map<string, Schema>();
      for (const p of op.parameters ?? []) if (p.in === 'query') query.set(p.name, p.schema);
      const body = op.requestBody?.content['application/json']?.schema;
      const responses = new Map<number, ValidateFunction | null>();
      for (const [code, r] of Object.entries(op.responses)) {
        const s = r.content?.['application/json']?.schema;
        responses.set(Number(code), s ? byRef(s) : null);
      }
      operations.push({ operationId: op.operationId, method: method.toUpperCase(), template, regex: new RegExp(`^${pattern}$`), params, query, requestBody: body ? byRef(body) : null, responses });
    }
  }

  const pathConf = api.components.schemas.PathConf as { properties: Record<string, Schema> };
  const pathConfTypes = new Map<string, string>();
  for (const [k, s] of Object.entries(pathConf.properties)) {
    if (typeof s.type === 'string') pathConfTypes.set(k, s.type);
    else if (typeof s.$ref === 'string') {
      const target = api.components.schemas[s.$ref.replace('#/components/schemas/', '')] as Schema | undefined;
      if (target && typeof target.type === 'string') pathConfTypes.set(k, target.type);
    }
  }

  const ref: Reference = {
    topKeys: new Set(Object.keys(yml)),
    topDefaults: yml,
    pathDefaultKeys: new Set(Object.keys(yml.pathDefaults as Record<string, unknown>)),
    pathDefaults: yml.pathDefaults as Record<string, unknown>,
    operations,
    schema(name) {
      const v = ajv.getSchema(`mediamtx#/components/schemas/${name}`);
      if (!v) throw new Error(`no schema ${name}`);
      return v;
    },
    pathConfTypes,
  };
  if (dir === REFERENCE_DIR) cached = ref;
  return ref;
}

export function formatAjvErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'invalid'}${e.params && 'additionalProperty' in e.params ? ` "${String(e.params.additionalProperty)}"` : ''}`);
}

/** Find the operation for a method and decoded path, like gin's router (catch-all names). */
export function matchOperation(ref: Reference, method: string, path: string): { op: Operation; params: Record<string, string> } | null {
  for (const op of ref.operations) {
    if (op.method !== method) continue;
    const m = op.regex.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    op.params.forEach((p, i) => {
      params[p] = m[i + 1]!;
    });
    return { op, params };
  }
  return null;
}
