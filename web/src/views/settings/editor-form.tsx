import type { ComponentChildren, ComponentType } from 'preact';
import { useT } from '../../i18n/use-t.js';
import { FieldError, Form, FormError, SubmitButton } from './fields.js';
import type { FormErrors } from '../../stores/form-errors.js';
import type { Save } from './hooks.js';

/** What a list tab gives the editor it opens (see ListTab). */
export interface EditorProps<F> {
  initial: F;
  /** Called once the server accepted the save (a camera's streams are reconciled by then). */
  onSaved: () => void;
  onCancel: () => void;
}

export interface EditorFormProps {
  testid: string;
  saveTestid: string;
  title: string;
  save: Save;
  /** The request; `onSaved` follows once it succeeds. */
  submit: () => Promise<unknown>;
  onSaved: () => void;
  onCancel: () => void;
  children: ComponentChildren;
}

/** The card that adds or edits one item: title, fields, the error naming no field, Cancel and Save. */
export function EditorForm({ testid, saveTestid, title, save, submit, onSaved, onCancel, children }: EditorFormProps) {
  const t = useT();
  return (
    <Form
      class="settings-card settings-form"
      testid={testid}
      onSubmit={() => {
        void save.run(async () => {
          await submit();
          onSaved();
        });
      }}
    >
      <h3>{title}</h3>
      {children}
      <FormError errors={save.errors} />
      <div class="settings-actions settings-actions--end">
        <button type="button" onClick={onCancel}>
          {t('common.cancel')}
        </button>
        <SubmitButton testid={saveTestid} busy={save.busy} />
      </div>
    </Form>
  );
}

/** What FormRows gives the fields of one row. */
export interface RowProps<R> {
  row: R;
  /** The form field key of one of the row's fields, as errors name it (`sources.2.url`). */
  at: (name: string) => string;
  errors: FormErrors;
  onChange: (patch: Partial<R>) => void;
}

interface Labelled {
  label: string;
  testid: string;
}

export interface FormRowsProps<R extends { key: string }> {
  /** Where the rows sit in the form and in the server's errors: `sources`, `sources.N`, `sources.N.<field>`. */
  field: string;
  title: string;
  /** Said while there is no row; nothing when left out. */
  empty?: string;
  rows: readonly R[];
  setRows: (update: (rows: readonly R[]) => R[]) => void;
  create: (rows: readonly R[]) => R;
  save: Save;
  legend: (row: R, index: number) => string;
  testid: string;
  /** The row's own data-* attributes on its fieldset. */
  data?: (row: R) => Record<`data-${string}`, string>;
  add: Labelled;
  remove: Labelled;
  Row: ComponentType<RowProps<R>>;
}

/** The rows of an editor (a camera's sources, a transmission's outputs): each in its fieldset, with add and remove. */
export function FormRows<R extends { key: string }>({ field, title, empty, rows, setRows, create, save, legend, testid, data, add, remove, Row }: FormRowsProps<R>) {
  const removeAt = (index: number) => {
    // Errors name rows by position: after a removal they would point at the wrong row.
    save.clear();
    setRows((rs) => rs.filter((_, i) => i !== index));
  };
  return (
    <>
      <h4>{title}</h4>
      {empty !== undefined && rows.length === 0 && <p class="settings-hint">{empty}</p>}
      {rows.map((row, index) => (
        <fieldset key={row.key} class="settings-source" data-testid={testid} {...data?.(row)}>
          <legend>{legend(row, index)}</legend>
          <FieldError errors={save.errors} field={`${field}.${index}`} />
          <Row row={row} at={(name) => `${field}.${index}.${name}`} errors={save.errors} onChange={(patch) => setRows((rs) => rs.map((r, i) => (i === index ? { ...r, ...patch } : r)))} />
          <div class="settings-actions settings-actions--end">
            <button type="button" class="settings-danger" data-testid={remove.testid} onClick={() => removeAt(index)}>
              {remove.label}
            </button>
          </div>
        </fieldset>
      ))}
      <FieldError errors={save.errors} field={field} />
      <div class="settings-actions">
        <button type="button" data-testid={add.testid} onClick={() => setRows((rs) => [...rs, create(rs)])}>
          {add.label}
        </button>
      </div>
    </>
  );
}
