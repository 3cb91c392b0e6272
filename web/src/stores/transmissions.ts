import type { Codec, GeneratedMeta, Pipeline, PipelineOwnership, ResolvedUrl, ResolvedUrls, Transmission, TransmissionHealth } from '../../../src/api/contract.js';
import { api } from '../api/client.js';
import { deleteDocument, saveDocument } from '../api/documents.js';
import { absoluteUrl, base, wsUrl } from '../base.js';
import { rowErrorField } from './form-errors.js';
import { createStore, errorMessage, type Fetcher, type Store } from './store.js';

/** The codecs an output may take, in the order the form offers them (the server's `CODECS`). */
export const CODECS = ['copy', 'h264', 'h265'] as const satisfies readonly Codec[];

export const isGenerated = (tx: Pick<Transmission, 'metadata'>): boolean => tx.metadata !== null;

/** A pipeline node that writes into a transmission. */
export interface Feeder {
  pipeline: string;
  node: string;
  enabled: boolean;
  /** Generated for a camera source rather than registered by a program or the wizard. */
  implicit: boolean;
  /** The node sits behind a motion gate or event-only stage: the stream shows a placeholder between events. */
  notContinuous: boolean;
}

/** Pipelines per transmission id. */
export function feedersByTransmission(pipelines: readonly Pick<PipelineOwnership, 'pipeline_name' | 'implicit' | 'enabled' | 'transmissions' | 'warnings'>[]): Record<string, Feeder[]> {
  const out: Record<string, Feeder[]> = {};
  for (const p of pipelines) {
    for (const t of p.transmissions) {
      (out[t.transmission_id] ??= []).push({
        pipeline: p.pipeline_name,
        node: t.node_id,
        enabled: p.enabled,
        implicit: p.implicit,
        // Named, not assumed: the server may add other warning codes.
        notContinuous: p.warnings.some((w: { code: string; node_id: string }) => w.code === 'not_continuous' && w.node_id === t.node_id),
      });
    }
  }
  return out;
}

export interface TransmissionsState {
  transmissions: Transmission[] | null;
  health: Readonly<Record<string, TransmissionHealth>>;
  feeders: Readonly<Record<string, Feeder[]>>;
  error: string | null;
}

export const createTransmissionsStore = (): Store<TransmissionsState> => createStore<TransmissionsState>({ transmissions: null, health: {}, feeders: {}, error: null });

export const transmissionsStore = createTransmissionsStore();

/**
 * The list, runtime health and pipeline ownership at once. Never throws; a part that fails keeps
 * its last good value and its error is shown; an abort changes nothing.
 */
export async function refreshTransmissions(store: Store<TransmissionsState>, signal: AbortSignal, fetcher: Fetcher = api): Promise<void> {
  const [list, health, pipelines] = await Promise.allSettled([
    fetcher<Transmission[]>('api/streams/transmissions', { signal }),
    fetcher<TransmissionHealth[]>('api/streams/runtime/health', { signal }),
    fetcher<PipelineOwnership[]>('api/streams/runtime/pipelines', { signal }),
  ]);
  if (signal.aborted) return;
  const failed = [list, health, pipelines].find((r) => r.status === 'rejected');
  store.set((prev) => ({
    transmissions: list.status === 'fulfilled' ? list.value : prev.transmissions,
    health: health.status === 'fulfilled' ? Object.fromEntries(health.value.map((h) => [h.transmission_id, h])) : prev.health,
    feeders: pipelines.status === 'fulfilled' ? feedersByTransmission(pipelines.value) : prev.feeders,
    error: failed ? errorMessage(failed.reason) : null,
  }));
}

/** Where a generated transmission is edited instead: the UI points there. */
export type OwnerPointer = { kind: 'camera'; camera: string; source: string } | { kind: 'pipeline'; pipeline: string; node: string } | { kind: 'publications' };

/** Mirrors the server's `ownerOf` (src/domain/generated.ts), which answers the same in its 409. */
export function ownerPointer(meta: GeneratedMeta): OwnerPointer {
  if (meta.owner_kind === 'camera_source' && meta.camera_id) return { kind: 'camera', camera: meta.camera_id, source: meta.camera_source_id ?? '' };
  if (meta.owner_kind === 'pipeline_output' && meta.pipeline_name) return { kind: 'pipeline', pipeline: meta.pipeline_name, node: meta.publish_node_id ?? '' };
  return { kind: 'publications' };
}

