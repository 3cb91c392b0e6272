import type { Context, MiddlewareHandler } from 'hono';
import * as v from 'valibot';
import { illFormed, illFormedMessage } from '../domain/unicode.js';
import { ApiError, invalid } from '../shared/errors.js';
import { parseWith } from '../shared/schema.js';

/**
 * Reads a JSON document: 400 when it is not JSON at all, 422 naming the first string or key that is
 * not well-formed Unicode (JSON's `"\ud800"` parses, but no URL, file or engine can carry it).
 */
export async function readJson(c: Context, expected = 'a JSON document'): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') throw new ApiError(400, 'malformed_json', `request body must be ${expected}`, 'body');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'malformed_json', 'request body is not valid JSON', 'body');
  }
  const [bad] = illFormed(value, 1);
  if (bad) throw invalid(bad.path || 'body', illFormedMessage(bad));
  return value;
}

/** Reads a JSON body: 400 when it is not JSON at all, 422 (naming the field) when it is the wrong shape. */
export async function jsonBody<S extends v.GenericSchema>(c: Context, schema: S): Promise<v.InferOutput<S>> {
  const value = await readJson(c);
  // Every body of this API is an object; an array would otherwise pass an all-optional object schema.
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ApiError(422, 'invalid_field', 'body: expected a JSON object', 'body');
  }
  return parseWith(schema, value);
}

export function queryWith<S extends v.GenericSchema>(c: Context, schema: S): v.InferOutput<S> {
  return parseWith(schema, c.req.query());
}

const decodes = (s: string) => {
  try {
    decodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
};

/**
 * Refuses a URL with a percent-escape that is not UTF-8 (`%ED%A0%80` spells a lone surrogate, `%FF`
 * nothing): Hono leaves such an escape undecoded, so a route would see text nobody sent. Names the
 * part: `path`, `query` (a name) or `query.<name>`. Decoded path parameters and queries are then
 * always well-formed, as `decodeURIComponent` never yields a lone surrogate.
 */
export const wellFormedUrl: MiddlewareHandler = async (c, next) => {
  const url = c.req.url;
  if (url.includes('%')) {
    const q = url.indexOf('?');
    if (!decodes(q === -1 ? url : url.slice(0, q))) throw invalid('path', 'a percent-escape that is not UTF-8');
    for (const pair of q === -1 ? [] : url.slice(q + 1).split('&')) {
      const eq = pair.indexOf('=');
      const [name, value] = eq === -1 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
      if (!decodes(name)) throw invalid('query', 'a parameter name with a percent-escape that is not UTF-8');
      if (!decodes(value)) throw invalid(`query.${decodeURIComponent(name)}`, 'a percent-escape that is not UTF-8');
    }
  }
  await next();
};
