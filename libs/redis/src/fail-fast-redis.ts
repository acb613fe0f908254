import { type Command, Redis } from 'ioredis';
import { traceCommand } from './command-tracing';

/**
 * What every command on the shared connection is refused with while the 'redis' circuit is open:
 * a command timed out or failed moments ago, so asking again would only wait out the timeout.
 * The Redis error classifier (libs/resilience) answers it with 503 (7040).
 */
export class RedisFailingFastError extends Error {
  constructor() {
    super('Redis is not asked while its circuit is open (a command timed out or failed moments ago)');
    this.name = 'RedisFailingFastError';
  }
}

// one instance for every refusal: thousands a second during an outage, and a stack per refusal
// would only show this file
export const REDIS_FAILING_FAST = new RedisFailingFastError();

type Stream = Parameters<Redis['sendCommand']>[1];

/**
 * ioredis with a gate in front of every command: while `failingFast` is set (by RedisService, on
 * the circuit's state changes) commands are refused at once instead of being sent to a Redis that
 * is not answering. This covers every caller of the connection, including the libs that cannot
 * depend on libs/resilience (idempotency in libs/http, readiness in libs/observability). Healthy
 * cost: one property test per command, no allocation.
 */
export class FailFastRedis extends Redis {
  failingFast = false;
  private trialInProgress = false;

  override sendCommand(command: Command, stream?: Stream): unknown {
    // Only a ready connection is gated. While it (re)connects ioredis refuses commands itself (no
    // offline queue) and must stay free to send its handshake, or it could never become ready.
    if (this.failingFast && !this.trialInProgress && this.status === 'ready') {
      command.reject(REDIS_FAILING_FAST);
      return command.promise;
    }
    traceCommand(command);
    return super.sendCommand(command, stream);
  }

  /** A PING that passes the gate: the circuit's trial call. ioredis sends it synchronously. */
  trialPing(): Promise<string> {
    this.trialInProgress = true;
    try {
      return this.ping();
    } finally {
      this.trialInProgress = false;
    }
  }
}
