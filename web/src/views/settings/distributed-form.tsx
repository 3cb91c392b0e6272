import type { SettingsView as SettingsAnswer } from '../../../../src/api/contract.js';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { useT } from '../../i18n/use-t.js';
import { distributedDirty, distributedErrorField, distributedForm, distributedPatch, distributedStatusStore, newPeerForm, refreshDistributedStatus, type DistributedForm } from '../../stores/peers.js';
import { useStore } from '../../stores/use-store.js';
import { startPolling } from '../streams/polling.js';
import { FormRows } from './editor-form.js';
import { Field, Form, FormError, LoadFailed, SaveActions } from './fields.js';
import { useSave } from './hooks.js';
import { PeerFields } from './peer-fields.js';
import { saveStreamingSettings, streamingSettingsStore } from './streaming-settings.js';

/** Pulls and reachability change on the peers' poll (tens of seconds): this follows them without weighing on the server. */
const STATUS_POLL_MS = 10_000;

/** This server's id and its peers, saved together: the server replaces the peer list whole. */
export function DistributedFormView({ settings }: { settings: SettingsAnswer }) {
  const t = useT();
  const loaded = useMemo(() => distributedForm(settings.streaming), [settings]);
  const [form, setForm] = useState<DistributedForm>(loaded);
  const [saved, setSaved] = useState(false);
  const save = useSave(distributedErrorField);
  const { error } = useStore(distributedStatusStore);
  // A save answers with the new settings: the form starts over from them, every secret field empty again.
  useEffect(() => setForm(loaded), [loaded]);
  useEffect(() => startPolling((signal) => refreshDistributedStatus(distributedStatusStore, signal), STATUS_POLL_MS), []);
  const change = (update: (f: DistributedForm) => Partial<DistributedForm>) => {
    setSaved(false);
    setForm((f) => ({ ...f, ...update(f) }));
  };

  return (
    <Form
      class="settings-card settings-form"
      testid="distributed-form"
      onSubmit={() => {
        void save.run(async () => {
          await saveStreamingSettings(streamingSettingsStore, distributedPatch(form));
          setSaved(true);
        });
      }}
    >
      <h3>{t('settings.distributed.title')}</h3>
      <p class="settings-hint">{t('settings.distributed.hint')}</p>
      <div class="settings-grid">
        <Field label={t('settings.distributed.serverId')} field="server_id" errors={save.errors} hint={t('settings.distributed.serverIdHint')}>
          <input type="text" value={form.server_id} data-testid="distributed-server-id" onInput={(e) => change(() => ({ server_id: e.currentTarget.value }))} />
        </Field>
      </div>
      <LoadFailed error={error} />
      <FormRows
        field="peers"
        title={t('settings.distributed.peers')}
        empty={t('settings.distributed.empty')}
        rows={form.peers}
        setRows={(update) => change((f) => ({ peers: update(f.peers) }))}
        create={newPeerForm}
        save={save}
        legend={(peer) => (peer.name || peer.id ? t('settings.distributed.peerNamed', { name: peer.name || peer.id }) : t('settings.distributed.peerNew'))}
        testid="peer-fields"
        data={(peer) => ({ 'data-peer': peer.id })}
        add={{ label: t('settings.distributed.add'), testid: 'peer-add' }}
        remove={{ label: t('settings.distributed.remove'), testid: 'peer-remove' }}
        Row={PeerFields}
      />
      <FormError errors={save.errors} />
      <SaveActions testid="distributed-save" saved={saved} dirty={distributedDirty(loaded, form)} busy={save.busy} onReset={() => setForm(loaded)} />
    </Form>
  );
}
