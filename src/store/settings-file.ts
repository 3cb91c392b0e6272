import { promises as fs } from 'node:fs';
import * as v from 'valibot';
import { MigrationError, migrate } from '../domain/migrate.js';
import { settingsDocSchema, type SettingsDoc } from '../domain/settings.js';

export type ReadOutcome = { kind: 'missing' } | { kind: 'ok'; doc: SettingsDoc } | { kind: 'bad'; problem: string };

/**
 * Names what is wrong with invalid data without quoting it: valibot's `message` and `received`
 * repeat the offending value, which may be a camera password.
 */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[], max = 5): string {
  const lines = issues.slice(0, max).map((issue) => {
    const where = issue.path?.length ? issue.path.map((item) => String(item.key)).join('.') : '(document)';
    return issue.expected ? `${where}: expected ${issue.expected}` : `${where}: failed ${issue.type}`;
  });
  if (issues.length > max) lines.push(`${issues.length - max} more`);
  return lines.join('; ');
}

/** V8's JSON.parse messages quote the text around the error, so only the position is kept. */
function describeJsonError(err: unknown, text: string): string {
  if (text.trim() === '') return 'empty file';
  const message = err instanceof Error ? err.message : '';
  if (message.includes('Unexpected end')) return 'not valid JSON: it ends early (truncated)';
  const at = /position (\d+)/.exec(message);
  return at ? `not valid JSON: syntax error at character ${at[1]}` : 'not valid JSON';
}

/** Read, parse, migrate and validate one settings file. Problems are safe to log and to show. */
export async function readSettingsFile(file: string): Promise<ReadOutcome> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'bad', problem: `cannot be read: ${(err as Error).message}` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { kind: 'bad', problem: describeJsonError(err, text) };
  }
  let migrated: unknown;
  try {
    migrated = migrate(raw);
  } catch (err) {
    if (err instanceof MigrationError) return { kind: 'bad', problem: err.message };
    throw err;
  }
  const parsed = v.safeParse(settingsDocSchema, migrated);
  if (!parsed.success) return { kind: 'bad', problem: `does not match the settings schema: ${describeIssues(parsed.issues)}` };
  return { kind: 'ok', doc: parsed.output };
}
