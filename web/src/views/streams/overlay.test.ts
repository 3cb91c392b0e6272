import { describe, expect, it } from 'vitest';
import { OVERLAY_ACTIVITY_RESOLUTION_MS as RES, OVERLAY_HIDE_MS as HIDE, initialOverlay, overlayStep, type OverlayInput, type OverlayState } from './overlay.js';

const run = (s: OverlayState, steps: [number, OverlayInput][]) => steps.reduce((acc, [now, input]) => overlayStep(acc, { ...input, now }), s);

describe('overlay', () => {
  it('shows on mount and hides after the delay', () => {
    const s = initialOverlay(0);
    expect(s).toEqual({ visible: true, hideAt: HIDE, pins: [] });
    expect(overlayStep(s, { type: 'tick', now: HIDE - 1 })).toBe(s);
    expect(overlayStep(s, { type: 'tick', now: HIDE })).toEqual({ visible: false, hideAt: null, pins: [] });
  });

  it('activity shows it again and restarts the delay', () => {
    const hidden = run(initialOverlay(0), [[HIDE, { type: 'tick' }]]);
    const shown = overlayStep(hidden, { type: 'activity', now: 10_000 });
    expect(shown).toEqual({ visible: true, hideAt: 10_000 + HIDE, pins: [] });
    const later = overlayStep(shown, { type: 'activity', now: 12_000 });
    expect(later.hideAt).toBe(12_000 + HIDE);
    expect(overlayStep(later, { type: 'tick', now: 10_000 + HIDE }).visible).toBe(true);
  });

  it('activity within the resolution keeps the same state (no re-render per pointermove)', () => {
    const s = initialOverlay(0);
    expect(overlayStep(s, { type: 'activity', now: RES - 1 })).toBe(s);
    expect(overlayStep(s, { type: 'activity', now: RES }).hideAt).toBe(RES + HIDE);
  });

  it('stays while pinned, and the delay starts when the last pin goes', () => {
    const s = run(initialOverlay(0), [
      [100, { type: 'pin', pin: 'hover', on: true }],
      [200, { type: 'pin', pin: 'select', on: true }],
      [HIDE * 5, { type: 'tick' }],
      [HIDE * 5, { type: 'activity' }],
    ]);
    expect(s).toEqual({ visible: true, hideAt: null, pins: ['hover', 'select'] });
    const oneLeft = overlayStep(s, { type: 'pin', pin: 'hover', on: false, now: 20_000 });
    expect(oneLeft).toEqual({ visible: true, hideAt: null, pins: ['select'] });
    const none = overlayStep(oneLeft, { type: 'pin', pin: 'select', on: false, now: 21_000 });
    expect(none).toEqual({ visible: true, hideAt: 21_000 + HIDE, pins: [] });
    expect(overlayStep(none, { type: 'tick', now: 21_000 + HIDE }).visible).toBe(false);
  });

  it('pinning a hidden overlay shows it; unpinning one already hidden arms nothing', () => {
    const hidden = run(initialOverlay(0), [[HIDE, { type: 'tick' }]]);
    expect(overlayStep(hidden, { type: 'pin', pin: 'select', on: true, now: 5000 })).toEqual({ visible: true, hideAt: null, pins: ['select'] });
    expect(overlayStep(hidden, { type: 'pin', pin: 'hover', on: false, now: 5000 })).toEqual({ visible: false, hideAt: null, pins: [] });
  });

  it('the same pin twice counts once', () => {
    const s = run(initialOverlay(0), [
      [1, { type: 'pin', pin: 'hover', on: true }],
      [2, { type: 'pin', pin: 'hover', on: true }],
      [3, { type: 'pin', pin: 'hover', on: false }],
    ]);
    expect(s).toEqual({ visible: true, hideAt: 3 + HIDE, pins: [] });
  });
});