/** Numeric inputs are kept as typed; empty means "none" (null: keep the source's size or rate). */
export interface OutputForm {
  key: string;
  /** Empty for an output not saved yet (the server picks one). */
  id: string;
  name: string;
  enabled: boolean;
  /** Empty lets the server derive the path from the transmission and output ids. */
  engine_path: string;
  codec: Codec;
  width: string;
  height: string;
  fps: string;
  bitrate_kbps: string;
  enable_rtsp: boolean;
  enable_hls: boolean;
  enable_webrtc: boolean;
}

export interface TransmissionForm extends Pick<Transmission, 'name' | 'description' | 'enabled' | 'host_server_id' | 'input'> {
  /** The transmission being edited; null while creating one. */
  editing: string | null;
  /** Only asked for while creating: empty lets the server pick a UUID. */
  id: string;
  /** A select's value: empty for none (null on the server). */
  camera_id: string;
  camera_source_id: string;
  outputs: OutputForm[];
}

let keys = 0;
const nextKey = () => `output-${++keys}`;
const text = (n: number | null) => (n === null ? '' : String(n));

/** Starts from the values the server would pick for an omitted field, so what is shown is what gets saved. */
export function newOutputForm(): OutputForm {
  return {
    key: nextKey(),
    id: '',
    name: '',
    enabled: true,
    engine_path: '',
    codec: 'h264',
    width: '1280',
    height: '720',
    fps: '15',
    bitrate_kbps: '',
    enable_rtsp: true,
    enable_hls: true,
    enable_webrtc: false,
  };
}

/** A new transmission runs on this server (`serverId`, once the settings are loaded) unless another host is picked. */
export function emptyTransmissionForm(serverId = 'local'): TransmissionForm {
  return { editing: null, id: '', name: '', description: '', enabled: true, host_server_id: serverId, input: 'writers', camera_id: '', camera_source_id: '', outputs: [newOutputForm()] };
}

export function transmissionToForm(tx: Transmission): TransmissionForm {
  return {
    editing: tx.id,
    id: tx.id,
    name: tx.name,
    description: tx.description,
    enabled: tx.enabled,
    host_server_id: tx.host_server_id,
    input: tx.input,
    camera_id: tx.camera_id ?? '',
    camera_source_id: tx.camera_source_id ?? '',
    outputs: tx.outputs.map((o) => ({
      key: nextKey(),
      id: o.id,
      name: o.name,
      enabled: o.enabled,
      engine_path: o.engine_path,
      codec: o.codec,
      width: text(o.width),
      height: text(o.height),
      fps: text(o.fps),
      bitrate_kbps: text(o.bitrate_kbps),
      enable_rtsp: o.enable_rtsp,
      enable_hls: o.enable_hls,
      enable_webrtc: o.enable_webrtc,
    })),
  };
}

/**
 * Empty is null. Something that is not a number is sent as typed, so the server refuses it naming
 * the field (NaN would turn into a silent null in JSON).
 */
export function numberField(value: string): number | string | null {
  const trimmed = value.trim();
  if (trimmed === '') return null;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : trimmed;
}

function outputBody(o: OutputForm): Record<string, unknown> {
  return {
    ...(o.id ? { id: o.id } : {}),
    ...(o.name.trim() ? { name: o.name.trim() } : {}),
    ...(o.engine_path.trim() ? { engine_path: o.engine_path.trim() } : {}),
    enabled: o.enabled,
    codec: o.codec,
    width: numberField(o.width),
    height: numberField(o.height),
    fps: numberField(o.fps),
    bitrate_kbps: numberField(o.bitrate_kbps),
    enable_rtsp: o.enable_rtsp,
    enable_hls: o.enable_hls,
    enable_webrtc: o.enable_webrtc,
  };
}

/**
 * The POST/PUT body with every output: a PUT replaces the whole transmission, so an output left out
 * would be deleted. Outputs keep the form's order, so `outputs.N` errors point back at row N.
 */
export function transmissionBody(form: TransmissionForm): Record<string, unknown> {
  const fromCamera = form.input === 'camera_source';
  return {
    ...(form.editing === null && form.id.trim() ? { id: form.id.trim() } : {}),
    name: form.name,
    description: form.description,
    enabled: form.enabled,
    host_server_id: form.host_server_id.trim() || 'local',
    input: form.input,
    camera_id: fromCamera && form.camera_id ? form.camera_id : null,
    camera_source_id: fromCamera && form.camera_source_id ? form.camera_source_id : null,
    outputs: form.outputs.map(outputBody),
  };
}

