import { HttpException, Logger } from '@nestjs/common';
import { AppError, type ErrorDefinition } from '@app/http';
import Opossum from 'opossum';
import { DependencyErrors, ResilienceError } from '../resilience.errors';
import type { CircuitBreakerOptions } from './circuit-breaker.config';
import {
  CIRCUIT_CALL_RESULTS,
  type CircuitCallResult,
  type CircuitMetrics,
  type CircuitState,
  CircuitStateValue,
} from './circuit-breaker.metrics';
import { retryWithBackoff, type RetryOptions } from './retry-with-backoff';

type Run = () => Promise<unknown>;

export interface DependencyCallOptions<T> {
  /** Only for idempotent calls (see retryWithBackoff). Retries timeouts and failures, never an open circuit. */
  retry?: RetryOptions;
  /** What to answer instead of 503/504/502 (a cached or default value), where the feature has one. */
  fallback?: (error: AppError) => T | Promise<T>;
}

const DEPENDENCY_ERRORS = new Set<ErrorDefinition>(DependencyErrors);

/** True for the errors a breaker raises itself: circuit open (503), timeout (504), failure (502). */
export const isDependencyError = (error: unknown): error is AppError =>
  error instanceof AppError && DEPENDENCY_ERRORS.has(error.definition);

// an open circuit will not close within a retry's backoff; retrying it only adds latency
const isTransient = (error: unknown): boolean =>
  isDependencyError(error) && error.definition !== ResilienceError.CircuitOpen;

/**
 * A 4xx means the dependency answered and said no (an invalid WeChat code, a missing object):
 * it is working, so the answer must not count towards opening the circuit.
 */
function isClientError(error: unknown): boolean {
  if (error instanceof AppError) return error.status < 500;
  if (error instanceof HttpException) return error.getStatus() < 500;
  return false;
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  if (typeof code === 'string') return code;
  return cause === error ? undefined : codeOf(cause);
}

/**
 * Codes of "the dependency did not answer in time" raised below the breaker: a socket's connect
 * timeout (ETIMEDOUT) and undici's own timeouts (its Pool's, and global fetch's as the cause of
 * "fetch failed"; names checked against undici 7). The breaker's timer owns the call timeout, but
 * a transport timer that still fires first must not turn the same silence into a 502.
 */
const TRANSPORT_TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

const isBreakerError = (error: unknown): error is Error => error instanceof Error && Opossum.isOurError(error);

/** True for the breaker's own timeout and for a transport timeout; an AppError or HttpException keeps its status. */
function isTimeout(error: unknown): boolean {
  if (error instanceof AppError || error instanceof HttpException) return false;
  const code = codeOf(error);
  return code !== undefined && TRANSPORT_TIMEOUT_CODES.has(code);
}

// named fields only: a third-party error object may carry request URLs with tokens
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  return [error.name, codeOf(error), error.message].filter(Boolean).join(': ');
}

/** While a circuit stays open, how often one line sums the outage up (instead of a line per reopening). */
const OUTAGE_SUMMARY_INTERVAL_MS = 30_000;

/** What execute() turns a call's failure into: 504 timeout, 503 open circuit, an AppError/HttpException as is, else 502. */
function asDependencyError(error: unknown): unknown {
  if (isTimeout(error)) return new AppError(ResilienceError.DependencyTimeout, { cause: error });
  if (isBreakerError(error)) return new AppError(ResilienceError.CircuitOpen, { cause: error });
  if (error instanceof AppError || error instanceof HttpException) return error;
  return new AppError(ResilienceError.DependencyFailed, { cause: error });
}

/** Why a circuit opened, in its log line. */
type OpenReason = 'errorPercentage' | 'consecutiveFailures' | 'halfOpenTrialFailed';

/**
 * One dependency's circuit (opossum underneath). Obtain it from CircuitBreakerRegistry.for().
 * Closed: calls go through. More than `errorThresholdPercent` failing (at least `volumeThreshold`
 * calls in the window), or `consecutiveFailures` failures/timeouts in a row: open, every call
 * fails fast with 503 (7001). After `resetTimeoutMs`: half-open, one trial call goes through;
 * success closes the circuit, failure opens it again.
 */
