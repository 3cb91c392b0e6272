import { useT } from '../i18n/use-t.js';
import { useStore } from '../stores/use-store.js';
import { CamerasTab } from './settings/cameras-tab.js';
import { HomeAssistantTab } from './settings/home-assistant-tab.js';
import { SETTINGS_TABS, settingsNavStore } from './settings/nav.js';
import './settings/settings.css';
import { StreamingTab } from './settings/streaming-tab.js';
import { TransmissionsTab } from './settings/transmissions-tab.js';

/**
 * Settings: cameras and their sources, the engine and sidecar with the streaming tunables, the
 * advanced transmissions, and the Home Assistant camera entities.
 */
export function SettingsView() {
  const t = useT();
  const { tab } = useStore(settingsNavStore);
  return (
    <section class="settings">
      <div class="settings-tabs" role="tablist" aria-label={t('nav.settings')}>
        {SETTINGS_TABS.map((id) => (
          <button
            key={id}
            type="button"
            role="tab"
            id={`settings-tab-${id}`}
            aria-selected={tab === id}
            aria-controls="settings-panel"
            data-testid={`settings-tab-${id}`}
            onClick={() => settingsNavStore.set((n) => ({ ...n, tab: id }))}
          >
            {t(`settings.tab.${id}`)}
          </button>
        ))}
      </div>
      {/* Only the shown tab is mounted: the others poll nothing. */}
      <div class="settings-panel" role="tabpanel" id="settings-panel" aria-labelledby={`settings-tab-${tab}`}>
        {tab === 'cameras' ? <CamerasTab /> : tab === 'streaming' ? <StreamingTab /> : tab === 'transmissions' ? <TransmissionsTab /> : <HomeAssistantTab />}
      </div>
    </section>
  );
}
