/**
 * Light or dark, as Home Assistant shows it. Under ingress the panel is an iframe of Home
 * Assistant's frontend on the same origin: its `<home-assistant>` element knows the effective dark
 * mode (`hass.themes.darkMode`, already resolved for "auto"), and its document carries the theme's
 * colours as CSS variables. Outside Home Assistant (or when the parent cannot be read) the
 * browser's `prefers-color-scheme` decides. The decision is pure (`decideTheme`); `followTheme`
 * reads the page and the parent and applies the result to `<html>` whenever either changes.
 */

type Scheme = 'light' | 'dark';

/** What Home Assistant's frame says; each part null when it is not there or cannot be read. */
export interface ParentTheme {
  darkMode: boolean | null;
  /** Computed `--primary-background-color`, `--primary-text-color`, `--primary-color`. */
  background: string | null;
  text: string | null;
  primary: string | null;
}

export interface Theme {
  scheme: Scheme;
  /** Home Assistant's own colours to adopt (CSS colour text); null: the panel's palette for `scheme`. */
  background: string | null;
  text: string | null;
  accent: string | null;
}

/** `#rgb`, `#rrggbb`, `#rrggbbaa`, `rgb()`/`rgba()` to 0-255 channels; null for anything else. */
export function parseColor(css: string): [number, number, number] | null {
  const c = css.trim().toLowerCase();
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/.exec(c)?.[1];
  if (hex) {
    const full = hex.length === 3 ? hex.replace(/./g, '$&$&') : hex.slice(0, 6);
    return [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16)) as [number, number, number];
  }
  const fn = /^rgba?\(\s*(\d+(?:\.\d+)?)[\s,]+(\d+(?:\.\d+)?)[\s,]+(\d+(?:\.\d+)?)\s*(?:[,/]\s*[\d.]+%?\s*)?\)$/.exec(c);
  if (!fn) return null;
  const rgb = [fn[1], fn[2], fn[3]].map(Number) as [number, number, number];
  return rgb.every((v) => v <= 255) ? rgb : null;
}

/** WCAG relative luminance, 0 (black) to 1 (white). */
function luminance([r, g, b]: [number, number, number]): number {
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

const darkColor = (css: string | null): boolean | null => {
  const rgb = css ? parseColor(css) : null;
  return rgb ? luminance(rgb) < 0.2 : null;
};

/**
 * Home Assistant's dark mode first, then its background's lightness, then the media query. Its
 * colours are adopted only when they agree with the scheme chosen: a background that contradicts
 * the dark mode (a theme still being applied) would make text unreadable.
 */
export function decideTheme(parent: ParentTheme | null, mediaDark: boolean): Theme {
  const bgDark = darkColor(parent?.background ?? null);
  const scheme: Scheme = (parent?.darkMode ?? bgDark ?? mediaDark) ? 'dark' : 'light';
  const dark = scheme === 'dark';
  const textDark = darkColor(parent?.text ?? null);
  const adopt = bgDark === dark && textDark === !dark;
  return {
    scheme,
    background: adopt ? (parent?.background ?? null) : null,
    text: adopt ? (parent?.text ?? null) : null,
    accent: parent?.primary && parseColor(parent.primary) ? parent.primary.trim() : null,
  };
}

interface HomeAssistantElement extends Element {
  hass?: { themes?: { darkMode?: unknown } };
}

/** Home Assistant's frame around this one, when there is one and it is on the same origin. */
function parentDocument(win: Window): Document | null {
  try {
    return win.parent !== win ? win.parent.document : null;
  } catch {
    // Another origin: reading it throws.
    return null;
  }
}

function readParentTheme(win: Window): ParentTheme | null {
  const doc = parentDocument(win);
  if (!doc) return null;
  try {
    const dark = doc.querySelector<HomeAssistantElement>('home-assistant')?.hass?.themes?.darkMode;
    const style = doc.defaultView?.getComputedStyle(doc.documentElement);
    // An unset variable reads as an empty string.
    const cssVar = (name: string): string | null => {
      const value = style?.getPropertyValue(name).trim() ?? '';
      return value === '' ? null : value;
    };
    return {
      darkMode: typeof dark === 'boolean' ? dark : null,
      background: cssVar('--primary-background-color'),
      text: cssVar('--primary-text-color'),
      primary: cssVar('--primary-color'),
    };
  } catch {
    return null;
  }
}

function applyTheme(root: HTMLElement, theme: Theme): void {
  root.dataset.theme = theme.scheme;
  root.style.colorScheme = theme.scheme;
  const set = (name: string, value: string | null) => (value ? root.style.setProperty(name, value) : root.style.removeProperty(name));
  set('--app-bg', theme.background);
  set('--app-text', theme.text);
  set('--accent', theme.accent);
}

/**
 * Applies the theme now and again when the media query changes or Home Assistant re-themes its
 * document (it writes the theme's variables into the root element's style attribute, and the dark
 * mode switch with them). Returns the function that stops following.
 */
export function followTheme(win: Window, root: HTMLElement): () => void {
  const media = win.matchMedia('(prefers-color-scheme: dark)');
  const update = () => applyTheme(root, decideTheme(readParentTheme(win), media.matches));
  update();
  media.addEventListener('change', update);
  const parentRoot = parentDocument(win)?.documentElement;
  const observer = new MutationObserver(update);
  if (parentRoot) observer.observe(parentRoot, { attributes: true, attributeFilter: ['style', 'class'] });
  return () => {
    media.removeEventListener('change', update);
    observer.disconnect();
  };
}
