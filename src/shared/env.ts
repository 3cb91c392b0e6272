import * as v from 'valibot';

/** A bad start-up setting (an environment variable, an options file): one clear line, then the process stops. */
export class ConfigError extends Error {}

/** A port number written as text, as environment variables carry it. */
export const portNumber = v.pipe(v.string(), v.regex(/^\d{1,5}$/, 'must be a port number'), v.transform(Number), v.minValue(1, 'must be a port number'), v.maxValue(65535, 'must be a port number'));

/** Reads the variables `schema` names from `env`, once at start-up; a bad value names the variable. */
export function parseEnv<S extends v.ObjectSchema<v.ObjectEntries, undefined>>(schema: S, env: NodeJS.ProcessEnv): v.InferOutput<S> {
  const picked = Object.fromEntries(
    Object.keys(schema.entries)
      .filter((k) => env[k] !== undefined)
      .map((k) => [k, env[k]]),
  );
  const parsed = v.safeParse(schema, picked);
  if (parsed.success) return parsed.output;
  const issue = parsed.issues[0];
  const key = v.getDotPath(issue) ?? 'environment';
  throw new ConfigError(`${key} ${issue.message.replace(/^Invalid \w+: /, '').replace(/ but received .*$/, '')} (got ${JSON.stringify(env[key])})`);
}
