import { useEffect } from 'preact/hooks';
import { useT } from '../../i18n/use-t.js';
import { refreshServices, servicesStore } from '../../stores/services.js';
import { useStore } from '../../stores/use-store.js';
import { startPolling } from '../streams/polling.js';
import { DistributedFormView } from './distributed-form.js';
import { LoadFailed, Loading } from './fields.js';
import { useLoadOnce } from './hooks.js';
import { ServiceCard } from './service-card.js';
import { SettingsForm } from './settings-form.js';
import { refreshStreamingSettings, streamingSettingsStore } from './streaming-settings.js';

/** Often enough to follow a start or a download through "starting" to "running". */
const STATUS_POLL_MS = 3_000;

export function StreamingTab() {
  const t = useT();
  const services = useStore(servicesStore);
  const { settings, error } = useStore(streamingSettingsStore);

  useEffect(() => startPolling((signal) => refreshServices(servicesStore, signal), STATUS_POLL_MS), []);
  useLoadOnce((signal) => refreshStreamingSettings(streamingSettingsStore, signal));

  return (
    <div class="settings-section">
      <div class="settings-services">
        <ServiceCard service="engine" status={services.engine} />
        <ServiceCard service="mse" status={services.mse} />
      </div>
      <LoadFailed error={error} />
      {settings?.store.recovered && (
        <div class="settings-card settings-warning" role="status">
          <strong>{t('settings.streaming.recovered')}</strong>
          <ul>
            {settings.store.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      )}
      {settings ? (
        <>
          <SettingsForm settings={settings} />
          <DistributedFormView settings={settings} />
        </>
      ) : (
        <Loading error={error} />
      )}
    </div>
  );
}
