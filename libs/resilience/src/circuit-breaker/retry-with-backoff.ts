export interface RetryOptions {
  /** Attempts after the first one; 0 means no retry. */
  retries: number;
  /** The ceiling of the first wait; it doubles on each retry... */
  baseDelayMs: number;
  /** ...up to this cap, so a long outage does not push waits past any caller's patience. */
  maxDelayMs: number;
  /** Whether an error is worth another attempt; every error is when omitted. */
  isRetryable?: (error: unknown) => boolean;
}

export interface RetryClock {
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The wait before retry number `retry` (0 for the first retry): uniformly random between 0 and
 * the capped exponential ("full jitter"), so clients that failed together do not come back together.
 */
export function backoffDelayMs(
  retry: number,
  { baseDelayMs, maxDelayMs }: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** retry));
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` again after a retryable failure, with exponential backoff, full jitter and a cap.
 *
 * Only for idempotent calls (reads, PUTs of the same state, requests carrying an idempotency
 * key): a call that timed out may still have happened on the other side, and retrying a
 * payment or a message send would do it twice.
 */
export async function retryWithBackoff<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions & RetryClock,
): Promise<T> {
  const { retries, isRetryable = () => true, random = Math.random, sleep = wait } = options;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= retries || !isRetryable(error)) throw error;
      await sleep(backoffDelayMs(attempt, options, random));
    }
  }
}
