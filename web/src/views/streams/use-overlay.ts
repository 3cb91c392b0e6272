import { useCallback, useEffect, useState } from 'preact/hooks';
import { initialOverlay, overlayStep, type OverlayInput, type OverlayState } from './overlay.js';

/** The overlay state machine on the page's clock, with the one hide timer it needs (cleared on every change and on unmount). */
export function useOverlay(): [OverlayState, (input: OverlayInput) => void] {
  const [state, setState] = useState(() => initialOverlay(performance.now()));
  const dispatch = useCallback((input: OverlayInput) => setState((s) => overlayStep(s, { ...input, now: performance.now() })), []);
  useEffect(() => {
    const hideAt = state.hideAt;
    if (hideAt === null) return;
    // The tick carries at least the due time: a timer a hair early against performance.now() would
    // otherwise change nothing, and with hideAt unchanged no new timer would ever be armed.
    const timer = setTimeout(() => setState((s) => overlayStep(s, { type: 'tick', now: Math.max(performance.now(), hideAt) })), Math.max(0, hideAt - performance.now()));
    return () => clearTimeout(timer);
  }, [state.hideAt]);
  return [state, dispatch];
}
