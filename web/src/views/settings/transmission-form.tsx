import type { Codec, Transmission } from '../../../../src/api/contract.js';
import { useT } from '../../i18n/use-t.js';
import { CODECS, newOutputForm, saveTransmission, transmissionErrorField, type OutputForm, type TransmissionForm } from '../../stores/transmissions.js';
import { CameraSourceSelect } from './camera-source-select.js';
import { EditorForm, FormRows, type EditorProps, type RowProps } from './editor-form.js';
import { Check, Field } from './fields.js';
import { HostSelect } from './host-select.js';
import { useForm } from './hooks.js';

/** The advanced editor of a manual transmission and its outputs, saved as one document. */
export function TransmissionFormView({ initial, onSaved, onCancel }: EditorProps<TransmissionForm>) {
  const t = useT();
  const { form, set, save } = useForm(initial, transmissionErrorField);

  return (
    <EditorForm
      testid="transmission-form"
      saveTestid="transmission-save"
      title={form.editing === null ? t('settings.tx.addTitle') : t('settings.tx.editTitle', { name: initial.name })}
      save={save}
      submit={() => saveTransmission(form)}
      onSaved={onSaved}
      onCancel={onCancel}
    >
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
          <HostSelect value={form.host_server_id} testid="transmission-host" onChange={(host_server_id) => set({ host_server_id })} />
        </Field>
        <Field label={t('settings.tx.input')} field="input" errors={save.errors}>
          <select value={form.input} data-testid="transmission-input" onChange={(e) => set({ input: e.currentTarget.value as Transmission['input'] })}>
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
      <FormRows
        field="outputs"
        title={t('settings.tx.outputs')}
        rows={form.outputs}
        setRows={(update) => set((f) => ({ outputs: update(f.outputs) }))}
        create={newOutputForm}
        save={save}
        legend={(output) => (output.id ? t('settings.tx.outputNamed', { id: output.id }) : t('settings.tx.outputNew'))}
        testid="output-fields"
        add={{ label: t('settings.tx.addOutput'), testid: 'output-add' }}
        remove={{ label: t('settings.tx.removeOutput'), testid: 'output-remove' }}
        Row={OutputFields}
      />
    </EditorForm>
  );
}

const NUMBERS = ['width', 'height', 'fps', 'bitrate_kbps'] as const;
const PROTOCOLS = ['enable_rtsp', 'enable_hls', 'enable_webrtc'] as const;

function OutputFields({ row: output, at, errors, onChange }: RowProps<OutputForm>) {
  const t = useT();
  return (
    <>
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
    </>
  );
}
