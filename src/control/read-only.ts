import { ownerOf, type GeneratedMeta } from '../domain/generated.js';
import { ApiError } from '../shared/errors.js';

/** Generated artifacts are edited through their owner; the 409 names it and where to edit it. */
export function refuseGenerated(kind: string, id: string, meta: GeneratedMeta | null | undefined): void {
  if (!meta) return;
  const owner = ownerOf(meta);
  throw new ApiError(409, 'generated_artifact', `${kind} "${id}" is generated from ${owner.description}; edit that instead`, null, { owner });
}
