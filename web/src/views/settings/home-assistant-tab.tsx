import type { ComponentChildren } from 'preact';
import { langStore } from '../../i18n/i18n.js';
import { useT } from '../../i18n/use-t.js';
import { entitiesUnavailable, homeAssistantStore, provisionCamera, refreshHomeAssistant, removeEntry, type HaCamera, type HaFailure, type HaOutcome } from '../../stores/home-assistant.js';
import { useStore } from '../../stores/use-store.js';
import type { HaEntry, ProvisionStep } from '../../../../src/api/contract.js';
import './home-assistant.css';
import { LoadFailed, Loading } from './fields.js';
import { useLoadOnce, useUnmountSignal } from './hooks.js';

/** Refusals the tab explains in the user's language; any other code shows the server's message alone. */
const EXPLAINED = ['already_provisioned', 'reader_password_required', 'direct_port_required', 'provision_in_progress', 'no_supervisor', 'home_assistant_error', 'not_found'] as const;
const explained = (code: string): code is (typeof EXPLAINED)[number] => (EXPLAINED as readonly string[]).includes(code);

/** Home Assistant camera entities: every published variant with "Create entity", and the entries left behind by removed publications. */
export function HomeAssistantTab() {
  const t = useT();
  const { status, list, error, busy, last } = useStore(homeAssistantStore);
  const signal = useUnmountSignal();
  useLoadOnce((s) => refreshHomeAssistant(homeAssistantStore, s));

  const unavailable = entitiesUnavailable(status);
  const locked = busy !== null || unavailable !== null;
  // The outcome shows in its row; one whose row is gone (a removed orphan, a camera no longer listed) shows above the lists.
  const inRow =
    last !== null && list !== null && (last.action === 'provision' ? list.cameras.some((c) => c.publication_id === last.target) : list.orphaned_entries.some((e) => e.entry_id === last.target));
  const outcomeFor = (action: HaOutcome['action'], target: string) => (last?.action === action && last.target === target ? <Outcome outcome={last} /> : null);

  return (
    <div class="settings-section" data-testid="ha-tab">
      <p class="settings-hint">{t('settings.ha.intro')}</p>
      {unavailable !== null && (
        <div class="settings-card settings-warning" role="status" data-testid="ha-unavailable" data-reason={unavailable}>
          {t(unavailable === 'not_addon' ? 'settings.ha.notAddon' : 'settings.ha.noSupervisor')}
        </div>
      )}
      {unavailable === null && status && !status.home_assistant_api.reachable && (
        <div class="settings-card settings-warning" role="status">
          {t('settings.ha.coreUnreachable', { reason: status.home_assistant_api.reason ?? String(status.home_assistant_api.status) })}
        </div>
      )}
      <LoadFailed error={error} />
      {last && !inRow && <Outcome outcome={last} />}
      {list === null ? (
        <Loading error={error} />
      ) : (
        <>
          <section class="settings-card">
            <dl class="settings-facts">
              <dt>{t('settings.ha.host')}</dt>
              <dd>
                <code>{list.addon_host_source === 'fallback' ? t('settings.ha.hostGuessed', { host: list.addon_host }) : list.addon_host}</code>
              </dd>
              <dt>{t('settings.ha.rtspPort')}</dt>
              <dd>{list.rtsp_port}</dd>
              <dt>{t('settings.ha.directPort')}</dt>
              <dd>{list.direct_port ?? t('settings.ha.none')}</dd>
              <dt>{t('settings.ha.reader')}</dt>
              <dd>{t(list.reader.has_password ? 'settings.ha.readerWithPassword' : 'settings.ha.readerNoPassword', { user: list.reader.username })}</dd>
            </dl>
            {list.warnings.map((w) => (
              <p key={w} class="settings-reason settings-reason--warn" data-testid="ha-warning">
                {w}
              </p>
            ))}
          </section>

          <h3>{t('settings.ha.camerasTitle', { count: list.cameras.length })}</h3>
          {list.cameras.length === 0 ? (
            <p class="settings-empty">{t('settings.ha.noCameras')}</p>
          ) : (
            <>
              <p class="settings-hint">{t('settings.ha.secretsHidden')}</p>
              <ul class="settings-list">
                {list.cameras.map((camera) => (
                  <CameraRow
                    key={camera.publication_id}
                    camera={camera}
                    busy={busy?.target === camera.publication_id}
                    disabled={locked}
                    onProvision={() => void provisionCamera(homeAssistantStore, camera.publication_id, signal)}
                  >
                    {outcomeFor('provision', camera.publication_id)}
                  </CameraRow>
                ))}
              </ul>
            </>
          )}

          {list.orphaned_entries.length > 0 && (
            <>
              <h3>{t('settings.ha.orphansTitle', { count: list.orphaned_entries.length })}</h3>
              <p class="settings-hint">{t('settings.ha.orphansHint')}</p>
              <ul class="settings-list">
                {list.orphaned_entries.map((entry) => (
                  <OrphanRow key={entry.entry_id} entry={entry} busy={busy?.target === entry.entry_id} disabled={locked} onRemove={() => void removeEntry(homeAssistantStore, entry.entry_id, signal)}>
                    {outcomeFor('remove', entry.entry_id)}
                  </OrphanRow>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </div>
  );
}

interface RowProps {
  busy: boolean;
  disabled: boolean;
  /** The last action's outcome when it was for this row. */
  children: ComponentChildren;
}

function CameraRow({ camera, busy, disabled, onProvision, children }: RowProps & { camera: HaCamera; onProvision: () => void }) {
  const t = useT();
  return (
    <li class="settings-card settings-row" data-testid="ha-camera" data-publication={camera.publication_id}>
      <div class="settings-row-main">
        <strong>{camera.name}</strong> <code>{camera.publication_id}</code>
        <dl class="settings-facts">
          <dt>{t('settings.ha.stream')}</dt>
          <dd>
            <code data-testid="ha-stream-source">{camera.stream_source}</code>
          </dd>
          <dt>{t('settings.ha.still')}</dt>
          <dd>{camera.still_image_url === null ? t('settings.ha.noStill') : <code>{camera.still_image_url}</code>}</dd>
          <dt>{t('settings.ha.entity')}</dt>
          <dd data-testid="ha-entry" data-entry={camera.entry?.entry_id}>
            {camera.entry ? t('settings.ha.entry', { title: camera.entry.title, id: camera.entry.entry_id }) : t('settings.ha.noEntity')}
          </dd>
        </dl>
        {children}
      </div>
      {camera.entry === null && (
        <div class="settings-actions">
          <button type="button" class="settings-primary" data-testid="ha-provision" data-publication={camera.publication_id} disabled={disabled} onClick={onProvision}>
            {busy ? t('settings.ha.provisioning') : t('settings.ha.provision')}
          </button>
        </div>
      )}
    </li>
  );
}

function OrphanRow({ entry, busy, disabled, onRemove, children }: RowProps & { entry: HaEntry; onRemove: () => void }) {
  const t = useT();
  const lang = useStore(langStore);
  return (
    <li class="settings-card settings-row settings-warning" data-testid="ha-orphan" data-entry={entry.entry_id}>
      <div class="settings-row-main">
        {t('settings.ha.orphan', { title: entry.title, id: entry.entry_id, publication: entry.publication_id, date: new Date(entry.created_at).toLocaleDateString(lang) })}
        {children}
      </div>
      <div class="settings-actions">
        <button type="button" class="settings-danger" data-testid="ha-remove-entry" data-entry={entry.entry_id} disabled={disabled} onClick={onRemove}>
          {busy ? t('settings.ha.removing') : t('settings.ha.remove')}
        </button>
      </div>
    </li>
  );
}

/** What the last action did: the entry made or removed and each request to Home Assistant, or why not. */
function Outcome({ outcome }: { outcome: HaOutcome }) {
  const t = useT();
  if (outcome.kind === 'failed') return <Failure failure={outcome.failure} />;
  return (
    <div class="settings-outcome" role="status" data-testid="ha-result" data-outcome={outcome.kind}>
      {outcome.kind === 'created' ? (
        <p class="settings-success">{t('settings.ha.created', { title: outcome.report.title, id: outcome.report.entry_id })}</p>
      ) : (
        <>
          <p class="settings-success">
            {outcome.report.already_removed
              ? t('settings.ha.alreadyRemoved', { id: outcome.report.entry_id })
              : t('settings.ha.removed', { id: outcome.report.entry_id, publication: outcome.report.publication_id })}
          </p>
          {outcome.report.require_restart && <p class="settings-hint">{t('settings.ha.restart')}</p>}
        </>
      )}
      {outcome.kind === 'created' &&
        outcome.report.warnings.map((w) => (
          <p key={w} class="settings-reason settings-reason--warn">
            {w}
          </p>
        ))}
      <Steps steps={outcome.report.steps} />
    </div>
  );
}

function Failure({ failure }: { failure: HaFailure }) {
  const t = useT();
  return (
    <div class="settings-form-error" role="alert" data-testid="ha-result" data-outcome="failed" data-code={failure.code} data-step={failure.step ?? undefined}>
      {explained(failure.code) && <p>{t(`settings.ha.failure.${failure.code}`, { entry: failure.entry_id ?? '' })}</p>}
      {failure.step !== null && (
        <p>
          <strong>{t('settings.ha.failedStep', { step: failure.step })}</strong>
        </p>
      )}
      <p class="settings-reason">{t('settings.ha.failed', { message: failure.message })}</p>
      <Steps steps={failure.steps} />
    </div>
  );
}

function Steps({ steps }: { steps: readonly ProvisionStep[] }) {
  const t = useT();
  if (steps.length === 0) return null;
  return (
    <table class="settings-table" data-testid="ha-steps">
      <caption class="settings-hint">{t('settings.ha.steps')}</caption>
      <thead>
        <tr>
          <th>{t('settings.ha.step')}</th>
          <th>{t('settings.ha.request')}</th>
          <th>{t('settings.ha.status')}</th>
          <th>{t('settings.ha.result')}</th>
        </tr>
      </thead>
      <tbody>
        {steps.map((s, i) => (
          <tr key={i} data-step={s.step}>
            <td>{s.step}</td>
            <td>
              <code>{s.request}</code>
            </td>
            <td>{s.status ?? t('settings.none')}</td>
            <td>{s.result}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
