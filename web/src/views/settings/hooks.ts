import { useEffect, useRef, useState } from 'preact/hooks';
import { NO_ERRORS, toFormErrors, type FormErrors } from './form-errors.js';

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
export function useEditor<F>() {
  const [state, setState] = useState<{ form: F | null; key: number }>({ form: null, key: 0 });
  return {
    ...state,
    open: (form: F) => setState((s) => ({ form, key: s.key + 1 })),
    close: () => setState((s) => ({ ...s, form: null })),
  };
}
