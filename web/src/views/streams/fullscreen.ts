/**
 * The Fullscreen API with Safari's prefixed names (iPadOS before 16.4 has only those). An iPhone
 * has neither for anything but <video>, so `fullscreenSupported()` is false there and the button
 * is not drawn.
 */
interface PrefixedDocument {
  webkitFullscreenEnabled?: boolean;
  webkitFullscreenElement?: Element | null;
  webkitExitFullscreen?: () => Promise<void> | void;
}
interface PrefixedElement {
  webkitRequestFullscreen?: () => Promise<void> | void;
}
/** The standard names, absent where only the prefixed ones exist (lib.dom types them as always there). */
interface MaybeDocument {
  exitFullscreen?: () => Promise<void>;
}
interface MaybeElement {
  requestFullscreen?: () => Promise<void>;
}

const prefixed = () => document as Document & PrefixedDocument;

export const fullscreenSupported = (): boolean => document.fullscreenEnabled || prefixed().webkitFullscreenEnabled === true;

export const fullscreenElement = (): Element | null => document.fullscreenElement ?? prefixed().webkitFullscreenElement ?? null;

/** Resolves either way: a refused request (no user gesture, an iframe without `allowfullscreen`) leaves the tile as it was. */
export async function toggleFullscreen(el: Element): Promise<void> {
  try {
    if (fullscreenElement() === el) {
      const doc: MaybeDocument = document;
      await (doc.exitFullscreen ? doc.exitFullscreen() : prefixed().webkitExitFullscreen?.());
    } else if ((el as MaybeElement).requestFullscreen) {
      await el.requestFullscreen();
    } else {
      await (el as Element & PrefixedElement).webkitRequestFullscreen?.();
    }
  } catch {
    // Refusal is the browser's answer; the fullscreenchange listener keeps the UI truthful.
  }
}

/** Calls `listener` on every change, prefixed or not; returns the cleanup. */
export function onFullscreenChange(listener: () => void): () => void {
  document.addEventListener('fullscreenchange', listener);
  document.addEventListener('webkitfullscreenchange', listener);
  return () => {
    document.removeEventListener('fullscreenchange', listener);
    document.removeEventListener('webkitfullscreenchange', listener);
  };
}