export class DependencyBreaker {
  private readonly breaker: Opossum<[Run], unknown>;
  private readonly logger = new Logger('CircuitBreaker');
  private lastFailure: string | undefined;
  /**
   * Failures and timeouts in a row since the last success or opening. opossum 9 only knows the
   * percentage rule, which a trickle never reaches: each call waits a full timeout, so a window
   * holds fewer calls than the volume threshold. A 4xx resets the run like a success, as opossum
   * counts it: the dependency answered.
   */
  private consecutiveFailures = 0;
  private openReason: OpenReason | undefined;
  private reportedState: CircuitState = 'closed';
  /** The gate's background trial call is running (admits()). */
  private probing = false;
  private readonly stateListeners: ((state: CircuitState) => void)[] = [];
  private isAnswer: (error: unknown) => boolean = () => false;
  private quietTrials = false;
  /** The outage in progress (first opening until closed), for its summary lines. */
  private outage: { since: number; rejected: number; failedTrials: number; lastSummary: number } | null = null;

  constructor(
    readonly name: string,
    readonly options: Readonly<CircuitBreakerOptions>,
    private readonly metrics: CircuitMetrics,
  ) {
    this.breaker = new Opossum((run: Run) => run(), {
      name,
      timeout: options.timeoutMs,
      errorThresholdPercentage: options.errorThresholdPercent,
      volumeThreshold: options.volumeThreshold,
      resetTimeout: options.resetTimeoutMs,
      rollingCountTimeout: options.rollingWindowMs,
      errorFilter: (error: unknown) => isClientError(error) || this.isAnswer(error),
      // we read neither percentiles nor snapshots; each would cost work or a timer per breaker
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    });
    this.observe(metrics);
  }

  get state(): CircuitState {
    if (this.breaker.opened) return 'open';
    return this.breaker.halfOpen ? 'halfOpen' : 'closed';
  }

  /**
   * Calls a dependency through the circuit. `action` gets a signal that is aborted when the call
   * times out: pass it to fetch/the SDK so a timed-out request does not keep running. Errors reach
   * the caller as AppErrors: 503 (7001) circuit open, 504 (7002) timeout (the breaker's
   * `timeoutMs`, or a transport timeout that fired first), 502 (7003) any other failure; an
   * AppError or HttpException thrown by `action` passes through unchanged.
   */
  async execute<T>(action: (signal: AbortSignal) => Promise<T>, options: DependencyCallOptions<T> = {}): Promise<T> {
    const attempt = (): Promise<T> =>
      this.call(action, (error) =>
        error instanceof AppError || error instanceof HttpException
          ? error
          : new AppError(ResilienceError.DependencyFailed, { cause: error }),
      );
    try {
      if (!options.retry) return await attempt();
      return await retryWithBackoff(attempt, {
        ...options.retry,
        isRetryable: options.retry.isRetryable ?? isTransient,
      });
    } catch (error) {
      if (options.fallback && isDependencyError(error)) return await options.fallback(error);
      throw error;
    }
  }

  /**
   * Runs our own code (a route handler) through the circuit: its errors reach the client
   * unchanged, so a bug still shows as a 500 with a stack in the log; only a timeout is always
   * 504 (7002).
   */
  guard<T>(handler: () => Promise<T>): Promise<T> {
    return this.call(() => handler(), (error) => error);
  }

  /**
   * The circuit as a gate, for a dependency on the hot path whose calls carry their own timeouts
   * (the database pool: DB_ACQUIRE_TIMEOUT_MS, DB_QUERY_TIMEOUT_MS; libs/database's ConnectionGate).
   * `execute()` would add a promise, a timer and an AbortController to every query; here a closed
   * circuit costs a property read, and the caller reports outcomes: `recordFailure()` for waits and
   * queries that failed, `recordSuccess()` (a field write) for the rest. The gate hears failures,
   * not every call, so only the consecutive-failures rule opens it. While it is open callers fail
   * fast (counted as rejected); once it half-opens, the first caller starts `probe` in the
   * background as the trial call, and keeps failing fast with the others: nobody waits on a
   * database that may still be stalled. The probe's success closes the circuit, its failure or
   * timeout (`timeoutMs`) reopens it.
   */
  admits(probe: () => Promise<unknown>): boolean {
    if (this.breaker.closed) return true;
    if (this.breaker.pendingClose && !this.probing) this.startProbe(probe);
    this.metrics.calls.inc({ name: this.name, result: 'rejected' });
    return false;
  }

