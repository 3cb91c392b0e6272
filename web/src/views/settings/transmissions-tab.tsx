import { useEffect } from 'preact/hooks';
import { useT } from '../../i18n/use-t.js';
import { camerasStore, refreshCameras } from '../../stores/cameras.js';
import {
  deleteTransmission,
  emptyTransmissionForm,
  isGenerated,
  refreshTransmissions,
  transmissionToForm,
  transmissionsStore,
  type Transmission,
  type TransmissionForm,
} from '../../stores/transmissions.js';
import { useStore } from '../../stores/use-store.js';
import { startPolling } from '../streams/polling.js';
import { FormError } from './fields.js';
import { useEditor, useLoadOnce, useSave, useUnmountSignal } from './hooks.js';
import { TransmissionFormView } from './transmission-form.js';
import { TransmissionRow } from './transmission-row.js';

/** Runtime health (writers, frame age) moves by the second; this keeps it readable without hammering the server. */
const HEALTH_POLL_MS = 5_000;

export function TransmissionsTab() {
  const t = useT();
  const { transmissions, health, feeders, error } = useStore(transmissionsStore);
  const signal = useUnmountSignal();
  const editor = useEditor<TransmissionForm>();
  const deletion = useSave(() => null);

  useEffect(() => startPolling((s) => refreshTransmissions(transmissionsStore, s), HEALTH_POLL_MS), []);
  // The editor and the wizard offer the cameras.
  useLoadOnce((s) => refreshCameras(camerasStore, s));

  const reload = () => void refreshTransmissions(transmissionsStore, signal);
  const remove = async (tx: Transmission) => {
    await deletion.run(async () => {
      await deleteTransmission(tx.id);
      if (editor.form?.editing === tx.id) editor.close();
    });
    reload();
  };

  const generated = transmissions?.filter(isGenerated) ?? [];
  const manual = transmissions?.filter((tx) => !isGenerated(tx)) ?? [];
  const row = (tx: Transmission) => (
    <TransmissionRow
      key={tx.id}
      tx={tx}
      health={health[tx.id]}
      feeders={feeders[tx.id] ?? []}
      onEdit={() => editor.open(transmissionToForm(tx))}
      onDelete={() => void remove(tx)}
      onChanged={reload}
    />
  );

  return (
    <div class="settings-section">
      <div class="settings-section-head">
        <p class="settings-hint">{t('settings.tx.intro')}</p>
        <button type="button" class="settings-primary" data-testid="transmission-add" onClick={() => editor.open(emptyTransmissionForm())}>
          {t('settings.tx.add')}
        </button>
      </div>
      {error !== null && (
        <p class="settings-form-error" role="alert">
          {t('settings.loadFailed', { message: error })}
        </p>
      )}
      <FormError errors={deletion.errors} />
      {editor.form && (
        <TransmissionFormView
          key={editor.key}
          initial={editor.form}
          onCancel={editor.close}
          onSaved={() => {
            editor.close();
            reload();
          }}
        />
      )}
      {transmissions === null ? (
        error === null && <p class="settings-hint">{t('common.loading')}</p>
      ) : transmissions.length === 0 ? (
        <p class="settings-empty">{t('settings.tx.empty')}</p>
      ) : (
        <>
          <h3>{t('settings.tx.generatedTitle', { count: generated.length })}</h3>
          {generated.length === 0 ? <p class="settings-hint">{t('settings.tx.noGenerated')}</p> : <ul class="settings-list">{generated.map(row)}</ul>}
          <h3>{t('settings.tx.manualTitle', { count: manual.length })}</h3>
          {manual.length === 0 ? <p class="settings-hint">{t('settings.tx.noManual')}</p> : <ul class="settings-list">{manual.map(row)}</ul>}
        </>
      )}
    </div>
  );
}
