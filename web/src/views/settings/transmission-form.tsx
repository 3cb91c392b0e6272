import { useState } from 'preact/hooks';
import { useT } from '../../i18n/use-t.js';
import {
  CODECS,
  newOutputForm,
  saveTransmission,
  transmissionErrorField,
  type Codec,
  type OutputForm,
  type TransmissionForm,
  type TransmissionInput,
} from '../../stores/transmissions.js';
import { CameraSourceSelect } from './camera-source-select.js';
import { Check, Field, FieldError, Form, FormError } from './fields.js';
import type { FormErrors } from './form-errors.js';
import { useSave } from './hooks.js';

export interface TransmissionFormProps {
  initial: TransmissionForm;
  onSaved: () => void;
  onCancel: () => void;
}

/** The advanced editor of a manual transmission and its outputs, saved as one document. */
export function TransmissionFormView({ initial, onSaved, onCancel }: TransmissionFormProps) {
  const t = useT();
  const [form, setForm] = useState(initial);
  const save = useSave(transmissionErrorField);
  const set = (patch: Partial<TransmissionForm>) => setForm((f) => ({ ...f, ...patch }));
  const updateOutput = (index: number, patch: Partial<OutputForm>) =>
    setForm((f) => ({ ...f, outputs: f.outputs.map((o, i) => (i === index ? { ...o, ...patch } : o)) }));
  const removeOutput = (index: number) => {
    // Errors name outputs by position: after a removal they would point at the wrong row.
    save.clear();
    setForm((f) => ({ ...f, outputs: f.outputs.filter((_, i) => i !== index) }));
  };

  return (
    <Form
      class="settings-card settings-form"
      testid="transmission-form"
      onSubmit={() => {
        void save.run(async () => {
          await saveTransmission(form);
          onSaved();
        });
      }}
    >
      <h3>{form.editing === null ? t('settings.tx.addTitle') : t('settings.tx.editTitle', { name: initial.name })}</h3>
      <div class="settings-grid">
        <Field label={t('settings.tx.name')} field="name" errors={save.errors}>
          <input type="text" value={form.name} data-testid="transmission-name" onInput={(e) => set({ name: e.currentTarget.value })} />
        </Field>
        {form.editing === null && (
          <Field label={t('settings.tx.id')} field="id" errors={save.errors} hint={t('settings.tx.idHint')}>
            <input type="text" value={form.id} data-testid="transmission-id" onInput={(e) => set({ id: e.currentTarget.value })} />
          </Field>
        )}
        <Field label={t('settings.tx.description')} field="description" errors={save.errors}>
          <input type="text" value={form.description} onInput={(e) => set({ description: e.currentTarget.value })} />
        </Field>
        <Field label={t('settings.tx.host')} field="host_server_id" errors={save.errors} hint={t('settings.tx.hostHint')}>
          <input type="text" value={form.host_server_id} onInput={(e) => set({ host_server_id: e.currentTarget.value })} />
        </Field>
        <Field label={t('settings.tx.input')} field="input" errors={save.errors}>
          <select value={form.input} data-testid="transmission-input" onChange={(e) => set({ input: e.currentTarget.value as TransmissionInput })}>
            <option value="writers">{t('settings.tx.input.writers')}</option>
            <option value="camera_source">{t('settings.tx.input.camera_source')}</option>
          </select>
        </Field>
        {form.input === 'camera_source' && (
          <CameraSourceSelect
            camera={form.camera_id}
            source={form.camera_source_id}
            errors={save.errors}
            emptyCamera={t('settings.tx.choose')}
            emptySource={t('settings.tx.choose')}
            onChange={(camera_id, camera_source_id) => set({ camera_id, camera_source_id })}
          />
        )}
      </div>
      <Check label={t('settings.tx.enabled')} checked={form.enabled} onChange={(enabled) => set({ enabled })} />

      <h4>{t('settings.tx.outputs')}</h4>
      {form.outputs.map((output, index) => (
        <OutputFields key={output.key} output={output} index={index} errors={save.errors} onChange={(patch) => updateOutput(index, patch)} onRemove={() => removeOutput(index)} />
      ))}
      <FieldError errors={save.errors} field="outputs" />
      <div class="settings-actions">
        <button type="button" data-testid="output-add" onClick={() => setForm((f) => ({ ...f, outputs: [...f.outputs, newOutputForm()] }))}>
          {t('settings.tx.addOutput')}
        </button>
      </div>

      <FormError errors={save.errors} />
      <div class="settings-actions settings-actions--end">
        <button type="button" onClick={onCancel}>
          {t('common.cancel')}
        </button>
        <button type="submit" class="settings-primary" data-testid="transmission-save" disabled={save.busy}>
          {save.busy ? t('settings.saving') : t('common.save')}
        </button>
      </div>
    </Form>
  );
}

interface OutputFieldsProps {
  output: OutputForm;
  index: number;
  errors: FormErrors;
  onChange: (patch: Partial<OutputForm>) => void;
  onRemove: () => void;
}

const NUMBERS = ['width', 'height', 'fps', 'bitrate_kbps'] as const;
const PROTOCOLS = ['enable_rtsp', 'enable_hls', 'enable_webrtc'] as const;

function OutputFields({ output, index, errors, onChange, onRemove }: OutputFieldsProps) {
  const t = useT();
  const at = (name: string) => `outputs.${index}.${name}`;
  return (
    <fieldset class="settings-source" data-testid="output-fields">
      <legend>{output.id ? t('settings.tx.outputNamed', { id: output.id }) : t('settings.tx.outputNew')}</legend>
      <FieldError errors={errors} field={`outputs.${index}`} />
      <div class="settings-grid">
        <Field label={t('settings.tx.output.name')} field={at('name')} errors={errors}>
          <input type="text" value={output.name} onInput={(e) => onChange({ name: e.currentTarget.value })} />
        </Field>
        <Field label={t('settings.tx.output.engine_path')} field={at('engine_path')} errors={errors} hint={t('settings.tx.output.engine_pathHint')}>
          <input type="text" value={output.engine_path} placeholder={t('settings.tx.automatic')} onInput={(e) => onChange({ engine_path: e.currentTarget.value })} />
        </Field>
        <Field label={t('settings.tx.output.codec')} field={at('codec')} errors={errors}>
          <select value={output.codec} onChange={(e) => onChange({ codec: e.currentTarget.value as Codec })}>
            {CODECS.map((c) => (
              <option key={c} value={c}>
                {t(`settings.tx.codec.${c}`)}
              </option>
            ))}
          </select>
        </Field>
        {NUMBERS.map((name) => (
          <Field key={name} label={t(`settings.tx.output.${name}`)} field={at(name)} errors={errors}>
            <input type="number" min={0} value={output[name]} placeholder={t('settings.tx.keepSource')} onInput={(e) => onChange({ [name]: e.currentTarget.value })} />
          </Field>
        ))}
      </div>
      <div class="settings-checks">
        <Check label={t('settings.tx.output.enabled')} checked={output.enabled} onChange={(enabled) => onChange({ enabled })} />
        {PROTOCOLS.map((name) => (
          <Check key={name} label={t(`settings.tx.output.${name}`)} checked={output[name]} onChange={(v) => onChange({ [name]: v })} />
        ))}
      </div>
      <div class="settings-actions settings-actions--end">
        <button type="button" class="settings-danger" data-testid="output-remove" onClick={onRemove}>
          {t('settings.tx.removeOutput')}
        </button>
      </div>
    </fieldset>
  );
}
