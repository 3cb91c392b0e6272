/**
 * Every browser URL is derived from one base that the server writes into the page from
 * `X-Ingress-Path` (`/api/hassio_ingress/<token>/` under Home Assistant, `/` elsewhere): requests
 * go to `httpUrl` (relative to the prefix); URLs the server hands out (plan, URL list) are already
 * root-relative with the prefix in them and only get the page's origin (`absoluteUrl`, `wsUrl`).
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

/** A root-relative URL from the server against the page's origin; an absolute one (`rtsp://`) stays as it is. */
export function absoluteUrl(base: Pick<Base, 'origin'>, url: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(url) ? url : `${base.origin}${url}`;
}

/** The one place WebSocket URLs are made: a root-relative URL from the server as `ws:`/`wss:` of the page's origin. */
export function wsUrl(base: Pick<Base, 'origin'>, url: string): string {
  return absoluteUrl({ origin: base.origin.replace(/^http/, 'ws') }, url);
}

let current: Base = { path: '/', origin: 'http://localhost' };
export const setBase = (b: Base) => {
  current = b;
};
export const base = () => current;
