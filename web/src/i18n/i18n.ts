import { createStore } from '../stores/store.js';
import { common } from './common.js';
import { homeAssistant } from './home-assistant.js';
import { player } from './player.js';
import { settings } from './settings.js';
import { settingsDiscover } from './settings-discover.js';
import { settingsDistributed } from './settings-distributed.js';
import { settingsTransmissions } from './settings-transmissions.js';
import { streams } from './streams.js';
import { LANGS, type Lang, type Table } from './table.js';

// Every table of the UI; each area of the app owns one file.
const tables = [common, streams, player, settings, settingsTransmissions, settingsDiscover, settingsDistributed, homeAssistant] as const;

type KeysOf<T> = T extends Table<infer K> ? K : never;
export type MessageKey = KeysOf<(typeof tables)[number]>;

const merged = Object.fromEntries(LANGS.map((lang) => [lang, Object.assign({}, ...tables.map((t) => t[lang])) as Record<MessageKey, string>])) as Record<Lang, Record<MessageKey, string>>;

/** The first supported language among the candidates (`pt`, `pt-PT` → `pt-BR`); English otherwise. */
export function pickLang(candidates: readonly (string | null | undefined)[]): Lang {
  for (const c of candidates) {
    if (!c) continue;
    const lower = c.toLowerCase();
    if (lower.startsWith('pt')) return 'pt-BR';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

export type Params = Record<string, string | number>;

export function translate(lang: Lang, key: MessageKey, params: Params = {}): string {
  return merged[lang][key].replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

export const langStore = createStore<Lang>('en');
