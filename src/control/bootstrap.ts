import { randomBytes } from 'node:crypto';
import type { SettingsDoc } from '../domain/settings.js';
import { reconcile } from '../reconcile/reconcile.js';

const secret = () => randomBytes(24).toString('base64url');

/**
 * Run once at start-up on the loaded document: the secrets the server hands out (LAN reader
 * password, writer API token) are generated when missing, and the document is reconciled so a
 * newer reconciler's output applies to older settings. The store writes it only if it changed.
 */
export function prepareDoc(doc: SettingsDoc): SettingsDoc {
  const streaming = {
    ...doc.streaming,
    api_token: doc.streaming.api_token ?? secret(),
    lan_reader: { ...doc.streaming.lan_reader, password: doc.streaming.lan_reader.password ?? secret() },
  };
  return { ...doc, ...reconcile({ ...doc, streaming }).plane };
}
