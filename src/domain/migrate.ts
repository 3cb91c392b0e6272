import { SCHEMA_VERSION } from './settings.js';

type Raw = Record<string, unknown>;

/**
 * Forward migrations, keyed by the version they start from. Version 0 is a document written before
 * versioning existed (the development builds): the same lists, no version, no revision.
 */
const MIGRATIONS: Record<number, (doc: Raw) => Raw> = {
  0: (doc) => ({
    ...doc,
    schema_version: 1,
    revision: typeof doc.revision === 'number' ? doc.revision : 0,
    updated_at: typeof doc.updated_at === 'string' ? doc.updated_at : new Date(0).toISOString(),
    cameras: doc.cameras ?? [],
    publications: doc.publications ?? [],
    pipelines: doc.pipelines ?? [],
    transmissions: doc.transmissions ?? [],
    live_views: doc.live_views ?? [],
  }),
};

export class MigrationError extends Error {}

/** Brings a parsed document to the current version; refuses one written by a newer version. */
export function migrate(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new MigrationError('settings document is not a JSON object');
  let doc = raw as Raw;
  const declared = doc.schema_version === undefined ? 0 : doc.schema_version;
  if (typeof declared !== 'number' || !Number.isInteger(declared) || declared < 0) {
    throw new MigrationError(`settings document has an invalid schema_version: ${JSON.stringify(declared)}`);
  }
  let version = declared;
  if (version > SCHEMA_VERSION) {
    throw new MigrationError(`settings document has schema_version ${version}, newer than this server's ${SCHEMA_VERSION}`);
  }
  while (version < SCHEMA_VERSION) {
    const step = MIGRATIONS[version];
    if (!step) throw new MigrationError(`no migration from schema_version ${version}`);
    doc = step(doc);
    version = doc.schema_version as number;
  }
  return doc;
}
