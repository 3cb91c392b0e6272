import * as v from 'valibot';
import { v5 as uuidv5 } from 'uuid';

/** Ids that end up in engine paths and URLs: lower-case slugs, so no escaping is ever needed. */
export const SLUG_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const slugSchema = v.pipe(v.string(), v.regex(SLUG_RE, 'must be 1-63 characters of a-z, 0-9, "_" or "-", starting with a letter or digit'));

/** Pipeline names come from external programs; they may use dots and capitals but never ":" or "/". */
export const PIPELINE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export const ROLES = ['main', 'sub', 'zoom', 'custom'] as const;
export type Role = (typeof ROLES)[number];

export const DEFAULT_ROLE_LABELS: Record<Role, string> = {
  main: 'Principal',
  sub: 'Baixa resolução',
  zoom: 'Zoom',
  custom: 'Personalizado',
};

export const cameraPublicationId = (cameraId: string, sourceId: string) => `camera:${cameraId}:${sourceId}`;
export const pipelinePublicationId = (pipelineName: string, nodeId: string) => `pipeline:${pipelineName}:${nodeId}`;

// A fixed namespace makes generated transmission ids stable across restarts and machines.
const TRANSMISSION_NAMESPACE = '3f0c8f4e-6a53-4d1c-9a8e-7d1f2f6b9a10';
const idCache = new Map<string, string>();
/** Name-based UUID (v5) of a publication. Cached: the reconciler asks for every publication on every run. */
export function generatedTransmissionId(publicationId: string): string {
  let id = idCache.get(publicationId);
  if (id === undefined) {
    if (idCache.size >= 50_000) idCache.clear();
    id = uuidv5(publicationId, TRANSMISSION_NAMESPACE);
    idCache.set(publicationId, id);
  }
  return id;
}

/** Engine paths of generated outputs live under prefixes manual outputs may not use. */
export const GENERATED_PATH_PREFIXES = ['cam/', 'pipe/'] as const;
export const cameraEnginePath = (cameraId: string, sourceId: string) => `cam/${cameraId}/${sourceId}`;
export const pipelineEnginePath = (pipelineName: string, nodeId: string) => `pipe/${pipelineName.toLowerCase().replace(/[^a-z0-9_-]/g, '-')}/${nodeId.toLowerCase().replace(/[^a-z0-9_-]/g, '-')}`;

export const implicitPipelineName = (transmissionId: string) => `transmission:${transmissionId}`;

/** Turns a display name into a slug id; empty names fall back to the given prefix. */
export function slugify(name: string, fallback: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  return s || fallback;
}

export function uniqueId(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) {
    const id = `${base}-${i}`;
    if (!taken.has(id)) return id;
  }
}
