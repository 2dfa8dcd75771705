/** An HTTP error with a stable code, worded for the person calling the API. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra fields for the response body: the input named, the workflow's problems. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }
}
