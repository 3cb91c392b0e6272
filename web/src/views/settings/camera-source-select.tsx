import { useT } from '../../i18n/use-t.js';
import { camerasStore } from '../../stores/cameras.js';
import { useStore } from '../../stores/use-store.js';
import { Field } from './fields.js';
import type { FormErrors } from '../../stores/form-errors.js';

export interface CameraSourceSelectProps {
  camera: string;
  source: string;
  onChange: (camera: string, source: string) => void;
  errors: FormErrors;
  /** What the empty choices mean where this is used ("choose…", "the transmission's camera", "its first source"). */
  emptyCamera: string;
  emptySource: string;
}

/** A camera, then one of its sources; changing the camera resets the source. Errors use `camera_id` / `camera_source_id`. */
export function CameraSourceSelect({ camera, source, onChange, errors, emptyCamera, emptySource }: CameraSourceSelectProps) {
  const t = useT();
  const { cameras } = useStore(camerasStore);
  const sources = cameras?.find((c) => c.id === camera)?.sources ?? [];
  return (
    <>
      <Field label={t('settings.tx.camera')} field="camera_id" errors={errors}>
        <select value={camera} data-testid="select-camera" onChange={(e) => onChange(e.currentTarget.value, '')}>
          <option value="">{emptyCamera}</option>
          {cameras?.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </Field>
      <Field label={t('settings.tx.source')} field="camera_source_id" errors={errors}>
        <select value={source} disabled={camera === ''} data-testid="select-source" onChange={(e) => onChange(camera, e.currentTarget.value)}>
          <option value="">{emptySource}</option>
          {sources.map((s) => (
            <option key={s.id} value={s.id}>
              {s.label} ({t(`streams.role.${s.role}`)})
            </option>
          ))}
        </select>
      </Field>
    </>
  );
}