  /** A call admitted by the gate got its answer: the run of failures is over. */
  recordSuccess(): void {
    if (this.consecutiveFailures !== 0) this.consecutiveFailures = 0;
  }

  /**
   * A call admitted by the gate failed in a way that says the dependency is down or stalled
   * (not "it answered no"). Ignored unless the circuit is closed: late failures of calls admitted
   * before it opened say nothing new, and the half-open decision belongs to the probe.
   */
  recordFailure(error: unknown, kind: 'failure' | 'timeout'): void {
    if (!this.breaker.closed) return;
    this.lastFailure = describeFailure(error);
    this.metrics.calls.inc({ name: this.name, result: kind });
    this.consecutiveFailures += 1;
    const limit = this.options.consecutiveFailures;
    if (limit > 0 && this.consecutiveFailures >= limit) {
      this.openReason = 'consecutiveFailures';
      this.breaker.open();
    }
  }

  /**
   * execute() for a call that cannot be cancelled and is not retried: the same circuit, the same
   * errors (a fallback for 503/504/502 if given), without the AbortController and async frames
   * execute() needs (~5 µs against ~1.5 µs per call, measured here). For the per-turn batches of
   * a hot path, such as the 'redis' circuit's.
   */
  run<T>(action: () => Promise<T>, fallback?: (error: AppError) => T | Promise<T>): Promise<T> {
    return (this.breaker.fire(action) as Promise<T>).catch((error: unknown) => {
      const mapped = asDependencyError(error);
      if (fallback && isDependencyError(mapped)) return fallback(mapped);
      throw mapped;
    });
  }

  /**
   * Errors that mean the dependency answered and said no, beyond a 4xx AppError/HttpException
   * (e.g. a Redis reply to a wrong command): they reach the caller unchanged and count as a
   * success, so a bug of ours cannot open the circuit for every caller.
   */
  treatAsAnswer(isAnswer: (error: unknown) => boolean): void {
    this.isAnswer = isAnswer;
  }

  /**
   * For a circuit whose trials are a background probe every (short) cool-down: log the opening
   * and the close, and while it stays open a summary every 30 s, instead of two lines per trial.
   */
  logTrialsAsSummary(): void {
    this.quietTrials = true;
  }

  /**
   * Called on every transition (open, halfOpen, closed), synchronously: a listener that calls
   * execute() on 'halfOpen' makes that call the circuit's one trial (a background probe) before
   * any caller's request can take the slot.
   */
  onStateChange(listener: (state: CircuitState) => void): void {
    this.stateListeners.push(listener);
  }

  shutdown(): void {
    this.breaker.shutdown();
  }

  private startProbe(probe: () => Promise<unknown>): void {
    this.probing = true;
    const settled = (): void => {
      this.probing = false;
    };
    // opossum counts the outcome and closes or reopens the circuit; nobody waits for it
    void this.call(probe, (error) => error).then(settled, settled);
  }

  private async call<T>(action: (signal: AbortSignal) => Promise<T>, mapOther: (error: unknown) => unknown): Promise<T> {
    const controller = new AbortController();
    try {
      return (await this.breaker.fire(() => action(controller.signal))) as T;
    } catch (error) {
      if (isTimeout(error)) {
        controller.abort(error);
        throw new AppError(ResilienceError.DependencyTimeout, { cause: error });
      }
      // EOPENBREAKER, or ESHUTDOWN while the application stops
      if (isBreakerError(error)) throw new AppError(ResilienceError.CircuitOpen, { cause: error });
      throw mapOther(error);
    }
  }

