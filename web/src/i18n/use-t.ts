import { useStore } from '../stores/use-store.js';
import { langStore, translate, type MessageKey, type Params } from './i18n.js';

export type T = (key: MessageKey, params?: Params) => string;

export function useT(): T {
  const lang = useStore(langStore);
  return (key, params) => translate(lang, key, params);
}
