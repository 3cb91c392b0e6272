import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { useT } from '../../i18n/use-t.js';
import type { FormErrors } from '../../stores/form-errors.js';

/** The server's message for one field, next to it. */
export function FieldError({ errors, field }: { errors: FormErrors; field: string }) {
  const message = errors.fields[field];
  if (!message) return null;
  return (
    <span class="settings-field-error" role="alert" data-testid="field-error" data-field={field}>
      {message}
    </span>
  );
}

/** A list or settings that could not be loaded; what was loaded before stays on screen. */
export function LoadFailed({ error }: { error: string | null }) {
  const t = useT();
  if (error === null) return null;
  return (
    <p class="settings-form-error" role="alert">
      {t('settings.loadFailed', { message: error })}
    </p>
  );
}

/** Shown until the first answer; nothing once loading failed, the error says so. */
export function Loading({ error }: { error: string | null }) {
  const t = useT();
  return error === null ? <p class="settings-hint">{t('common.loading')}</p> : null;
}

/** A failure that names no field of the form. */
export function FormError({ errors }: { errors: FormErrors }) {
  const t = useT();
  if (!errors.general) return null;
  return (
    <p class="settings-form-error" role="alert" data-testid="form-error">
      {t('common.error', { message: errors.general })}
    </p>
  );
}

export interface FieldProps {
  label: string;
  /** The form field key errors are shown for. */
  field: string;
  errors: FormErrors;
  hint?: string;
  /** Two grid columns, for long values such as addresses. */
  wide?: boolean;
  children: ComponentChildren;
}

/** A labelled input with its hint and its error. */
export function Field({ label, field, errors, hint, wide, children }: FieldProps) {
  return (
    <label class={`settings-field${wide ? ' settings-field--wide' : ''}${errors.fields[field] ? ' settings-field--invalid' : ''}`}>
      <span class="settings-field-label">{label}</span>
      {children}
      {hint && <span class="settings-hint">{hint}</span>}
      <FieldError errors={errors} field={field} />
    </label>
  );
}

export interface CheckProps {
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  testid?: string;
  disabled?: boolean;
}

export function Check({ label, checked, onChange, testid, disabled }: CheckProps) {
  return (
    <label class="settings-check">
      <input type="checkbox" checked={checked} disabled={disabled} data-testid={testid} onChange={(e) => onChange(e.currentTarget.checked)} />
      <span>{label}</span>
    </label>
  );
}

export interface ConfirmButtonProps {
  label: string;
  /** The question asked after the first click. */
  question: string;
  onConfirm: () => void;
  testid: string;
  disabled?: boolean;
}

/**
 * Deleting asks once more in place: `window.confirm` dialogs are blocked in some Home Assistant
 * frames (companion apps) and would stop a scripted browser.
 */
export function ConfirmButton({ label, question, onConfirm, testid, disabled }: ConfirmButtonProps) {
  const t = useT();
  const [armed, setArmed] = useState(false);
  if (!armed) {
    return (
      <button type="button" class="settings-danger" data-testid={testid} disabled={disabled} onClick={() => setArmed(true)}>
        {label}
      </button>
    );
  }
  return (
    <span class="settings-confirm" role="group">
      <span>{question}</span>
      <button
        type="button"
        class="settings-danger"
        data-testid={`${testid}-confirm`}
        onClick={() => {
          setArmed(false);
          onConfirm();
        }}
      >
        {label}
      </button>
      <button type="button" onClick={() => setArmed(false)}>
        {t('common.cancel')}
      </button>
    </span>
  );
}

export interface FormProps {
  class: string;
  testid: string;
  onSubmit: () => void;
  children: ComponentChildren;
}

/**
 * A form the server validates: the browser's own checks are off (noValidate) so every error shows
 * the same way, next to the field the server names, instead of some in browser bubbles.
 */
export function Form({ class: className, testid, onSubmit, children }: FormProps) {
  return (
    <form
      noValidate
      class={className}
      data-testid={testid}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      {children}
    </form>
  );
}

export interface SubmitButtonProps {
  testid: string;
  busy: boolean;
  disabled?: boolean;
  /** "Save" unless told. */
  label?: string;
}

/** A form's submit button: disabled and saying so while its request runs. */
export function SubmitButton({ testid, busy, disabled, label }: SubmitButtonProps) {
  const t = useT();
  return (
    <button type="submit" class="settings-primary" data-testid={testid} disabled={busy || disabled === true}>
      {busy ? t('settings.saving') : (label ?? t('common.save'))}
    </button>
  );
}

export interface SaveActionsProps {
  testid: string;
  /** The last save succeeded; said until the next change. */
  saved: boolean;
  dirty: boolean;
  busy: boolean;
  onReset: () => void;
}

/** The end of a settings form edited in place: "Saved", undo the changes, save. */
export function SaveActions({ testid, saved, dirty, busy, onReset }: SaveActionsProps) {
  const t = useT();
  return (
    <div class="settings-actions settings-actions--end">
      {saved && !dirty && (
        <span class="settings-hint" role="status">
          {t('settings.saved')}
        </span>
      )}
      <button type="button" disabled={!dirty || busy} onClick={onReset}>
        {t('settings.reset')}
      </button>
      <SubmitButton testid={testid} busy={busy} disabled={!dirty} />
    </div>
  );
}
