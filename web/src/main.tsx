import './app.css';
import { render } from 'preact';
import { App } from './app.js';
import { readBase, setBase } from './base.js';
import { langStore, pickLang } from './i18n/i18n.js';
import { routeFromHash, routeStore } from './stores/route.js';
import { followTheme } from './theme.js';

/** Home Assistant's own language when the panel runs inside its frontend (same origin under ingress). */
function homeAssistantLanguage(): string | null {
  try {
    const raw = window.parent !== window ? window.parent.localStorage.getItem('selectedLanguage') : null;
    return raw ? (JSON.parse(raw) as string) : null;
  } catch {
    return null;
  }
}

setBase(readBase(document, location));
// Before the first render, so the page never flashes the other scheme; it follows the page's lifetime.
followTheme(window, document.documentElement);
langStore.set(pickLang([new URLSearchParams(location.search).get('lang'), homeAssistantLanguage(), ...navigator.languages]));
routeStore.set(routeFromHash(location.hash));
window.addEventListener('hashchange', () => routeStore.set(routeFromHash(location.hash)));

const root = document.getElementById('app');
if (root) render(<App />, root);
