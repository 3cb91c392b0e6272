import type { Pipeline, PipelineNode } from '../domain/pipeline.js';
import { PUBLISH_NODE_TYPE } from '../domain/pipeline.js';

export interface PipelineWarning {
  code: 'not_continuous';
  node_id: string;
  message: string;
}

const DETECTION_TYPE = /(^|\.)(detect|detector|detection|track|tracker|tracking)(\.|_|$)/;

/** Gates drop frames between events; event-only detectors/trackers emit only when something happens. */
function interruptsVideo(node: PipelineNode): boolean {
  if (node.type.endsWith('.gate') || node.type.includes('gate.') || node.type.endsWith('_gate')) return true;
  if (!DETECTION_TYPE.test(node.type)) return false;
  const mode = node.config.mode ?? node.config.output_mode;
  return node.config.event_only === true || mode === 'event' || mode === 'events';
}

/** Warnings for publish nodes whose upstream graph cannot produce continuous live video. */
export function pipelineWarnings(pipeline: Pipeline): PipelineWarning[] {
  const byId = new Map(pipeline.nodes.map((n) => [n.id, n]));
  const warnings: PipelineWarning[] = [];
  for (const node of pipeline.nodes) {
    if (node.type !== PUBLISH_NODE_TYPE) continue;
    const culprit = findUpstream(node, byId, interruptsVideo);
    if (culprit) {
      warnings.push({
        code: 'not_continuous',
        node_id: node.id,
        message: `stream.publish_video "${node.id}" is downstream of "${culprit.id}" (${culprit.type}), which does not pass continuous video: the stream will show a placeholder between events`,
      });
    }
  }
  return warnings;
}

function findUpstream(start: PipelineNode, byId: ReadonlyMap<string, PipelineNode>, match: (n: PipelineNode) => boolean): PipelineNode | null {
  const seen = new Set<string>([start.id]);
  const queue = [...start.inputs];
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (seen.has(id)) continue; // cycles are tolerated, not followed twice
    seen.add(id);
    const node = byId.get(id);
    if (!node) continue;
    if (match(node)) return node;
    queue.push(...node.inputs);
  }
  return null;
}
