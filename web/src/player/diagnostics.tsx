import { useT } from '../i18n/use-t.js';
import type { Snapshot } from './controller.js';
import type { Forcing } from './plan.js';
import type { DataState } from './data-state.js';
import { blockedText, warningText } from './texts.js';
import type { Transport } from '../../../src/api/contract.js';

interface Props {
  state: DataState;
  snap: Snapshot | null;
  forcing: Forcing;
}

/** Technical detail for the curious and for support: never the main message, whatever it says. */
export function Diagnostics({ state, snap, forcing }: Props) {
  const t = useT();
  const name = (tr: Transport | null) => (tr ? t(`player.transport.${tr}`) : t('player.diag.none'));
  const v = snap?.view;
  const health = snap?.health ?? null;
  const warnings = [...(snap?.plan?.mediaWarnings ?? []), ...(snap?.plan?.hlsWarnings ?? []), ...(snap?.plan?.webrtcWarnings ?? [])];
  if (health?.fallback_reason === 'writers_stale' || health?.fallback_reason === 'warming_up') warnings.push(health.fallback_reason);
  const forced = [forcing.transport && `transport=${forcing.transport}`, forcing.hls && `hls=${forcing.hls}`].filter(Boolean).join(' ');
  const rows: [string, string][] = [
    [t('player.diag.state'), t(`player.state.${state}`)],
    [t('player.diag.playing'), `${name(v?.playing ?? null)}${snap?.hlsEngine ? ` (${t(`player.hls_engine.${snap.hlsEngine}`)})` : ''}`],
    [t('player.diag.trying'), name(v?.trying ?? null)],
    [t('player.diag.probing'), name(v?.probing ?? null)],
    [t('player.diag.ttff'), snap?.ttffMs != null ? t('player.diag.ms', { ms: snap.ttffMs }) : t('player.diag.none')],
    [t('player.diag.next_climb'), snap?.climbAt != null ? new Date(snap.climbAt).toLocaleTimeString() : t('player.diag.none')],
    [t('player.diag.last_failure'), snap?.lastFailure ? `${name(snap.lastFailure.transport)}: ${snap.lastFailure.reason}` : t('player.diag.none')],
    [t('player.diag.frame_age'), health?.frame_age_ms != null ? t('player.diag.ms', { ms: health.frame_age_ms }) : t('player.diag.none')],
    [t('player.diag.writer'), health ? `${health.active_writer_id ?? t('player.diag.none')} / ${health.selected_writer_id ?? t('player.diag.none')}` : t('player.diag.none')],
  ];
  if (forced) rows.push([t('player.diag.forced'), forced]);
  return (
    <div class="player-diagnostics" data-diagnostics="">
      <strong>{t('player.diag.title')}</strong>
      <dl>
        {rows.map(([k, val]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{val}</dd>
          </div>
        ))}
      </dl>
      {snap?.plan && snap.plan.blocked.length > 0 && (
        <div data-diagnostics-blocked="">
          <em>{t('player.diag.unavailable')}</em>
          <ul>
            {snap.plan.blocked.map((b) => (
              <li key={b.transport} data-transport={b.transport} data-reason={b.reason}>
                {name(b.transport)}: {blockedText(t, b.reason)}
              </li>
            ))}
          </ul>
        </div>
      )}
      {warnings.length > 0 && (
        <div data-diagnostics-warnings="">
          <em>{t('player.diag.warnings')}</em>
          <ul>
            {warnings.map((w) => (
              <li key={w}>{warningText(t, w)}</li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
