/**
 * The stats overlay over the picture (off unless the tile asks): transport, resolution, fps, bitrate,
 * latency, frames, time to first frame and the fallback history. It reads the controller's figures on
 * its own interval while shown; nothing is read while it is off.
 *
 * DOM hooks for browser tests: `[data-stats]`, one `[data-stat=<name>]` per figure with its raw value
 * in `data-value` (empty when unknown), and `[data-stats-history] li` per history entry.
 */
import { useEffect, useState } from 'preact/hooks';
import { useT } from '../i18n/use-t.js';
import type { LiveStats } from './stats.js';

/** Figures refresh this often: readable, and cheap for a grid of tiles. */
const REFRESH_MS = 500;

interface Props {
  /** The running controller's reader; null while nothing runs. */
  read: () => LiveStats | null;
}

export function StatsOverlay({ read }: Props) {
  const t = useT();
  const [s, setS] = useState<LiveStats | null>(() => read());
  useEffect(() => {
    const timer = setInterval(() => setS(read()), REFRESH_MS);
    return () => clearInterval(timer);
  }, [read]);

  const none = t('player.diag.none');
  const transport = s?.transport ? `${t(`player.transport.${s.transport}`)}${s.hlsEngine ? ` (${t(`player.hls_engine.${s.hlsEngine}`)})` : ''}` : none;
  const rows: [name: string, label: string, value: number | string | null, text: string][] = [
    ['transport', t('player.stats.transport'), s?.transport ?? null, transport],
    ['resolution', t('player.stats.resolution'), s?.width && s.height ? `${s.width}x${s.height}` : null, s?.width && s.height ? `${s.width}×${s.height}` : none],
    ['fps', t('player.stats.fps'), s?.fps ?? null, s?.fps != null ? s.fps.toFixed(1) : none],
    ['bitrate', t('player.stats.bitrate'), s?.bitrateBps ?? null, s?.bitrateBps != null ? t('player.stats.kbps', { kbps: Math.round(s.bitrateBps / 1000) }) : none],
    ['latency', t('player.stats.latency'), s?.latencyS ?? null, s?.latencyS != null ? t('player.stats.seconds', { s: s.latencyS.toFixed(2) }) : none],
    ['frames', t('player.stats.frames'), s?.decodedFrames ?? null, s?.decodedFrames != null ? t('player.stats.frame_counts', { decoded: s.decodedFrames, dropped: s.droppedFrames ?? 0 }) : none],
    ['ttff', t('player.stats.ttff'), s?.ttffMs ?? null, s?.ttffMs != null ? t('player.diag.ms', { ms: s.ttffMs }) : none],
  ];
  const history = s?.history ?? [];
  return (
    <div class="player-stats" data-stats="">
      <dl>
        {rows.map(([name, label, value, text]) => (
          <div key={name} data-stat={name} data-value={value ?? ''}>
            <dt>{label}</dt>
            <dd>{text}</dd>
          </div>
        ))}
      </dl>
      {history.length > 0 && (
        <ul data-stats-history="">
          {history.map((e) => (
            <li key={`${e.at}-${e.kind}-${e.transport}`} data-kind={e.kind} data-transport={e.transport}>
              {new Date(e.at).toLocaleTimeString()}{' '}
              {t(`player.stats.event.${e.kind}`, { transport: t(`player.transport.${e.transport}`), from: e.from ? t(`player.transport.${e.from}`) : none, reason: e.reason ?? '' })}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
