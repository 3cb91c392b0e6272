import equal from 'fast-deep-equal';
import type { StoredCamera } from '../domain/camera.js';
import { generatedTransmissionId, pipelinePublicationId } from '../domain/ids.js';
import { PUBLISH_NODE_TYPE, type Pipeline } from '../domain/pipeline.js';
import type { Publication } from '../domain/publication.js';
import type { ControlPlane } from '../domain/settings.js';
import type { Transmission } from '../domain/transmission.js';
import { enginePathFor, generatedTransmission, implicitPipeline, liveViews } from './artifacts.js';
import { cameraPublications, pipelinePublications, publishConfig } from './publications.js';

type ArtifactKind = 'publication' | 'transmission' | 'pipeline' | 'live_view';
interface ArtifactRef {
  kind: ArtifactKind;
  id: string;
}
/** What reconciling changed relative to its input (the caller's own edit is not in it). */
export interface ReconcileDiff {
  created: ArtifactRef[];
  updated: ArtifactRef[];
  removed: ArtifactRef[];
}
export interface ReconcileResult {
  plane: ControlPlane;
  diff: ReconcileDiff;
}

interface Generated {
  pubs: Publication[];
  txs: Transmission[];
  pipes: Pipeline[];
}

/**
 * Turns publication intent (camera sources marked for publishing, publish nodes of registered
 * pipelines) into the generated artifacts. Pure: the same input gives the same output, and
 * reconciling the output again changes nothing. Unchanged artifacts keep their object identity,
 * so callers (and the memo below) can skip work by reference.
 */
export function reconcile(input: ControlPlane): ReconcileResult {
  const cameras = new Map(input.cameras.map((c) => [c.id, c]));
  const previous: Previous = {
    pubs: new Map(input.publications.map((p) => [p.id, p])),
    txs: new Map(input.transmissions.map((t) => [t.id, t])),
    pipes: new Map(input.pipelines.map((p) => [p.name, p])),
  };
  const host = input.streaming.server_id;
  const manualTx = input.transmissions.filter((t) => !t.metadata);
  const external = input.pipelines.filter((p) => !p.metadata).map(writeBackTransmissionId);

  const fromCameras = input.cameras.map((c) => cameraArtifacts(c, previous, host));
  const fromPipelines = pipelineArtifacts(external, cameras, manualTx, previous);
  const pubs = [...fromCameras.flatMap((g) => g.pubs), ...fromPipelines.pubs];
  const generatedTx = [...fromCameras.flatMap((g) => g.txs), ...fromPipelines.txs];

  const previousViews = new Map(input.live_views.map((l) => [l.id, l]));
  const views = liveViews(pubs, cameras, previousViews);

  const plane: ControlPlane = {
    cameras: input.cameras,
    streaming: input.streaming,
    publications: pubs,
    transmissions: [...manualTx, ...generatedTx],
    pipelines: [...external, ...fromCameras.flatMap((g) => g.pipes)],
    live_views: views,
  };
  const diff: ReconcileDiff = { created: [], updated: [], removed: [] };
  compare(diff, 'publication', input.publications, previous.pubs, pubs, (p) => p.id);
  compare(
    diff,
    'transmission',
    input.transmissions.filter((t) => t.metadata),
    previous.txs,
    generatedTx,
    (t) => t.id,
  );
  compare(diff, 'pipeline', input.pipelines, previous.pipes, plane.pipelines, (p) => p.name);
  compare(diff, 'live_view', input.live_views, previousViews, views, (l) => l.id);
  return { plane, diff };
}

export const isEmptyDiff = (d: ReconcileDiff) => d.created.length + d.updated.length + d.removed.length === 0;

interface Previous {
  pubs: ReadonlyMap<string, Publication>;
  txs: ReadonlyMap<string, Transmission>;
  pipes: ReadonlyMap<string, Pipeline>;
}

