import type { Transmission } from '../../../../src/api/contract.js';
import { useState } from 'preact/hooks';
import { useT } from '../../i18n/use-t.js';
import { createPipeline, wizardErrorField, wizardForm, type WizardForm } from '../../stores/transmissions.js';
import { CameraSourceSelect } from './camera-source-select.js';
import { Check, Field, Form, FormError, SubmitButton } from './fields.js';
import { HostSelect } from './host-select.js';
import { useForm } from './hooks.js';

export interface WizardProps {
  transmission: Transmission;
  onCreated: () => void;
}

/** Advanced shortcut: a pipeline `camera.source -> stream.publish_video` writing into this transmission. */
export function WizardFormView({ transmission, onCreated }: WizardProps) {
  const t = useT();
  const { form, set, save } = useForm<WizardForm>(() => wizardForm(transmission), wizardErrorField);
  const [created, setCreated] = useState<string | null>(null);

  return (
    <Form
      class="settings-form"
      testid="wizard-form"
      onSubmit={() => {
        setCreated(null);
        void save.run(async () => {
          const pipeline = await createPipeline(transmission.id, form);
          setCreated(pipeline.name);
          onCreated();
        });
      }}
    >
      <p class="settings-hint">{t('settings.wizard.hint')}</p>
      <div class="settings-grid">
        <Field label={t('settings.wizard.pipelineName')} field="pipeline_name" errors={save.errors}>
          <input type="text" value={form.pipeline_name} data-testid="wizard-pipeline-name" onInput={(e) => set({ pipeline_name: e.currentTarget.value })} />
        </Field>
        <Field label={t('settings.wizard.server')} field="processing_server_id" errors={save.errors} hint={t('settings.wizard.serverHint')}>
          <HostSelect value={form.processing_server_id} testid="wizard-server" onChange={(processing_server_id) => set({ processing_server_id })} />
        </Field>
        <CameraSourceSelect
          camera={form.camera_id}
          source={form.camera_source_id}
          errors={save.errors}
          emptyCamera={transmission.camera_id ? t('settings.wizard.txCamera') : t('settings.tx.choose')}
          emptySource={t('settings.wizard.firstSource')}
          onChange={(camera_id, camera_source_id) => set({ camera_id, camera_source_id })}
        />
        <Field label={t('settings.wizard.priority')} field="writer_priority" errors={save.errors} hint={t('settings.wizard.priorityHint')}>
          <input type="number" min={-1000} max={1000} step={1} value={form.writer_priority} onInput={(e) => set({ writer_priority: e.currentTarget.value })} />
        </Field>
      </div>
      <Check label={t('settings.wizard.enabled')} checked={form.enabled} onChange={(enabled) => set({ enabled })} />
      <FormError errors={save.errors} />
      {created && (
        <p class="settings-success" role="status" data-testid="wizard-created">
          {t('settings.wizard.created', { name: created })}
        </p>
      )}
      <div class="settings-actions settings-actions--end">
        <SubmitButton testid="wizard-create" busy={save.busy} label={t('settings.wizard.create')} />
      </div>
    </Form>
  );
}
