/**
 * Up to this share of each retry delay is random. Below 0.5 the delays still grow strictly from one
 * attempt to the next (the shortest n+1th delay, 2d·0.75, is longer than the longest nth, d), while
 * jobs that failed together (a dependency went down) come back spread over a quarter of the delay.
 */
export const BACKOFF_JITTER = 0.25;

/**
 * The wait before the next attempt after `attemptsMade` runs: base·2^(attemptsMade-1), minus a
 * random share up to `jitter`. The same formula as BullMQ's exponential strategy with jitter, so
 * both profiles retry on the same schedule.
 */
export function backoffDelayMs(attemptsMade: number, baseMs: number, jitter: number, random: () => number = Math.random): number {
  const ceiling = Math.round(2 ** Math.max(0, attemptsMade - 1) * baseMs);
  if (jitter <= 0) return ceiling;
  return Math.floor(random() * ceiling * jitter + ceiling * (1 - jitter));
}
