import { HttpStatus } from '@nestjs/common';
import { type ErrorBlockName, rememberErrorBlock } from './error-blocks';

/** One stable error a client can match on: the `code` never changes meaning once shipped. */
export interface ErrorDefinition {
  readonly code: number;
  readonly status: HttpStatus;
  readonly message: string;
  /** For a 503: the Retry-After (seconds) to send, when the default (DEFAULT_RETRY_AFTER_S) does not fit. */
  readonly retryAfterS?: number;
}

/**
 * Declares a module's error table once, in its block of codes (`ERROR_BLOCKS` in error-blocks.ts:
 * each module's range, listed once; apps/api/src/error-codes.spec.ts keeps every table inside its
 * block and every code unique).
 */
export function defineErrors<const T extends Record<string, ErrorDefinition>>(block: ErrorBlockName, table: T): Readonly<T> {
  rememberErrorBlock(table, block);
  return Object.freeze(table);
}

/** The only exception business code throws: `throw new AppError(OrderError.OutOfStock)`. */
export class AppError extends Error {
  constructor(
    readonly definition: ErrorDefinition,
    options: { message?: string; data?: unknown; cause?: unknown } = {},
  ) {
    super(options.message ?? definition.message, { cause: options.cause });
    this.name = 'AppError';
    this.data = options.data ?? null;
  }

  /** Extra machine-readable detail for the client (e.g. health details); null for most errors. */
  readonly data: unknown;

  get code(): number {
    return this.definition.code;
  }

  get status(): HttpStatus {
    return this.definition.status;
  }
}
