import { useEffect, useState } from 'preact/hooks';
import { useT } from '../../i18n/use-t.js';
import { cameraToForm, camerasStore, deleteCamera, emptyCameraForm, refreshCameras, type CameraForm } from '../../stores/cameras.js';
import { liveViewsStore, refreshLiveViews } from '../../stores/live-views.js';
import { refreshTransmissions, transmissionsStore } from '../../stores/transmissions.js';
import { useStore } from '../../stores/use-store.js';
import { CameraFormView } from './camera-form.js';
import { DiscoverPanel } from './discover-panel.js';
import { ConfirmButton } from './fields.js';
import { useListEditor, useLoadOnce, useUnmountSignal } from './hooks.js';
import { ListTab } from './list-tab.js';
import { settingsNavStore } from './nav.js';

/**
 * The server reconciles on every camera write: the streams grid and the transmissions list change
 * with it, so their stores are refreshed too.
 */
const refreshAfterWrite = (signal: AbortSignal) => Promise.all([refreshCameras(camerasStore, signal), refreshLiveViews(liveViewsStore, signal), refreshTransmissions(transmissionsStore, signal)]);

export function CamerasTab() {
  const t = useT();
  const { cameras, error } = useStore(camerasStore);
  const nav = useStore(settingsNavStore);
  const signal = useUnmountSignal();
  const list = useListEditor<CameraForm>(deleteCamera, () => refreshAfterWrite(signal));
  const [discovering, setDiscovering] = useState(false);

  useLoadOnce((s) => refreshCameras(camerasStore, s));

  // A generated transmission sent the user here to edit its camera: open it once the list has it.
  useEffect(() => {
    const target = nav.editCamera && cameras?.find((c) => c.id === nav.editCamera);
    if (!target) return;
    list.editor.open(cameraToForm(target));
    settingsNavStore.set((n) => ({ ...n, editCamera: null }));
  }, [nav.editCamera, cameras]);

  return (
    <ListTab
      intro={t('settings.cameras.intro')}
      add={{ label: t('settings.cameras.add'), testid: 'camera-add', form: emptyCameraForm }}
      list={list}
      Editor={CameraFormView}
      items={cameras}
      error={error}
      empty={t('settings.cameras.empty')}
      extra={{
        actions: (
          <button type="button" data-testid="camera-discover" disabled={discovering} onClick={() => setDiscovering(true)}>
            {t('settings.discover.open')}
          </button>
        ),
        // "Continue" hands the imported sources to the usual camera form, whose Save creates the camera.
        panel: discovering && (
          <DiscoverPanel
            onClose={() => setDiscovering(false)}
            onContinue={(form) => {
              setDiscovering(false);
              list.editor.open(form);
            }}
          />
        ),
      }}
    >
      {(items) => (
        <ul class="settings-list">
          {items.map((camera) => (
            <li key={camera.id} class="settings-card settings-row" data-testid="camera-row" data-camera={camera.id}>
              <div class="settings-row-main">
                <strong>{camera.name}</strong> <code>{camera.id}</code>
                <ul class="settings-chips">
                  {camera.sources.map((s) => (
                    <li key={s.id} class={`settings-chip${s.publish ? ' settings-chip--on' : ''}`} title={s.url}>
                      {s.label} · {t(`streams.role.${s.role}`)} · {s.publish ? t('settings.cameras.published') : t('settings.cameras.notPublished')}
                    </li>
                  ))}
                  {camera.sources.length === 0 && <li class="settings-chip">{t('settings.camera.noSources')}</li>}
                </ul>
              </div>
              <div class="settings-actions">
                <button type="button" data-testid="camera-edit" onClick={() => list.editor.open(cameraToForm(camera))}>
                  {t('common.edit')}
                </button>
                <ConfirmButton label={t('common.delete')} question={t('settings.cameras.deleteQuestion', { name: camera.name })} testid="camera-delete" onConfirm={() => void list.remove(camera.id)} />
              </div>
            </li>
          ))}
        </ul>
      )}
    </ListTab>
  );
}
