import { base, httpUrl } from '../base.js';

/** The server's one JSON error shape: `{ error: { code, message, field, ...details } }`. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null,
    /** What else the error carries (a failed Home Assistant step, its flow and the steps made). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

export async function api<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  const res = await fetch(httpUrl(base(), path), {
    method: init.method ?? 'GET',
    headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  const text = await res.text();
  const data: unknown = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string; field?: string | null } & Record<string, unknown> } | null)?.error;
    const { code, message, field, ...details } = err ?? {};
    throw new ApiFailure(res.status, code ?? 'http_error', message ?? `HTTP ${res.status}`, field ?? null, details);
  }
  return data as T;
}
