import type { GeneratedMeta, Transmission, TransmissionHealth } from '../../../../src/api/contract.js';
import { useState } from 'preact/hooks';
import { useT } from '../../i18n/use-t.js';
import { isGenerated, ownerPointer, type Feeder } from '../../stores/transmissions.js';
import { api } from '../../api/client.js';
import { deleteDocument } from '../../api/documents.js';
import { errorMessage } from '../../stores/store.js';
import { ConfirmButton, LoadFailed } from './fields.js';
import { HealthSummary, HealthView } from './health.js';
import { settingsNavStore } from './nav.js';
import { Table } from './table.js';
import { UrlsPanel } from './urls-panel.js';
import { WizardFormView } from './wizard-form.js';

type Panel = 'health' | 'urls' | 'wizard';
const PANELS: readonly Panel[] = ['health', 'urls', 'wizard'];

export interface TransmissionRowProps {
  tx: Transmission;
  health: TransmissionHealth | undefined;
  feeders: readonly Feeder[];
  onEdit: () => void;
  onDelete: () => void;
  /** Something changed on the server (a pipeline was created): the list is reloaded. */
  onChanged: () => void;
}

export function TransmissionRow({ tx, health, feeders, onEdit, onDelete, onChanged }: TransmissionRowProps) {
  const t = useT();
  const [panel, setPanel] = useState<Panel | null>(null);
  const generated = isGenerated(tx);
  return (
    <li class="settings-card settings-tx" data-testid="transmission-row" data-transmission={tx.id} data-generated={String(generated)}>
      <div class="settings-row">
        <div class="settings-row-main">
          <strong>{tx.name}</strong> <span class={`settings-badge${generated ? ' settings-badge--generated' : ''}`}>{generated ? t('settings.tx.generated') : t('settings.tx.manual')}</span>{' '}
          {!tx.enabled && <span class="settings-badge">{t('settings.tx.disabled')}</span>}
          <div class="settings-hint">
            <code>{tx.id}</code> · {t(`settings.tx.input.${tx.input}`)}
          </div>
        </div>
        {!generated && (
          <div class="settings-actions">
            <button type="button" data-testid="transmission-edit" onClick={onEdit}>
              {t('common.edit')}
            </button>
            <ConfirmButton label={t('common.delete')} question={t('settings.tx.deleteQuestion', { name: tx.name })} testid="transmission-delete" onConfirm={onDelete} />
          </div>
        )}
      </div>
      {tx.metadata && <OwnerNote meta={tx.metadata} onChanged={onChanged} />}
      <HealthSummary health={health} />
      {/* A camera's implicit pipeline says what the owner note already says. */}
      {feeders
        .filter((f) => !f.implicit)
        .map((f) => (
          <p key={`${f.pipeline}/${f.node}`} class="settings-hint">
            {t(f.enabled ? 'settings.tx.fedBy' : 'settings.tx.fedByDisabled', { pipeline: f.pipeline, node: f.node })}
            {f.notContinuous && <span class="settings-reason"> {t('settings.tx.notContinuous')}</span>}
          </p>
        ))}
      <OutputsTable tx={tx} />
      <div class="settings-actions" role="group">
        {PANELS.map((p) => (
          <button key={p} type="button" aria-expanded={panel === p} data-testid={`transmission-${p}`} onClick={() => setPanel(panel === p ? null : p)}>
            {t(`settings.tx.panel.${p}`)}
          </button>
        ))}
      </div>
      {panel === 'health' && <HealthView health={health} />}
      {panel === 'urls' && <UrlsPanel transmissionId={tx.id} />}
      {panel === 'wizard' && <WizardFormView transmission={tx} onCreated={onChanged} />}
    </li>
  );
}

/** A generated transmission is read-only: this says who owns it and where to change it. */
function OwnerNote({ meta, onChanged }: { meta: GeneratedMeta; onChanged: () => void }) {
  const t = useT();
  const owner = ownerPointer(meta);
  const [failure, setFailure] = useState<string | null>(null);
  const publication = meta.publication_id ?? t('settings.none');
  return (
    <p class="settings-owner" data-testid="transmission-owner">
      {owner.kind === 'camera' && (
        <>
          {t('settings.tx.ownerCamera', { publication, camera: owner.camera, source: owner.source })}{' '}
          <button type="button" class="settings-link" data-testid="owner-edit-camera" onClick={() => settingsNavStore.set({ tab: 'cameras', editCamera: owner.camera })}>
            {t('settings.tx.editCamera')}
          </button>
        </>
      )}
      {owner.kind === 'pipeline' && (
        <>
          {t('settings.tx.ownerPipeline', { publication, pipeline: owner.pipeline, node: owner.node })}{' '}
          {/* The only way to remove a pipeline's stream (the first-run demo among them) from the panel. */}
          <ConfirmButton
            label={t('settings.tx.deletePipeline')}
            question={t('settings.tx.deletePipelineQuestion', { pipeline: owner.pipeline })}
            testid="owner-delete-pipeline"
            onConfirm={() => {
              deleteDocument('api/streams/pipelines', owner.pipeline, api).then(onChanged, (err: unknown) => setFailure(errorMessage(err)));
            }}
          />
          <LoadFailed error={failure} />
        </>
      )}
      {owner.kind === 'publications' && t('settings.tx.ownerPublications', { publication })}
    </p>
  );
}

function OutputsTable({ tx }: { tx: Transmission }) {
  const t = useT();
  if (tx.outputs.length === 0) return <p class="settings-hint">{t('settings.tx.noOutputs')}</p>;
  const none = t('settings.none');
  return (
    <Table head={[t('settings.urls.output'), t('settings.tx.output.engine_path'), t('settings.tx.output.codec'), t('settings.tx.size'), t('settings.tx.output.fps'), t('settings.tx.protocols')]}>
      {tx.outputs.map((o) => (
        <tr key={o.id} class={o.enabled ? '' : 'settings-muted'}>
          <td>
            <code>{o.id}</code> {o.name !== o.id && o.name}
          </td>
          <td>
            <code>{o.engine_path}</code>
          </td>
          <td>{t(`settings.tx.codec.${o.codec}`)}</td>
          <td>{o.width !== null && o.height !== null ? `${o.width}×${o.height}` : t('settings.tx.keepSource')}</td>
          <td>{o.fps ?? none}</td>
          <td>
            {[o.enable_rtsp && t('settings.urls.protocol.rtsp'), o.enable_hls && t('settings.urls.protocol.hls'), o.enable_webrtc && t('settings.urls.protocol.webrtc')].filter(Boolean).join(', ')}
          </td>
        </tr>
      ))}
    </Table>
  );
}
