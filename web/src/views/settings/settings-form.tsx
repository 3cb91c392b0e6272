import type { SettingsView as SettingsAnswer } from '../../../../src/api/contract.js';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { useT } from '../../i18n/use-t.js';
import { Check, Field, FieldError, Form, FormError, SaveActions } from './fields.js';
import type { FormErrors } from '../../stores/form-errors.js';
import { useSave } from './hooks.js';
import {
  SETTINGS_GROUPS,
  saveStreamingSettings,
  settingsErrorField,
  settingsFormValues,
  settingsPatch,
  streamingSettingsStore,
  type SettingPath,
  type SettingsField,
  type SettingsFormValues,
} from './streaming-settings.js';

export const settingLabelKey = (path: SettingPath) => `settings.field.${path}` as const;

/** The streaming tunables; only what changed is sent. */
export function SettingsForm({ settings }: { settings: SettingsAnswer }) {
  const t = useT();
  const loaded = useMemo(() => settingsFormValues(settings), [settings]);
  const [values, setValues] = useState<SettingsFormValues>(loaded);
  const [saved, setSaved] = useState(false);
  const save = useSave(settingsErrorField);
  // A save (or another tab) changed the settings: the form starts over from the new answer.
  useEffect(() => setValues(loaded), [loaded]);
  const patch = settingsPatch(loaded, values);
  const dirty = Object.keys(patch).length > 0;
  const set = (path: string, value: string | boolean) => {
    setSaved(false);
    setValues((v) => ({ ...v, [path]: value }));
  };

  return (
    <Form
      class="settings-card settings-form"
      testid="settings-form"
      onSubmit={() => {
        void save.run(async () => {
          await saveStreamingSettings(streamingSettingsStore, patch);
          setSaved(true);
        });
      }}
    >
      <h3>{t('settings.streaming.settingsTitle')}</h3>
      {SETTINGS_GROUPS.map((group) => (
        <fieldset key={group.id} class="settings-group">
          <legend>{t(`settings.group.${group.id}`)}</legend>
          <p class="settings-hint">{t(`settings.group.${group.id}.hint`)}</p>
          <div class="settings-grid">
            {group.fields.map((f: SettingsField) => (
              <SettingInput key={f.path} field={f} value={values[f.path]} settings={settings} errors={save.errors} onChange={(v) => set(f.path, v)} />
            ))}
          </div>
        </fieldset>
      ))}
      <FormError errors={save.errors} />
      <SaveActions testid="settings-save" saved={saved} dirty={dirty} busy={save.busy} onReset={() => setValues(loaded)} />
    </Form>
  );
}

interface SettingInputProps {
  field: SettingsField;
  value: string | boolean | undefined;
  settings: SettingsAnswer;
  errors: FormErrors;
  onChange: (value: string | boolean) => void;
}

function SettingInput({ field, value, settings, errors, onChange }: SettingInputProps) {
  const t = useT();
  const label = t(settingLabelKey(field.path));
  const testid = `setting-${field.path}`;
  if (field.kind === 'bool') {
    return (
      <div class="settings-field">
        <Check label={label} checked={value === true} testid={testid} onChange={onChange} />
        <FieldError errors={errors} field={field.path} />
      </div>
    );
  }
  const text = typeof value === 'string' ? value : '';
  return (
    <Field label={label} field={field.path} errors={errors}>
      {field.kind === 'int' ? (
        <input type="number" min={field.min} max={field.max} step={1} value={text} data-testid={testid} onInput={(e) => onChange(e.currentTarget.value)} />
      ) : field.kind === 'secret' ? (
        <input
          type="password"
          autoComplete="new-password"
          value={text}
          placeholder={field.saved(settings.streaming) ? t('settings.camera.credentialsSaved') : t('settings.notSet')}
          data-testid={testid}
          onInput={(e) => onChange(e.currentTarget.value)}
        />
      ) : (
        <input type="text" value={text} data-testid={testid} onInput={(e) => onChange(e.currentTarget.value)} />
      )}
    </Field>
  );
}
