import type { Transmission } from '../../../../src/api/contract.js';
import { useEffect } from 'preact/hooks';
import { useT } from '../../i18n/use-t.js';
import { camerasStore, refreshCameras } from '../../stores/cameras.js';
import { deleteTransmission, emptyTransmissionForm, isGenerated, refreshTransmissions, transmissionToForm, transmissionsStore, type TransmissionForm } from '../../stores/transmissions.js';
import { useStore } from '../../stores/use-store.js';
import { startPolling } from '../streams/polling.js';
import { useListEditor, useLoadOnce, useUnmountSignal } from './hooks.js';
import { ListTab } from './list-tab.js';
import { refreshStreamingSettings, streamingSettingsStore } from './streaming-settings.js';
import { TransmissionFormView } from './transmission-form.js';
import { TransmissionRow } from './transmission-row.js';

/** Runtime health (writers, frame age) moves by the second; this keeps it readable without hammering the server. */
const HEALTH_POLL_MS = 5_000;

export function TransmissionsTab() {
  const t = useT();
  const { transmissions, health, feeders, error } = useStore(transmissionsStore);
  const signal = useUnmountSignal();
  const reload = () => refreshTransmissions(transmissionsStore, signal);
  const list = useListEditor<TransmissionForm>(deleteTransmission, reload);

  useEffect(() => startPolling((s) => refreshTransmissions(transmissionsStore, s), HEALTH_POLL_MS), []);
  // The editor and the wizard offer the cameras, and the hosts: this server and its peers.
  useLoadOnce((s) => refreshCameras(camerasStore, s));
  useLoadOnce((s) => refreshStreamingSettings(streamingSettingsStore, s));

  const row = (tx: Transmission) => (
    <TransmissionRow
      key={tx.id}
      tx={tx}
      health={health[tx.id]}
      feeders={feeders[tx.id] ?? []}
      onEdit={() => list.editor.open(transmissionToForm(tx))}
      onDelete={() => void list.remove(tx.id)}
      onChanged={() => void reload()}
    />
  );

  return (
    <ListTab
      intro={t('settings.tx.intro')}
      add={{ label: t('settings.tx.add'), testid: 'transmission-add', form: () => emptyTransmissionForm(streamingSettingsStore.get().settings?.streaming.server_id) }}
      list={list}
      Editor={TransmissionFormView}
      items={transmissions}
      error={error}
      empty={t('settings.tx.empty')}
    >
      {(items) => {
        const generated = items.filter(isGenerated);
        const manual = items.filter((tx) => !isGenerated(tx));
        return (
          <>
            <h3>{t('settings.tx.generatedTitle', { count: generated.length })}</h3>
            {generated.length === 0 ? <p class="settings-hint">{t('settings.tx.noGenerated')}</p> : <ul class="settings-list">{generated.map(row)}</ul>}
            <h3>{t('settings.tx.manualTitle', { count: manual.length })}</h3>
            {manual.length === 0 ? <p class="settings-hint">{t('settings.tx.noManual')}</p> : <ul class="settings-list">{manual.map(row)}</ul>}
          </>
        );
      }}
    </ListTab>
  );
}
