import * as v from 'valibot';
import { ApiError } from './errors.js';

/** Turns a valibot issue into a message that names the field and never echoes the received value. */
export function issueToError(issue: v.BaseIssue<unknown>, prefix = ''): ApiError {
  const path = v.getDotPath(issue);
  const field = [prefix, path].filter(Boolean).join('.') || 'body';
  const detail = issue.expected === 'never' ? 'unknown field' : issue.kind === 'validation' && !issue.message.startsWith('Invalid ') ? issue.message : `expected ${issue.expected ?? 'a valid value'}`;
  return new ApiError(422, 'invalid_field', `${field}: ${detail}`, field);
}

export function parseWith<S extends v.GenericSchema>(schema: S, value: unknown, prefix = ''): v.InferOutput<S> {
  const result = v.safeParse(schema, value);
  if (!result.success) throw issueToError(result.issues[0], prefix);
  return result.output;
}
