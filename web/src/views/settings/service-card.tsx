import { useT } from '../../i18n/use-t.js';
import type { EngineStatus, SidecarStatus } from '../../../../src/api/contract.js';
import { runServiceAction, servicesStore, type Service, type ServiceAction } from '../../stores/services.js';
import { useStore } from '../../stores/use-store.js';
import { settingLabelKey } from './settings-form.js';
import { settingsErrorField } from './streaming-settings.js';

const ACTIONS: readonly ServiceAction[] = ['start', 'stop', 'restart', 'download'];

/** Which buttons make sense; the server copes with any, this spares pointless clicks. */
function enabled(action: ServiceAction, state: string, status: EngineStatus | SidecarStatus): boolean {
  switch (action) {
    case 'start':
      return state === 'stopped' || state === 'crashed' || state === 'failed' || state === 'missing';
    case 'stop':
      return state === 'running' || state === 'starting' || state === 'crashed';
    case 'restart':
      return state !== 'disabled' && state !== 'missing';
    case 'download':
      // A download the settings forbid, or go2rtc without a pinned checksum for this platform, is refused.
      return state === 'missing' && status.download.allowed && (!('pinned' in status.download) || status.download.pinned);
  }
}

export interface ServiceCardProps {
  service: Service;
  status: EngineStatus | SidecarStatus | null;
}

/** MediaMTX or go2rtc: state, why, lifecycle buttons. */
export function ServiceCard({ service, status }: ServiceCardProps) {
  const t = useT();
  const { busy, failure } = useStore(servicesStore);
  const state = status?.state ?? 'unknown';
  const mine = failure?.service === service ? failure : null;
  const setting = mine?.field ? settingsErrorField(mine.field) : null;
  return (
    <section class="settings-card settings-service" data-testid={`${service}-status`} data-state={state}>
      <h3>
        {t(`settings.service.${service}`)} <span class={`settings-state settings-state--${state}`}>{t(`streams.state.${state}`)}</span>
      </h3>
      {status && (
        <dl class="settings-facts">
          <dt>{t('settings.service.version')}</dt>
          <dd>{'running_version' in status && status.running_version ? status.running_version : status.version}</dd>
          {status.pid !== null && (
            <>
              <dt>{t('settings.service.pid')}</dt>
              <dd>{status.pid}</dd>
            </>
          )}
          {status.binary.path && (
            <>
              <dt>{t('settings.service.binary')}</dt>
              <dd>
                <code>{status.binary.path}</code>
              </dd>
            </>
          )}
          {status.restarts > 0 && (
            <>
              <dt>{t('settings.service.restarts')}</dt>
              <dd>{status.restarts}</dd>
            </>
          )}
          {'ports' in status && (
            <>
              <dt>{t('settings.service.ports')}</dt>
              <dd>
                {Object.entries(status.ports)
                  .map(([name, p]) => {
                    const port = `${t(`settings.port.${name as keyof EngineStatus['ports']}`)} ${p.actual ?? p.preferred}`;
                    return p.changed ? `${port} ${t('settings.port.taken', { preferred: p.preferred })}` : port;
                  })
                  .join(' · ')}
              </dd>
            </>
          )}
          {'streams' in status && (
            <>
              <dt>{t('settings.service.streams')}</dt>
              <dd>{t('settings.service.streamsValue', { configured: status.streams.configured, desired: status.streams.desired })}</dd>
            </>
          )}
        </dl>
      )}
      {status?.binary.reason && <p class="settings-reason">{t('settings.service.reason', { reason: status.binary.reason })}</p>}
      {status?.last_error && <p class="settings-reason">{t('settings.service.lastError', { error: status.last_error })}</p>}
      {status?.download.last_error && <p class="settings-reason">{t('settings.service.downloadError', { error: status.download.last_error })}</p>}
      {status?.download.in_progress && <p class="settings-hint">{t('settings.service.downloading')}</p>}
      {state === 'missing' && status && !status.download.allowed && <p class="settings-hint">{t(`settings.service.${service}.downloadOff`)}</p>}
      {state === 'disabled' && <p class="settings-hint">{t('settings.service.mse.disabled')}</p>}
      {mine && (
        <div class="settings-form-error" role="alert">
          {t('common.error', { message: mine.message })}
          {setting && <p class="settings-hint">{t('settings.service.seeSetting', { setting: t(settingLabelKey(setting)) })}</p>}
        </div>
      )}
      <div class="settings-actions">
        {ACTIONS.map((action) => (
          <button
            key={action}
            type="button"
            data-testid={`${service}-${action}`}
            disabled={busy !== null || status === null || !enabled(action, state, status)}
            onClick={() => void runServiceAction(servicesStore, service, action)}
          >
            {busy?.service === service && busy.action === action ? t('settings.service.working') : t(`settings.service.action.${action}`)}
          </button>
        ))}
      </div>
    </section>
  );
}
