import type { ErrorDefinition } from '@app/http';
import { RedisFailingFastError } from '@app/redis';
import { ReplyError } from 'ioredis';
import { RedisError } from './redis.errors';

/**
 * redis-errors' base class, the parent of ioredis's ReplyError, ParserError, AbortError ("Command
 * aborted due to connection close") and MaxRetriesPerRequestError. ioredis exports ReplyError
 * only, so the base is read off its prototype chain: a class check, not a name match.
 */
type ErrorClass = abstract new (...args: never[]) => Error;
const ReplyErrorClass = ReplyError as ErrorClass;
const RedisErrorFamily = Object.getPrototypeOf(ReplyErrorClass) as ErrorClass;

// a plain boolean: `instanceof` on these look-alike types would narrow the other branch to never
const isA = (error: Error, type: ErrorClass): boolean => error instanceof type;

/**
 * The plain `Error`s ioredis 5.11 rejects a command with when it cannot reach Redis, word for word
 * (Redis.js sendCommand, redis/event_handler.js close handler, Command.js setTimeout). Raw socket
 * errors (ECONNREFUSED, ECONNRESET) never reach a command: ioredis emits them as 'error' events and
 * fails the commands with these messages or MaxRetriesPerRequestError instead, so a bare
 * ECONNREFUSED (the database's, an HTTP call's) is left to its own classifier.
 */
const PLAIN_ERRORS: ReadonlyMap<string, ErrorDefinition> = new Map<string, ErrorDefinition>([
  ["Stream isn't writeable and enableOfflineQueue options is false", RedisError.Unavailable],
  ['Connection is closed.', RedisError.Unavailable],
  ['Command timed out', RedisError.Timeout],
]);

/**
 * Replies by which Redis says it cannot serve now (loading its data, busy with a script, a replica
 * after failover, out of memory, a failed save refusing writes), as opposed to a reply that says
 * the command was wrong (WRONGTYPE, ERR ...): those are our bugs and stay 500.
 */
const UNAVAILABLE_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|OOM|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|MISCONF)\b/;

/**
 * A reply by which Redis refused a command as wrong (WRONGTYPE, ERR ...): Redis is up and answered,
 * the command was ours and wrong. It must not open the 'redis' circuit, and it stays a 500.
 */
export function isRedisRefusal(error: unknown): boolean {
  return error instanceof Error && isA(error, ReplyErrorClass) && !UNAVAILABLE_REPLY.test(error.message);
}

/**
 * Maps what ioredis (and the fail-fast gate of RedisService) throws to 503 RedisError.Unavailable
 * (7040) or 504 RedisError.Timeout (7041); anything else, including an unexpected Redis reply, is
 * left alone and stays a 500 with its stack in the log. Registered by the composition root
 * (registerErrorClassifier), for callers that do not go through RedisCircuit.run().
 */
export function classifyRedisError(error: unknown): ErrorDefinition | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error instanceof RedisFailingFastError) return RedisError.Unavailable;
  if (isA(error, RedisErrorFamily)) {
    if (isA(error, ReplyErrorClass)) {
      return UNAVAILABLE_REPLY.test(error.message) ? RedisError.Unavailable : undefined;
    }
    // AbortError, MaxRetriesPerRequestError, ParserError: the connection broke under the command
    return RedisError.Unavailable;
  }
  return error.constructor === Error ? PLAIN_ERRORS.get(error.message) : undefined;
}
