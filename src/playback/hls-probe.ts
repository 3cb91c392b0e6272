/**
 * The HLS probe (`GET /api/streams/transmissions/{id}/hls/probe`): fetches, server-side, the
 * playlist and first segment of a transmission's HLS output from MediaMTX, on a session of its own
 * (never cached), and reports each stage's status, time and error.
 */
import type { EngineManager, EngineState } from '../engine/engine.js';
import type { PlannedOutput } from '../runtime/path-plan.js';
import { ApiError } from '../shared/errors.js';
import type { RewrittenPlaylist } from './hls-playlist.js';
import { openSession, rewriteUpstream, sessionRequest, type SessionScope, type UpstreamSession } from './hls-sessions.js';
import { readLimited, UpstreamError, upstreamFailure, type HlsUpstream } from './hls-upstream.js';

interface HlsProbeStage {
  ok: boolean;
  /** MediaMTX's HTTP status; null when nothing answered. */
  status: number | null;
  ms: number;
  error: string | null;
}

export interface HlsProbeReport {
  transmission_id: string;
  output_id: string;
  path: string;
  engine_state: EngineState;
  playlist: HlsProbeStage;
  segment: HlsProbeStage & { bytes: number };
}

export interface HlsProbeOptions {
  engine: Pick<EngineManager, 'internalHttpBase' | 'status'>;
  outputs: () => readonly PlannedOutput[];
  upstream: HlsUpstream;
  /** Each stage's bound. */
  timeoutMs: number;
  now: () => number;
}

const MAX_PROBE_SEGMENT_BYTES = 64 * 1024 * 1024;

const describe = (err: unknown) => (err instanceof UpstreamError ? err.apiError.message : (err as Error).message);
const statusOf = (err: unknown) => (err instanceof UpstreamError ? err.upstreamStatus : null);

/** The output a probe looks at: the one asked for, else the transmission's first with HLS. */
function probedOutput(outputs: readonly PlannedOutput[], transmissionId: string, outputId: string | undefined): PlannedOutput {
  const mine = outputs.filter((o) => o.transmission_id === transmissionId);
  if (mine.length === 0) throw new ApiError(404, 'not_found', `transmission "${transmissionId}" does not exist, is disabled or has no enabled output`);
  if (outputId === undefined) {
    const out = mine.find((o) => o.output.enable_hls);
    if (!out) throw new ApiError(404, 'hls_disabled', `transmission "${transmissionId}" has no output with HLS enabled`);
    return out;
  }
  const out = mine.find((o) => o.output_id === outputId);
  if (!out) throw new ApiError(404, 'not_found', `output "${outputId}" of transmission "${transmissionId}" does not exist or is disabled`, 'output_id');
  if (!out.output.enable_hls) throw new ApiError(404, 'hls_disabled', `HLS is turned off for output "${outputId}"`, 'output_id');
  return out;
}

export function createHlsProbe(options: HlsProbeOptions) {
  const { engine, outputs, upstream, timeoutMs, now } = options;

  /** GET a file of the probe's session. */
  async function getFile(scope: SessionScope, session: UpstreamSession, file: string) {
    const { url, headers } = sessionRequest(scope, session, file);
    return { url, res: await upstream.get(url, { timeoutMs, headers }) };
  }

  /** The multivariant playlist (a new session), then its first variant: the session and the media playlist. */
  async function playlistStage(scope: SessionScope, report: HlsProbeReport): Promise<{ session: UpstreamSession; media: RewrittenPlaylist }> {
    const opened = await openSession(upstream, scope, { timeoutMs });
    let media = opened.playlist;
    report.playlist.status = 200;
    if (media.multivariant) {
      const variant = media.lines[0];
      if (!variant) throw new Error('the multivariant playlist lists no variant');
      const { url, res } = await getFile(scope, opened.session, variant);
      report.playlist.status = res.status;
      if (res.status !== 200) throw await upstreamFailure(res, variant);
      media = rewriteUpstream(await readLimited(res), url, scope.token);
    }
    if (media.lines.length === 0) throw new Error('the media playlist lists no segment');
    return { session: opened.session, media };
  }

  /** The first segment listed, read to the end and counted. */
  async function segmentStage(scope: SessionScope, session: UpstreamSession, first: string, report: HlsProbeReport): Promise<void> {
    const { res } = await getFile(scope, session, first);
    report.segment.status = res.status;
    if (res.status !== 200) throw await upstreamFailure(res, first);
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      report.segment.bytes += value.byteLength;
      if (report.segment.bytes > MAX_PROBE_SEGMENT_BYTES) {
        await reader.cancel().catch(() => undefined);
        break;
      }
    }
    report.segment.ok = report.segment.bytes > 0;
    if (!report.segment.ok) report.segment.error = 'the segment is empty';
  }

  /** Fetches the playlist and first segment of a transmission's HLS output, server-side. */
  return async function probe(transmissionId: string, outputId?: string): Promise<HlsProbeReport> {
    const out = probedOutput(outputs(), transmissionId, outputId);
    const report: HlsProbeReport = {
      transmission_id: transmissionId,
      output_id: out.output_id,
      path: out.path,
      engine_state: engine.status().state,
      playlist: { ok: false, status: null, ms: 0, error: null },
      segment: { ok: false, status: null, ms: 0, bytes: 0, error: null },
    };
    const base = engine.internalHttpBase('hls');
    if (!base) {
      report.playlist.error = `engine is ${report.engine_state}`;
      report.segment.error = 'not tried: no playlist';
      return report;
    }
    const scope: SessionScope = { base, path: out.path, token: 'probe' };
    let t0 = now();
    let found: { session: UpstreamSession; media: RewrittenPlaylist };
    try {
      found = await playlistStage(scope, report);
      report.playlist.ok = true;
    } catch (err) {
      report.playlist.status = statusOf(err) ?? report.playlist.status;
      report.playlist.error = describe(err);
      report.playlist.ms = now() - t0;
      report.segment.error = 'not tried: no playlist';
      return report;
    }
    report.playlist.ms = now() - t0;
    t0 = now();
    try {
      await segmentStage(scope, found.session, found.media.lines[0]!, report);
    } catch (err) {
      report.segment.status = statusOf(err) ?? report.segment.status;
      report.segment.error = describe(err);
    }
    report.segment.ms = now() - t0;
    return report;
  };
}