const TX_FIELDS = new Set(['id', 'name', 'description', 'enabled', 'host_server_id', 'input', 'camera_id', 'camera_source_id', 'outputs']);
const OUTPUT_FIELDS = new Set(['name', 'enabled', 'engine_path', 'codec', 'width', 'height', 'fps', 'bitrate_kbps', 'enable_rtsp', 'enable_hls', 'enable_webrtc']);

/** `outputs.N.<field>` or the output row `outputs.N` (a clashing output id); null: the whole form. */
export function transmissionErrorField(field: string): string | null {
  if (TX_FIELDS.has(field)) return field;
  return rowErrorField(field, 'outputs', OUTPUT_FIELDS);
}

export function saveTransmission(form: TransmissionForm, call: typeof api = api): Promise<Transmission> {
  return saveDocument<Transmission>('api/streams/transmissions', form.editing, transmissionBody(form), call);
}

export function deleteTransmission(id: string, call: typeof api = api): Promise<void> {
  return deleteDocument('api/streams/transmissions', id, call);
}

/** The create-pipeline wizard (`POST api/streams/wizard/create-pipeline`, src/control/wizard.ts). */
export interface WizardForm {
  pipeline_name: string;
  /** Must equal the transmission's host; starts as it. */
  processing_server_id: string;
  /** Empty: the transmission's own camera (and its first source). */
  camera_id: string;
  camera_source_id: string;
  writer_priority: string;
  enabled: boolean;
}

export function wizardForm(tx: Transmission): WizardForm {
  return {
    pipeline_name: `wizard-${tx.id.slice(0, 8)}`,
    processing_server_id: tx.host_server_id,
    camera_id: tx.camera_id ?? '',
    camera_source_id: tx.camera_source_id ?? '',
    writer_priority: '0',
    enabled: true,
  };
}

export function wizardBody(transmissionId: string, form: WizardForm): Record<string, unknown> {
  return {
    transmission_id: transmissionId,
    pipeline_name: form.pipeline_name.trim(),
    processing_server_id: form.processing_server_id.trim() || 'local',
    ...(form.camera_id ? { camera_id: form.camera_id } : {}),
    ...(form.camera_id && form.camera_source_id ? { camera_source_id: form.camera_source_id } : {}),
    writer_priority: numberField(form.writer_priority) ?? 0,
    enabled: form.enabled,
  };
}

const WIZARD_FIELDS = new Set(['pipeline_name', 'processing_server_id', 'camera_id', 'camera_source_id', 'writer_priority', 'enabled']);
export const wizardErrorField = (field: string): string | null => (WIZARD_FIELDS.has(field) ? field : null);

export async function createPipeline(transmissionId: string, form: WizardForm, call: typeof api = api): Promise<Pipeline> {
  return call<Pipeline>('api/streams/wizard/create-pipeline', { method: 'POST', body: wizardBody(transmissionId, form) });
}

/** The WebSocket transports among the resolved URLs. */
const WS_PROTOCOLS: ReadonlySet<string> = new Set(['mse', 'jsmpeg']);

/**
 * Browser URLs come root-relative (with the ingress prefix), which a tool outside this page cannot
 * open: they get this page's origin, `ws(s):` for the WebSocket transports. RTSP is already absolute.
 */
export const resolvedUrl = (entry: Pick<ResolvedUrl, 'protocol' | 'url'>, origin: string): string => (WS_PROTOCOLS.has(entry.protocol) ? wsUrl : absoluteUrl)({ origin }, entry.url);

/**
 * The URLs, made absolute. Demand is primed alongside (best effort, as in the reference) so a
 * player pasted right away finds the stream running rather than a first-connect 404.
 */
export async function resolveUrls(id: string, call: typeof api = api, origin = base().origin): Promise<ResolvedUrls> {
  const path = `api/streams/transmissions/${encodeURIComponent(id)}`;
  const [answer] = await Promise.all([call<ResolvedUrls>(`${path}/urls`), call<unknown>(`${path}/demand/prime`, { method: 'POST' }).catch(() => undefined)]);
  return { ...answer, urls: answer.urls.map((u) => ({ ...u, url: resolvedUrl(u, origin) })) };
}
