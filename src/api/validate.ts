import type { Context } from 'hono';
import * as v from 'valibot';
import { ApiError } from '../errors.js';

/** Turns a valibot issue into a message that names the field and never echoes the received value. */
export function issueToError(issue: v.BaseIssue<unknown>, prefix = ''): ApiError {
  const path = v.getDotPath(issue);
  const field = [prefix, path].filter(Boolean).join('.') || 'body';
  const detail =
    issue.expected === 'never'
      ? 'unknown field'
      : issue.kind === 'validation' && !issue.message.startsWith('Invalid ')
        ? issue.message
        : `expected ${issue.expected ?? 'a valid value'}`;
  return new ApiError(422, 'invalid_field', `${field}: ${detail}`, field);
}

export function parseWith<S extends v.GenericSchema>(schema: S, value: unknown, prefix = ''): v.InferOutput<S> {
  const result = v.safeParse(schema, value);
  if (!result.success) throw issueToError(result.issues[0], prefix);
  return result.output;
}

/** Reads a JSON body: 400 when it is not JSON at all, 422 (naming the field) when it is the wrong shape. */
export async function jsonBody<S extends v.GenericSchema>(c: Context, schema: S): Promise<v.InferOutput<S>> {
  const text = await c.req.text();
  if (text.trim() === '') throw new ApiError(400, 'malformed_json', 'request body must be a JSON document', 'body');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'malformed_json', 'request body is not valid JSON', 'body');
  }
  // Every body of this API is an object; an array would otherwise pass an all-optional object schema.
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ApiError(422, 'invalid_field', 'body: expected a JSON object', 'body');
  }
  return parseWith(schema, value);
}

export function queryWith<S extends v.GenericSchema>(c: Context, schema: S): v.InferOutput<S> {
  return parseWith(schema, c.req.query());
}
