import type { TransmissionHealth } from '../../../../src/api/contract.js';
import { useT } from '../../i18n/use-t.js';
import { langStore } from '../../i18n/i18n.js';
import { useStore } from '../../stores/use-store.js';
import { Table } from './table.js';

/** Milliseconds below a second, seconds with one decimal above, in the UI language's number format. */
function useAge(): (ms: number | null) => string {
  const t = useT();
  const lang = useStore(langStore);
  const seconds = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  return (ms) => (ms === null ? t('settings.none') : ms < 1000 ? t('settings.health.ms', { ms }) : t('settings.health.s', { s: seconds.format(ms / 1000) }));
}

/** One line in the row: why a placeholder shows, or who feeds the live picture. Nothing for an idle camera stream. */
export function HealthSummary({ health }: { health: TransmissionHealth | undefined }) {
  const t = useT();
  const age = useAge();
  if (health?.fallback_reason) {
    return (
      <p class="settings-reason settings-reason--warn" data-testid="health-summary">
        {t('settings.health.placeholderNow', { reason: t(`settings.health.reason.${health.fallback_reason}`) })}
      </p>
    );
  }
  if (!health?.active_writer_id) return null;
  return (
    <p class="settings-hint" data-testid="health-summary">
      {t('settings.health.live', { writer: health.active_writer_id, age: age(health.frame_age_ms) })}
    </p>
  );
}

/** The runtime's view of one transmission: who writes, who is selected, why a placeholder shows, frame age. */
export function HealthView({ health }: { health: TransmissionHealth | undefined }) {
  const t = useT();
  const age = useAge();
  if (!health) return <p class="settings-hint">{t('settings.health.unknown')}</p>;
  const none = t('settings.none');
  return (
    <div class="settings-health" data-testid="transmission-health" data-fallback={health.fallback_reason ?? ''}>
      <dl class="settings-facts">
        <dt>{t('settings.health.active')}</dt>
        <dd data-testid="health-active">{health.active_writer_id ?? none}</dd>
        <dt>{t('settings.health.selected')}</dt>
        <dd>{health.selected_writer_id ?? none}</dd>
        <dt>{t('settings.health.fallback')}</dt>
        <dd>{health.fallback_reason ? t(`settings.health.reason.${health.fallback_reason}`) : none}</dd>
        <dt>{t('settings.health.frameAge')}</dt>
        <dd>{age(health.frame_age_ms)}</dd>
        <dt>{t('settings.health.demand')}</dt>
        <dd>{health.demand ? t('settings.yes') : t('settings.no')}</dd>
      </dl>
      {health.writers.length > 0 && (
        <Table head={[t('settings.health.writer'), t('settings.health.priority'), t('settings.health.state'), t('settings.health.frameAge')]}>
          {health.writers.map((w) => (
            <tr key={w.id}>
              <td>
                <code>{w.id}</code>
              </td>
              <td>{w.priority}</td>
              <td>{t(w.state === 'closed' ? 'settings.health.writer.closed' : w.fresh ? 'settings.health.writer.fresh' : 'settings.health.writer.stale')}</td>
              <td>{age(w.frame_age_ms)}</td>
            </tr>
          ))}
        </Table>
      )}
      {health.outputs.length > 0 && (
        <Table head={[t('settings.urls.output'), t('settings.health.feed'), t('settings.health.publisher'), t('settings.health.readers')]}>
          {health.outputs.map((o) => (
            <tr key={o.output_id}>
              <td>
                <code>{o.path}</code>
              </td>
              <td>{t(`settings.health.feed.${o.feed}`)}</td>
              <td>{t(`settings.health.publisher.${o.publisher}`)}</td>
              <td>{o.readers ?? none}</td>
            </tr>
          ))}
        </Table>
      )}
      {health.problems.map((p) => (
        <p key={p} class="settings-reason">
          {p}
        </p>
      ))}
    </div>
  );
}
