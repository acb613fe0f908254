/**
 * Thrown by a handler when trying again cannot help (e.g. WeChat errcode 43101: the user refused
 * the subscription): the job goes straight to the dead-letter list, without further attempts.
 */
export class PermanentJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

/** A run that outlived its type's timeoutMs; counts as a failed attempt (retried with backoff). */
export class JobTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the job did not finish within ${timeoutMs} ms`);
    this.name = 'JobTimeoutError';
  }
}
