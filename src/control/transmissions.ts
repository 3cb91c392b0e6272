import { randomUUID } from 'node:crypto';
import { uniqueId } from '../domain/ids.js';
import type { SettingsDoc } from '../domain/settings.js';
import type { Output, OutputInput, Transmission, TransmissionInput } from '../domain/transmission.js';
import { ApiError, invalid, notFound } from '../shared/errors.js';
import type { SettingsStore } from '../store/settings-store.js';
import { commit } from './commit.js';
import { refuseGenerated } from './read-only.js';

function findTx(doc: SettingsDoc, id: string): Transmission {
  const tx = doc.transmissions.find((t) => t.id === id);
  if (!tx) throw notFound('transmission', id);
  return tx;
}

function toOutput(input: OutputInput, txId: string, takenIds: Set<string>, field: string): Output {
  const id = input.id ?? uniqueId('out', takenIds);
  if (takenIds.has(id)) throw invalid(field ? `${field}.id` : 'id', `"${id}" is used by another output of this transmission`);
  takenIds.add(id);
  return {
    id,
    name: input.name ?? id,
    enabled: input.enabled,
    engine_path: input.engine_path ?? `tx/${txId.slice(0, 8)}/${id}`,
    codec: input.codec,
    width: input.width,
    height: input.height,
    fps: input.fps,
    bitrate_kbps: input.bitrate_kbps,
    enable_rtsp: input.enable_rtsp,
    enable_hls: input.enable_hls,
    enable_webrtc: input.enable_webrtc,
  };
}

const outputsField = (i: number) => `outputs.${i}`;

/**
 * Checks that hold across the whole document: camera references, copy only from cameras, one
 * owner per engine path. `fieldOf` names an output in errors ("" when the body is that output).
 */
function checkTransmission(doc: SettingsDoc, tx: Transmission, fieldOf: (outputIndex: number) => string = outputsField): void {
  if (tx.input === 'camera_source') {
    if (!tx.camera_id) throw invalid('camera_id', 'is required when input is "camera_source"');
    if (!tx.camera_source_id) throw invalid('camera_source_id', 'is required when input is "camera_source"');
    const camera = doc.cameras.find((c) => c.id === tx.camera_id);
    if (!camera) throw invalid('camera_id', `no camera "${tx.camera_id}"`);
    if (!camera.sources.some((s) => s.id === tx.camera_source_id)) throw invalid('camera_source_id', `camera "${tx.camera_id}" has no source "${tx.camera_source_id}"`);
  }
  const paths = new Map<string, string>();
  for (const other of doc.transmissions) {
    if (other.id === tx.id) continue;
    for (const o of other.outputs) paths.set(o.engine_path, other.id);
  }
  tx.outputs.forEach((o, i) => {
    const field = (name: string) => [fieldOf(i), name].filter(Boolean).join('.');
    if (o.codec === 'copy' && tx.input !== 'camera_source') throw invalid(field('codec'), '"copy" needs a camera source input; writers need an encoder');
    const owner = paths.get(o.engine_path);
    if (owner !== undefined) {
      throw new ApiError(409, 'engine_path_taken', `${field('engine_path')}: "${o.engine_path}" is used by transmission ${owner}`, field('engine_path'));
    }
    paths.set(o.engine_path, tx.id);
  });
}

function build(input: TransmissionInput, id: string): Transmission {
  const ids = new Set<string>();
  return {
    id,
    name: input.name,
    description: input.description,
    enabled: input.enabled,
    host_server_id: input.host_server_id,
    input: input.input,
    camera_id: input.input === 'camera_source' ? input.camera_id : null,
    camera_source_id: input.input === 'camera_source' ? input.camera_source_id : null,
    outputs: input.outputs.map((o, i) => toOutput(o, id, ids, `outputs.${i}`)),
    metadata: null,
  };
}

export function createTransmissionService(store: SettingsStore) {
  const editable = (draft: SettingsDoc, id: string) => {
    const tx = findTx(draft, id);
    refuseGenerated('transmission', id, tx.metadata);
    return tx;
  };
  /** `change` returns the index of the output the request body describes, so errors name its fields plainly. */
  const saveOutputs = async (txId: string, change: (tx: Transmission) => number) =>
    commit(store, (draft) => {
      const tx = editable(draft, txId);
      const bodyIndex = change(tx);
      checkTransmission(draft, tx, (i) => (i === bodyIndex ? '' : outputsField(i)));
    });

  return {
    list: (): Transmission[] => store.get().transmissions,
    get: (id: string): Transmission => findTx(store.get(), id),

    async create(input: TransmissionInput): Promise<Transmission> {
      const id = input.id ?? randomUUID();
      const tx = build(input, id);
      await commit(store, (draft) => {
        if (draft.transmissions.some((t) => t.id === id)) throw new ApiError(409, 'already_exists', `transmission "${id}" already exists`, 'id');
        checkTransmission(draft, tx);
        draft.transmissions.push(tx);
      });
      return findTx(store.get(), id);
    },

    async replace(id: string, input: TransmissionInput): Promise<Transmission> {
      if (input.id !== undefined && input.id !== id) throw invalid('id', `must match the transmission in the path ("${id}")`);
      await commit(store, (draft) => {
        editable(draft, id);
        const tx = build(input, id);
        checkTransmission(draft, tx);
        draft.transmissions = draft.transmissions.map((t) => (t.id === id ? tx : t));
      });
      return findTx(store.get(), id);
    },

    async remove(id: string): Promise<void> {
      await commit(store, (draft) => {
        editable(draft, id);
        draft.transmissions = draft.transmissions.filter((t) => t.id !== id);
      });
    },

    listOutputs: (txId: string): Output[] => findTx(store.get(), txId).outputs,

    async addOutput(txId: string, input: OutputInput): Promise<Output> {
      let created!: Output;
      await saveOutputs(txId, (tx) => {
        created = toOutput(input, tx.id, new Set(tx.outputs.map((o) => o.id)), '');
        return tx.outputs.push(created) - 1;
      });
      return created;
    },

    async replaceOutput(txId: string, outputId: string, input: OutputInput): Promise<Output> {
      if (input.id !== undefined && input.id !== outputId) throw invalid('id', `must match the output in the path ("${outputId}")`);
      let replaced!: Output;
      await saveOutputs(txId, (tx) => {
        const index = tx.outputs.findIndex((o) => o.id === outputId);
        if (index < 0) throw notFound('output', outputId);
        const others = new Set(tx.outputs.filter((o) => o.id !== outputId).map((o) => o.id));
        replaced = toOutput({ ...input, id: outputId }, tx.id, others, '');
        tx.outputs[index] = replaced;
        return index;
      });
      return replaced;
    },

    async removeOutput(txId: string, outputId: string): Promise<void> {
      await saveOutputs(txId, (tx) => {
        if (!tx.outputs.some((o) => o.id === outputId)) throw notFound('output', outputId);
        tx.outputs = tx.outputs.filter((o) => o.id !== outputId);
        return -1;
      });
    },
  };
}
export type TransmissionService = ReturnType<typeof createTransmissionService>;
