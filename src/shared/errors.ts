/** The HTTP statuses the app answers errors with (426: a WebSocket URL requested without the upgrade; 504: a camera asked on the user's behalf did not answer). */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 426 | 429 | 500 | 502 | 503 | 504;

/** The one error type of the API. `field` names the offending input when there is one. */
export class ApiError extends Error {
  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    message: string,
    readonly field: string | null = null,
    readonly details: Record<string, unknown> | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, field: this.field, ...(this.details ?? {}) } };
  }
}

export const notFound = (what: string, id: string) => new ApiError(404, 'not_found', `${what} "${id}" does not exist`);
export const invalid = (field: string, message: string) => new ApiError(422, 'invalid_field', `${field}: ${message}`, field);
