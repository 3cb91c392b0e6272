import { generatedTransmissionId, pipelinePublicationId } from '../domain/ids.js';
import { PUBLISH_NODE_TYPE, pipelineNameSchema, publishNodeConfigSchema, type Pipeline, type PipelineInput } from '../domain/pipeline.js';
import type { SettingsDoc } from '../domain/settings.js';
import { invalid, notFound } from '../shared/errors.js';
import { parseWith } from '../shared/schema.js';
import { pipelineWarnings, type PipelineWarning } from '../reconcile/continuity.js';
import type { SettingsStore } from '../store/settings-store.js';
import { commit } from './commit.js';
import { refuseGenerated } from './read-only.js';

export interface PipelineView extends Pipeline {
  read_only: boolean;
  status: { warnings: PipelineWarning[] };
}

export interface PipelineOwnership {
  pipeline_name: string;
  implicit: boolean;
  enabled: boolean;
  processing_server_id: string;
  owner: Pipeline['metadata'];
  transmissions: { node_id: string; transmission_id: string; publication_id: string | null; transmission_exists: boolean; transmission_enabled: boolean | null }[];
  warnings: PipelineWarning[];
}

const view = (p: Pipeline): PipelineView => ({ ...p, read_only: p.metadata !== null, status: { warnings: pipelineWarnings(p) } });

/** Validates the graph: unique node ids, inputs that exist, publish nodes with a valid operator config (defaults filled in). */
function normalizeNodes(input: PipelineInput): Pipeline['nodes'] {
  const ids = new Set<string>();
  input.nodes.forEach((n, i) => {
    if (ids.has(n.id)) throw invalid(`nodes.${i}.id`, `"${n.id}" is used by another node`);
    ids.add(n.id);
  });
  return input.nodes.map((n, i) => {
    n.inputs.forEach((from, j) => {
      if (!ids.has(from)) throw invalid(`nodes.${i}.inputs.${j}`, `no node "${from}" in this pipeline`);
    });
    const config = n.type === PUBLISH_NODE_TYPE ? parseWith(publishNodeConfigSchema, n.config, `nodes.${i}.config`) : n.config;
    return { id: n.id, type: n.type, inputs: n.inputs, config };
  });
}

export function createPipelineService(store: SettingsStore) {
  const find = (doc: SettingsDoc, name: string) => {
    const p = doc.pipelines.find((x) => x.name === name);
    if (!p) throw notFound('pipeline', name);
    return p;
  };
  return {
    list: (): PipelineView[] => store.get().pipelines.map(view),
    get: (name: string): PipelineView => view(find(store.get(), name)),

    async put(name: string, input: PipelineInput): Promise<{ pipeline: PipelineView; created: boolean }> {
      refuseGenerated('pipeline', name, store.get().pipelines.find((p) => p.name === name)?.metadata);
      parseWith(pipelineNameSchema, name, 'name');
      const nodes = normalizeNodes(input);
      let created = false;
      const { doc } = await commit(store, (draft) => {
        const index = draft.pipelines.findIndex((p) => p.name === name);
        refuseGenerated('pipeline', name, draft.pipelines[index]?.metadata);
        const pipeline: Pipeline = { name, enabled: input.enabled, description: input.description, processing_server_id: input.processing_server_id, nodes, metadata: null };
        created = index < 0;
        if (created) draft.pipelines.push(pipeline);
        else draft.pipelines[index] = pipeline;
      });
      return { pipeline: view(find(doc, name)), created };
    },

    async remove(name: string): Promise<void> {
      await commit(store, (draft) => {
        refuseGenerated('pipeline', name, find(draft, name).metadata);
        draft.pipelines = draft.pipelines.filter((p) => p.name !== name);
      });
    },

    /** Which pipeline feeds which transmission, through which publish node. */
    ownership(): PipelineOwnership[] {
      const doc = store.get();
      const txs = new Map(doc.transmissions.map((t) => [t.id, t]));
      return doc.pipelines.map((p) => ({
        pipeline_name: p.name,
        implicit: p.metadata !== null,
        enabled: p.enabled,
        processing_server_id: p.processing_server_id,
        owner: p.metadata,
        transmissions: p.nodes
          .filter((n) => n.type === PUBLISH_NODE_TYPE && typeof n.config.transmission_id === 'string' && n.config.transmission_id !== '')
          .map((n) => {
            const id = n.config.transmission_id as string;
            const tx = txs.get(id);
            const own = p.metadata?.publication_id ?? pipelinePublicationId(p.name, n.id);
            return {
              node_id: n.id,
              transmission_id: id,
              publication_id: generatedTransmissionId(own) === id ? own : null,
              transmission_exists: tx !== undefined,
              transmission_enabled: tx?.enabled ?? null,
            };
          }),
        warnings: pipelineWarnings(p),
      }));
    },
  };
}
export type PipelineService = ReturnType<typeof createPipelineService>;
