import { useEffect, useRef, useState } from 'preact/hooks';
import { NO_ERRORS, toFormErrors, type FormErrors } from '../../stores/form-errors.js';

/** Aborted when the component unmounts, so refreshes started by a save do not outlive it. */
export function useUnmountSignal(): AbortSignal {
  const ctrl = useRef<AbortController | null>(null);
  ctrl.current ??= new AbortController();
  useEffect(() => () => ctrl.current?.abort(), []);
  return ctrl.current.signal;
}

interface SaveState {
  busy: boolean;
  errors: FormErrors;
}

/**
 * A form's save: busy while the request runs, then the server's error mapped onto the form's
 * fields by `resolve` (see toFormErrors). `clear` forgets errors whose field indexes went stale.
 */
export function useSave(resolve: (field: string) => string | null) {
  const [state, setState] = useState<SaveState>({ busy: false, errors: NO_ERRORS });
  const run = async (action: () => Promise<void>): Promise<void> => {
    setState({ busy: true, errors: NO_ERRORS });
    try {
      await action();
      setState({ busy: false, errors: NO_ERRORS });
    } catch (err) {
      setState({ busy: false, errors: toFormErrors(err, resolve) });
    }
  };
  const clear = () => setState((s) => ({ ...s, errors: NO_ERRORS }));
  return { ...state, run, clear };
}

export type Save = ReturnType<typeof useSave>;

/** A form's values and its save; `set` merges a patch, or what `patch` makes of the current values. */
export function useForm<F>(initial: F | (() => F), resolve: (field: string) => string | null) {
  const [form, setForm] = useState<F>(initial);
  const save = useSave(resolve);
  const set = (patch: Partial<F> | ((form: F) => Partial<F>)) => setForm((f) => ({ ...f, ...(typeof patch === 'function' ? patch(f) : patch) }));
  return { form, set, save };
}

/** Runs `task` once on mount; unmounting aborts it. */
export function useLoadOnce(task: (signal: AbortSignal) => Promise<unknown>): void {
  useEffect(() => {
    const ctrl = new AbortController();
    void task(ctrl.signal);
    return () => ctrl.abort();
  }, []);
}

/**
 * The item open in an editor. Every `open` gets a new key, so the editor remounts and its own
 * state starts over from the item even when the same one is opened again.
 */
function useEditor<F>() {
  const [state, setState] = useState<{ form: F | null; key: number }>({ form: null, key: 0 });
  return {
    ...state,
    open: (form: F) => setState((s) => ({ form, key: s.key + 1 })),
    close: () => setState((s) => ({ ...s, form: null })),
  };
}

/**
 * A list tab's editor and deletions. Deleting the item open in the editor closes it; a save or a
 * deletion reloads the list, since the server may have changed more than the item.
 */
export function useListEditor<F extends { editing: string | null }>(deleteItem: (id: string) => Promise<void>, reload: () => Promise<unknown>) {
  const editor = useEditor<F>();
  const deletion = useSave(() => null);
  const remove = async (id: string) => {
    await deletion.run(async () => {
      await deleteItem(id);
      if (editor.form?.editing === id) editor.close();
    });
    await reload();
  };
  const saved = () => {
    editor.close();
    void reload();
  };
  return { editor, deletion, remove, saved };
}

export type ListEditor<F extends { editing: string | null }> = ReturnType<typeof useListEditor<F>>;