/**
 * What a camera generates depends only on the camera, its previous publications (the user's
 * overrides) and the default host. When all three are the objects of the last run, the last
 * result is still right: this memo is what makes one changed source cost microseconds, not a
 * rebuild and deep comparison of every camera.
 */
const cameraMemo = new WeakMap<StoredCamera, Generated & { host: string }>();

function cameraArtifacts(camera: StoredCamera, previous: Previous, host: string): Generated {
  const memo = cameraMemo.get(camera);
  if (memo?.host === host && memo.pubs.every((p) => previous.pubs.get(p.id) === p)) return memo;
  const pubs = cameraPublications([camera], previous.pubs, host).map((p) => keep(previous.pubs.get(p.id), p));
  const txs: Transmission[] = [];
  const pipes: Pipeline[] = [];
  for (const pub of pubs) {
    // Camera paths cannot clash: ids are unique per camera and manual paths may not use "cam/".
    const tx = keep(previous.txs.get(generatedTransmissionId(pub.id)), generatedTransmission(pub, camera, enginePathFor(pub, new Set())));
    txs.push(tx);
    const pipe = implicitPipeline(pub, tx.id);
    pipes.push(keep(previous.pipes.get(pipe.name), pipe));
  }
  const result = { pubs, txs, pipes, host };
  cameraMemo.set(camera, result);
  return result;
}

function pipelineArtifacts(external: readonly Pipeline[], cameras: ReadonlyMap<string, StoredCamera>, manualTx: readonly Transmission[], previous: Previous): Generated {
  const taken = new Set(manualTx.flatMap((t) => t.outputs.map((o) => o.engine_path)));
  const pubs = pipelinePublications(external).map((p) => keep(previous.pubs.get(p.id), p));
  const txs = pubs.map((pub) => {
    const tx = generatedTransmission(pub, pub.camera_id ? cameras.get(pub.camera_id) : undefined, enginePathFor(pub, taken));
    return keep(previous.txs.get(tx.id), tx);
  });
  return { pubs, txs, pipes: [] };
}

function keep<T>(previous: T | undefined, next: T): T {
  return previous !== undefined && equal(previous, next) ? previous : next;
}

/**
 * A publish node with publication enabled targets its generated transmission; one whose
 * publication was switched off no longer points at the transmission that is going away.
 */
function writeBackTransmissionId(pipeline: Pipeline): Pipeline {
  let nodes: Pipeline['nodes'] | null = null;
  for (const [i, node] of pipeline.nodes.entries()) {
    if (node.type !== PUBLISH_NODE_TYPE) continue;
    const cfg = publishConfig(node.config);
    if (!cfg) continue;
    const generated = generatedTransmissionId(pipelinePublicationId(pipeline.name, node.id));
    const target = cfg.publication_enabled ? generated : cfg.transmission_id === generated ? '' : cfg.transmission_id;
    if (target === cfg.transmission_id) continue;
    nodes ??= [...pipeline.nodes];
    nodes[i] = { ...node, config: { ...node.config, transmission_id: target } };
  }
  return nodes ? { ...pipeline, nodes } : pipeline;
}

/**
 * `byId` indexes `before` (it may hold more, e.g. manual transmissions, whose ids never clash with
 * generated ones). Ids are unique, so |after| = |before| - removed + created: when that leaves no
 * removal, `before` is not scanned again.
 */
function compare<T>(diff: ReconcileDiff, kind: ArtifactKind, before: readonly T[], byId: ReadonlyMap<string, T>, after: readonly T[], id: (x: T) => string) {
  let created = 0;
  for (const x of after) {
    const prev = byId.get(id(x));
    if (prev === undefined) {
      created++;
      diff.created.push({ kind, id: id(x) });
    } else if (prev !== x && !equal(prev, x)) diff.updated.push({ kind, id: id(x) });
  }
  if (before.length + created === after.length) return;
  const kept = new Set(after.map(id));
  for (const x of before) if (!kept.has(id(x))) diff.removed.push({ kind, id: id(x) });
}