  private observe({ state, calls }: CircuitMetrics): void {
    const name = this.name;
    const count = (result: CircuitCallResult) => calls.inc({ name, result });
    // every series exists from the start, so rate() and alerts see the first event
    for (const result of CIRCUIT_CALL_RESULTS) calls.inc({ name, result }, 0);
    state.set({ name }, CircuitStateValue.closed);

    this.breaker.on('success', () => {
      this.consecutiveFailures = 0;
      count('success');
    });
    this.breaker.on('timeout', () => count('timeout'));
    this.breaker.on('reject', () => {
      count('rejected');
      if (this.outage) this.outage.rejected += 1;
    });
    this.breaker.on('failure', (error: unknown) => {
      this.lastFailure = describeFailure(error);
      // opossum reports its own timeout as a failure as well, after its 'timeout' event: counted
      // once, as a timeout; a transport timeout only arrives here and is a timeout all the same
      if (!(isBreakerError(error) && codeOf(error) === 'ETIMEDOUT')) count(isTimeout(error) ? 'timeout' : 'failure');
      this.consecutiveFailures += 1;
      // runs inside opossum's 'failure' emit, before its own percentage check; in half-open
      // opossum reopens on the trial's failure itself
      const limit = this.options.consecutiveFailures;
      if (limit > 0 && this.consecutiveFailures >= limit && this.breaker.closed) {
        this.openReason = 'consecutiveFailures';
        this.breaker.open();
      }
    });
    this.breaker.on('open', () => {
      const reason = this.openReason ?? (this.reportedState === 'halfOpen' ? 'halfOpenTrialFailed' : 'errorPercentage');
      const inARow = this.consecutiveFailures;
      this.openReason = undefined;
      this.consecutiveFailures = 0;
      this.reportedState = 'open';
      state.set({ name }, CircuitStateValue.open);
      const now = Date.now();
      if (this.outage && reason === 'halfOpenTrialFailed') this.outage.failedTrials += 1;
      else this.outage = { since: now, rejected: 0, failedTrials: 0, lastSummary: now };
      if (this.quietTrials && reason === 'halfOpenTrialFailed') {
        // still down: a probe every cool-down would write a line a second; one summary per interval
        this.logger.debug({ circuit: name, state: 'open', reason, lastFailure: this.lastFailure }, `circuit ${name} reopened`);
        if (now - this.outage.lastSummary >= OUTAGE_SUMMARY_INTERVAL_MS) this.summarise(now);
      } else {
        this.logger.warn(
          {
            circuit: name,
            state: 'open',
            reason,
            consecutiveFailures: inARow,
            lastFailure: this.lastFailure,
            resetTimeoutMs: this.options.resetTimeoutMs,
          },
          `circuit ${name} opened (${reason}): failing fast for ${this.options.resetTimeoutMs} ms`,
        );
      }
      this.notify('open');
    });
    this.breaker.on('halfOpen', () => {
      this.reportedState = 'halfOpen';
      state.set({ name }, CircuitStateValue.halfOpen);
      const fields = { circuit: name, state: 'halfOpen' };
      const message = `circuit ${name} half-open: letting one trial call through`;
      if (this.quietTrials) this.logger.debug(fields, message);
      else this.logger.log(fields, message);
      this.notify('halfOpen');
    });
    this.breaker.on('close', () => {
      this.reportedState = 'closed';
      state.set({ name }, CircuitStateValue.closed);
      const outage = this.outage;
      this.outage = null;
      this.logger.log(
        {
          circuit: name,
          state: 'closed',
          ...(outage ? { openForMs: Date.now() - outage.since, rejected: outage.rejected, failedTrials: outage.failedTrials } : {}),
        },
        `circuit ${name} closed: calls go through again`,
      );
      this.notify('closed');
    });
  }

  private summarise(now: number): void {
    const outage = this.outage;
    if (!outage) return;
    outage.lastSummary = now;
    this.logger.warn(
      {
        circuit: this.name,
        state: 'open',
        openForMs: now - outage.since,
        rejected: outage.rejected,
        failedTrials: outage.failedTrials,
        lastFailure: this.lastFailure,
      },
      `circuit ${this.name} still open after ${Math.round((now - outage.since) / 1000)} s: ` +
        `${outage.rejected} calls failed fast, ${outage.failedTrials} trial calls failed`,
    );
  }

  private notify(state: CircuitState): void {
    for (const listener of this.stateListeners) listener(state);
  }
}
