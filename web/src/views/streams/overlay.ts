/**
 * The tile overlay (name, source selector, full screen) shows on pointer activity and hides a few
 * seconds after the last one, so it never covers the picture for long. While the pointer rests on
 * the overlay itself or the source selector has focus (its list may be open, and an open list
 * sends the tile no pointer events) it stays. Pure: time comes in with each event, `hideAt` says
 * when the next `tick` is due.
 */
export const OVERLAY_HIDE_MS = 3000;

/**
 * Activity this soon after the last counted one changes nothing: pointermove fires at the screen's
 * rate, and a new state each time would re-render the tile (and re-arm its timer) for no gain.
 */
export const OVERLAY_ACTIVITY_RESOLUTION_MS = 250;

type OverlayPin = 'hover' | 'select';

export interface OverlayState {
  visible: boolean;
  /** When a `tick` hides the overlay; null while pinned or hidden. */
  hideAt: number | null;
  pins: readonly OverlayPin[];
}

export type OverlayInput = { type: 'activity' } | { type: 'pin'; pin: OverlayPin; on: boolean } | { type: 'tick' };
export type OverlayEvent = OverlayInput & { now: number };

/** Shown on mount, so a new tile tells which camera it is before the overlay fades. */
export const initialOverlay = (now: number, hideMs = OVERLAY_HIDE_MS): OverlayState => ({ visible: true, hideAt: now + hideMs, pins: [] });

export function overlayStep(s: OverlayState, e: OverlayEvent, hideMs = OVERLAY_HIDE_MS): OverlayState {
  switch (e.type) {
    case 'activity': {
      if (s.pins.length > 0) return s.visible ? s : { ...s, visible: true };
      if (s.visible && s.hideAt !== null && e.now < s.hideAt - hideMs + OVERLAY_ACTIVITY_RESOLUTION_MS) return s;
      return { ...s, visible: true, hideAt: e.now + hideMs };
    }
    case 'pin': {
      const pins = s.pins.filter((p) => p !== e.pin);
      if (e.on) return { visible: true, hideAt: null, pins: [...pins, e.pin] };
      if (pins.length > 0) return { ...s, pins };
      return { visible: s.visible, hideAt: s.visible ? e.now + hideMs : null, pins };
    }
    case 'tick':
      return s.hideAt !== null && e.now >= s.hideAt ? { ...s, visible: false, hideAt: null } : s;
  }
}
