import { useT } from './i18n/use-t.js';
import { routeStore } from './stores/route.js';
import { useStore } from './stores/use-store.js';
import { SettingsView } from './views/settings-view.js';
import { StreamsView } from './views/streams-view.js';

export function App() {
  const t = useT();
  const route = useStore(routeStore);
  return (
    <div class="app">
      <header class="app-header">
        <h1>{t('app.title')}</h1>
        <nav>
          <a href="#/streams" class={route === 'streams' ? 'active' : ''}>
            {t('nav.streams')}
          </a>
          <a href="#/settings" class={route === 'settings' ? 'active' : ''}>
            {t('nav.settings')}
          </a>
        </nav>
      </header>
      <main>{route === 'settings' ? <SettingsView /> : <StreamsView />}</main>
    </div>
  );
}
