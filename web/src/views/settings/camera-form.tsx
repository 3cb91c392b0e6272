import { useState } from 'preact/hooks';
import { useT } from '../../i18n/use-t.js';
import { cameraErrorField, newSourceForm, ROLES, saveCamera, type CameraForm, type SourceForm } from '../../stores/cameras.js';
import type { Role } from '../../stores/live-views.js';
import { Check, Field, FieldError, Form, FormError } from './fields.js';
import type { FormErrors } from './form-errors.js';
import { useSave } from './hooks.js';

export interface CameraFormProps {
  initial: CameraForm;
  /** Called after the server accepted the camera (it has reconciled the streams by then). */
  onSaved: () => void;
  onCancel: () => void;
}

/** Adding or editing one camera and its sources. */
export function CameraFormView({ initial, onSaved, onCancel }: CameraFormProps) {
  const t = useT();
  const [form, setForm] = useState(initial);
  const save = useSave(cameraErrorField);
  const updateSource = (index: number, patch: Partial<SourceForm>) =>
    setForm((f) => ({ ...f, sources: f.sources.map((s, i) => (i === index ? { ...s, ...patch } : s)) }));
  const removeSource = (index: number) => {
    // Errors name sources by position: after a removal they would point at the wrong row.
    save.clear();
    setForm((f) => ({ ...f, sources: f.sources.filter((_, i) => i !== index) }));
  };

  return (
    <Form
      class="settings-card settings-form"
      testid="camera-form"
      onSubmit={() => {
        void save.run(async () => {
          await saveCamera(form);
          onSaved();
        });
      }}
    >
      <h3>{form.editing === null ? t('settings.camera.addTitle') : t('settings.camera.editTitle', { name: initial.name })}</h3>
      <div class="settings-grid">
        <Field label={t('settings.camera.name')} field="name" errors={save.errors}>
          <input type="text" value={form.name} data-testid="camera-name" onInput={(e) => setForm((f) => ({ ...f, name: e.currentTarget.value }))} />
        </Field>
        {form.editing === null ? (
          <Field label={t('settings.camera.id')} field="id" errors={save.errors} hint={t('settings.camera.idHint')}>
            <input type="text" value={form.id} data-testid="camera-id" onInput={(e) => setForm((f) => ({ ...f, id: e.currentTarget.value }))} />
          </Field>
        ) : (
          <div class="settings-field">
            <span class="settings-field-label">{t('settings.camera.id')}</span>
            <code>{form.editing}</code>
          </div>
        )}
      </div>

      <h4>{t('settings.camera.sources')}</h4>
      {form.sources.length === 0 && <p class="settings-hint">{t('settings.camera.noSources')}</p>}
      {form.sources.map((source, index) => (
        <SourceFields key={source.key} source={source} index={index} errors={save.errors} onChange={(patch) => updateSource(index, patch)} onRemove={() => removeSource(index)} />
      ))}
      <FieldError errors={save.errors} field="sources" />
      <div class="settings-actions">
        <button type="button" data-testid="source-add" onClick={() => setForm((f) => ({ ...f, sources: [...f.sources, newSourceForm(f.sources)] }))}>
          {t('settings.camera.addSource')}
        </button>
      </div>

      <FormError errors={save.errors} />
      <div class="settings-actions settings-actions--end">
        <button type="button" onClick={onCancel}>
          {t('common.cancel')}
        </button>
        <button type="submit" class="settings-primary" data-testid="camera-save" disabled={save.busy}>
          {save.busy ? t('settings.saving') : t('common.save')}
        </button>
      </div>
    </Form>
  );
}

interface SourceFieldsProps {
  source: SourceForm;
  index: number;
  errors: FormErrors;
  onChange: (patch: Partial<SourceForm>) => void;
  onRemove: () => void;
}

function SourceFields({ source, index, errors, onChange, onRemove }: SourceFieldsProps) {
  const t = useT();
  const at = (name: string) => `sources.${index}.${name}`;
  // Credentials are never sent back by the server: empty fields with "saved" keep the stored ones.
  const savedHint = source.hasCredentials && !source.clearCredentials ? t('settings.camera.credentialsSaved') : undefined;
  return (
    <fieldset class="settings-source" data-testid="camera-source" data-source={source.id}>
      <legend>{t('settings.camera.sourceN', { n: index + 1 })}</legend>
      <FieldError errors={errors} field={`sources.${index}`} />
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
        <Field label={t('settings.camera.username')} field={at('username')} errors={errors}>
          <input
            type="text"
            autoComplete="off"
            value={source.username}
            placeholder={savedHint}
            disabled={source.clearCredentials}
            data-testid="source-username"
            onInput={(e) => onChange({ username: e.currentTarget.value })}
          />
        </Field>
        <Field label={t('settings.camera.password')} field={at('password')} errors={errors}>
          <input
            type="password"
            autoComplete="new-password"
            value={source.password}
            placeholder={savedHint}
            disabled={source.clearCredentials}
            data-testid="source-password"
            data-saved={String(source.hasCredentials)}
            onInput={(e) => onChange({ password: e.currentTarget.value })}
          />
        </Field>
      </div>
      {source.hasCredentials && (
        <Check label={t('settings.camera.clearCredentials')} checked={source.clearCredentials} testid="source-clear-credentials" onChange={(clearCredentials) => onChange({ clearCredentials })} />
      )}
      <Check label={t('settings.camera.publish')} checked={source.publish} testid="source-publish" onChange={(publish) => onChange({ publish })} />
      <span class="settings-hint">{t('settings.camera.publishHint')}</span>
      <FieldError errors={errors} field={at('publish')} />
      <div class="settings-actions settings-actions--end">
        <button type="button" class="settings-danger" data-testid="source-remove" onClick={onRemove}>
          {t('settings.camera.removeSource')}
        </button>
      </div>
    </fieldset>
  );
}
