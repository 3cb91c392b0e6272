import type { ComponentChildren, ComponentType } from 'preact';
import type { EditorProps } from './editor-form.js';
import { FormError, LoadFailed, Loading } from './fields.js';
import type { ListEditor } from './hooks.js';

export interface ListTabProps<T, F extends { editing: string | null }> {
  intro: string;
  /** The add button and the empty form it opens. */
  add: { label: string; testid: string; form: () => F };
  list: ListEditor<F>;
  Editor: ComponentType<EditorProps<F>>;
  /** Null until the first answer. */
  items: readonly T[] | null;
  error: string | null;
  empty: string;
  /** More buttons beside the add button, and what they open (shown above the editor). */
  extra?: { actions: ComponentChildren; panel: ComponentChildren };
  children: (items: readonly T[]) => ComponentChildren;
}

/** A Settings list: its add button, load and deletion errors, the open editor, then the items (or loading, or empty). */
export function ListTab<T, F extends { editing: string | null }>({ intro, add, list, Editor, items, error, empty, extra, children }: ListTabProps<T, F>) {
  const { editor } = list;
  return (
    <div class="settings-section">
      <div class="settings-section-head">
        <p class="settings-hint">{intro}</p>
        {extra?.actions}
        <button type="button" class="settings-primary" data-testid={add.testid} onClick={() => editor.open(add.form())}>
          {add.label}
        </button>
      </div>
      <LoadFailed error={error} />
      <FormError errors={list.deletion.errors} />
      {extra?.panel}
      {editor.form && <Editor key={editor.key} initial={editor.form} onCancel={editor.close} onSaved={list.saved} />}
      {items === null ? <Loading error={error} /> : items.length === 0 ? <p class="settings-empty">{empty}</p> : children(items)}
    </div>
  );
}
