import type { Role } from '../../../../src/api/contract.js';
import { useT } from '../../i18n/use-t.js';
import { cameraErrorField, isTlsUrl, newSourceForm, ROLES, saveCamera, type CameraForm, type SourceForm } from '../../stores/cameras.js';
import { EditorForm, FormRows, type EditorProps, type RowProps } from './editor-form.js';
import { Check, Field, FieldError } from './fields.js';
import { useForm } from './hooks.js';
import { SourceProbeLine } from './source-probe.js';

/** Adding or editing one camera and its sources. */
export function CameraFormView({ initial, onSaved, onCancel }: EditorProps<CameraForm>) {
  const t = useT();
  const { form, set, save } = useForm(initial, cameraErrorField);

  return (
    <EditorForm
      testid="camera-form"
      saveTestid="camera-save"
      title={form.editing === null ? t('settings.camera.addTitle') : t('settings.camera.editTitle', { name: initial.name })}
      save={save}
      submit={() => saveCamera(form)}
      onSaved={onSaved}
      onCancel={onCancel}
    >
      <div class="settings-grid">
        <Field label={t('settings.camera.name')} field="name" errors={save.errors}>
          <input type="text" value={form.name} data-testid="camera-name" onInput={(e) => set({ name: e.currentTarget.value })} />
        </Field>
        {form.editing === null ? (
          <Field label={t('settings.camera.id')} field="id" errors={save.errors} hint={t('settings.camera.idHint')}>
            <input type="text" value={form.id} data-testid="camera-id" onInput={(e) => set({ id: e.currentTarget.value })} />
          </Field>
        ) : (
          <div class="settings-field">
            <span class="settings-field-label">{t('settings.camera.id')}</span>
            <code>{form.editing}</code>
          </div>
        )}
      </div>
      <FormRows
        field="sources"
        title={t('settings.camera.sources')}
        empty={t('settings.camera.noSources')}
        rows={form.sources}
        setRows={(update) => set((f) => ({ sources: update(f.sources) }))}
        create={newSourceForm}
        save={save}
        legend={(_, index) => t('settings.camera.sourceN', { n: index + 1 })}
        testid="camera-source"
        data={(source) => ({ 'data-source': source.id })}
        add={{ label: t('settings.camera.addSource'), testid: 'source-add' }}
        remove={{ label: t('settings.camera.removeSource'), testid: 'source-remove' }}
        Row={SourceFields}
      />
    </EditorForm>
  );
}

/** Write-only: the browser must not fill them from what it saved for this page. */
const CREDENTIALS = [
  { name: 'username', input: { type: 'text', autoComplete: 'off' } },
  { name: 'password', input: { type: 'password', autoComplete: 'new-password' } },
] as const;

function SourceFields({ row: source, at, errors, onChange }: RowProps<SourceForm>) {
  const t = useT();
  // Credentials are never sent back by the server: empty fields with "saved" keep the stored ones.
  const savedHint = source.hasCredentials && !source.clearCredentials ? t('settings.camera.credentialsSaved') : undefined;
  return (
    <>
      <div class="settings-grid">
        <Field label={t('settings.camera.role')} field={at('role')} errors={errors}>
          <select value={source.role} data-testid="source-role" onChange={(e) => onChange({ role: e.currentTarget.value as Role })}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`streams.role.${r}`)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('settings.camera.label')} field={at('label')} errors={errors} hint={t('settings.camera.labelHint')}>
          <input type="text" value={source.label} placeholder={t(`streams.role.${source.role}`)} data-testid="source-label" onInput={(e) => onChange({ label: e.currentTarget.value })} />
        </Field>
        <Field label={t('settings.camera.url')} field={at('url')} errors={errors} hint={t('settings.camera.urlHint')} wide>
          <input
            type="text"
            inputMode="url"
            autoComplete="off"
            spellcheck={false}
            value={source.url}
            placeholder="rtsp://192.168.1.10:554/stream1"
            data-testid="source-url"
            onInput={(e) => onChange({ url: e.currentTarget.value })}
          />
        </Field>
        {CREDENTIALS.map(({ name, input }) => (
          <Field key={name} label={t(`settings.camera.${name}`)} field={at(name)} errors={errors}>
            <input
              {...input}
              value={source[name]}
              placeholder={savedHint}
              disabled={source.clearCredentials}
              data-testid={`source-${name}`}
              data-saved={name === 'password' ? String(source.hasCredentials) : undefined}
              onInput={(e) => onChange({ [name]: e.currentTarget.value })}
            />
          </Field>
        ))}
      </div>
      {isTlsUrl(source.url) && (
        <div class="settings-grid">
          <Field label={t('settings.camera.tlsFingerprint')} field={at('tls_fingerprint')} errors={errors} hint={t('settings.camera.tlsFingerprintHint')} wide>
            <input
              type="text"
              autoComplete="off"
              spellcheck={false}
              value={source.tlsFingerprint}
              placeholder={t('settings.camera.tlsFingerprintNone')}
              data-testid="source-tls-fingerprint"
              onInput={(e) => onChange({ tlsFingerprint: e.currentTarget.value })}
            />
          </Field>
        </div>
      )}
      {source.hasCredentials && (
        <Check label={t('settings.camera.clearCredentials')} checked={source.clearCredentials} testid="source-clear-credentials" onChange={(clearCredentials) => onChange({ clearCredentials })} />
      )}
      <SourceProbeLine source={source} />
      <Check label={t('settings.camera.publish')} checked={source.publish} testid="source-publish" onChange={(publish) => onChange({ publish })} />
      <span class="settings-hint">{t('settings.camera.publishHint')}</span>
      <FieldError errors={errors} field={at('publish')} />
    </>
  );
}
