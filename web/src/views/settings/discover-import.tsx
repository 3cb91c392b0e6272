import { useState } from 'preact/hooks';
import type { Role } from '../../../../src/api/contract.js';
import type { MessageKey } from '../../i18n/i18n.js';
import { useT } from '../../i18n/use-t.js';
import { ROLES, type CameraForm } from '../../stores/cameras.js';
import { previewToCameraForm, type Discovery, type DiscoveryError, type DiscoveryErrorKind, type DiscoveryState, type ImportTarget, type Preview, type PreviewSource } from '../../stores/discovery.js';
import { NO_ERRORS } from '../../stores/form-errors.js';
import { Field, Form, SubmitButton } from './fields.js';

const ERROR_KEYS: Readonly<Record<DiscoveryErrorKind, MessageKey>> = {
  unauthorized: 'settings.discover.error.unauthorized',
  no_answer: 'settings.discover.error.no_answer',
  not_a_device: 'settings.discover.error.not_a_device',
  no_profiles: 'settings.discover.error.no_profiles',
  scan: 'settings.discover.error.scan',
  other: 'settings.discover.error.other',
};

/** A failure in plain words; the server's own message only where no plain one fits. */
export function DiscoverError({ error }: { error: DiscoveryError | null }) {
  const t = useT();
  if (error === null) return null;
  return (
    <p class="settings-form-error" role="alert" data-testid="discover-error" data-kind={error.kind}>
      {t(ERROR_KEYS[error.kind], { message: error.message })}
    </p>
  );
}

/** The camera's ONVIF user and password, tried with a dry-run import (nothing is saved yet). */
export function CredentialsPrompt({ discovery, state, target }: { discovery: Discovery; state: DiscoveryState; target: ImportTarget }) {
  const t = useT();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const address = target.port === '' ? target.host : `${target.host}:${target.port}`;
  return (
    <Form class="settings-group" testid="discover-credentials" onSubmit={() => void discovery.preview({ username, password })}>
      <h4>{t('settings.discover.signIn', { name: target.name ?? address })}</h4>
      <p class="settings-hint">
        <code>{address}</code> · {t('settings.discover.credentialsHint')}
      </p>
      <div class="settings-grid">
        <Field label={t('settings.camera.username')} field="username" errors={NO_ERRORS}>
          <input type="text" autoComplete="off" value={username} data-testid="discover-username" onInput={(e) => setUsername(e.currentTarget.value)} />
        </Field>
        <Field label={t('settings.camera.password')} field="password" errors={NO_ERRORS}>
          <input type="password" autoComplete="new-password" value={password} data-testid="discover-password" onInput={(e) => setPassword(e.currentTarget.value)} />
        </Field>
      </div>
      <DiscoverError error={state.importError} />
      <div class="settings-actions">
        <SubmitButton testid="discover-connect" busy={false} disabled={state.importing} label={state.importing ? t('settings.discover.connecting') : t('settings.discover.connect')} />
      </div>
    </Form>
  );
}

function resolution(t: ReturnType<typeof useT>, profile: PreviewSource['profile']): string {
  if (profile?.width == null || profile.height == null) return t('settings.none');
  const size = { width: profile.width, height: profile.height };
  return profile.fps === null ? t('settings.discover.size', size) : t('settings.discover.sizeFps', { ...size, fps: profile.fps });
}

/** What the import would create: one row per profile, its role and publication still the user's to change. */
export function PreviewTable({ discovery, preview, onContinue }: { discovery: Discovery; preview: Preview; onContinue: (form: CameraForm) => void }) {
  const t = useT();
  const { device } = preview;
  return (
    <div class="settings-group" data-testid="discover-preview">
      <h4>{t('settings.discover.previewTitle', { name: preview.name })}</h4>
      {device && (
        <p class="settings-hint" data-testid="discover-device-facts">
          {[device.manufacturer, device.model].filter(Boolean).join(' ')}
          {device.firmware !== null && ` · ${t('settings.discover.firmware', { firmware: device.firmware })}`}
        </p>
      )}
      <p class="settings-hint">{t('settings.discover.previewHint')}</p>
      <table class="settings-table">
        <thead>
          <tr>
            <th>{t('settings.discover.col.profile')}</th>
            <th>{t('settings.discover.col.resolution')}</th>
            <th>{t('settings.discover.col.codec')}</th>
            <th>{t('settings.discover.col.role')}</th>
            <th>{t('settings.discover.col.publish')}</th>
          </tr>
        </thead>
        <tbody>
          {preview.sources.map((s, index) => (
            <tr key={s.key} data-testid="discover-source" data-role={s.role} data-profile={s.onvifProfile ?? ''}>
              <td>{s.profile?.name ?? s.label}</td>
              <td>{resolution(t, s.profile)}</td>
              <td>{s.profile?.encoding ?? t('settings.none')}</td>
              <td>
                <select
                  value={s.role}
                  aria-label={t('settings.discover.col.role')}
                  data-testid="discover-source-role"
                  onChange={(e) => discovery.editSource(index, { role: e.currentTarget.value as Role })}
                >
                  {ROLES.map((r) => (
                    <option key={r} value={r}>
                      {t(`streams.role.${r}`)}
                    </option>
                  ))}
                </select>
              </td>
              <td>
                <input
                  type="checkbox"
                  checked={s.publish}
                  aria-label={t('settings.discover.col.publish')}
                  data-testid="discover-source-publish"
                  onChange={(e) => discovery.editSource(index, { publish: e.currentTarget.checked })}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="settings-actions">
        <button type="button" class="settings-primary" data-testid="discover-continue" onClick={() => onContinue(previewToCameraForm(preview))}>
          {t('settings.discover.continue')}
        </button>
      </div>
    </div>
  );
}
