/**
 * Every browser URL is derived from one base that the server writes into the page from
 * `X-Ingress-Path` (`/api/hassio_ingress/<token>/` under Home Assistant, `/` elsewhere).
 */
export interface Base {
  /** Absolute path prefix ending with `/`. */
  path: string;
  /** `http:`/`https:` origin the page was loaded from. */
  origin: string;
}

export function readBase(doc: Pick<Document, 'querySelector'>, location: Pick<Location, 'origin'>): Base {
  const meta = doc.querySelector('meta[name="toposync-base"]')?.getAttribute('content') ?? '/';
  return { path: normalise(meta), origin: location.origin };
}

export function normalise(path: string): string {
  const withLead = path.startsWith('/') ? path : `/${path}`;
  return withLead.endsWith('/') ? withLead : `${withLead}/`;
}

/** `api/...` relative to the base; a leading slash is ignored so callers cannot escape the prefix. */
export function httpUrl(base: Base, path: string): string {
  return `${base.path}${path.replace(/^\/+/, '')}`;
}

export function wsUrl(base: Base, path: string): string {
  const origin = base.origin.replace(/^http/, 'ws');
  return `${origin}${httpUrl(base, path)}`;
}

let current: Base = { path: '/', origin: 'http://localhost' };
export const setBase = (b: Base) => {
  current = b;
};
export const base = () => current;
