import { HttpStatus } from '@nestjs/common';
import { defineErrors } from '../app-error';
import type { FastifyReply } from 'fastify';
import type { StoredResponse } from './idempotency.store';

export const IDEMPOTENCY_OPTIONS = 'http:idempotent';

export interface IdempotentOptions {
  /** Refuse requests without an Idempotency-Key (400). Default: the header is optional. */
  required?: boolean;
  /** How long a claim holds while the first request runs; a crash frees it after this. */
  lockTtlMs?: number;
}

/** Idempotency-Key errors, in their own block (idempotency, 7020-7029). Never renumber. */
export const IdempotencyError = defineErrors('idempotency', {
  InProgress: {
    code: 7020,
    status: HttpStatus.CONFLICT,
    message: 'A request with this Idempotency-Key is still being processed',
  },
  KeyReused: {
    code: 7021,
    status: HttpStatus.UNPROCESSABLE_ENTITY,
    message: 'This Idempotency-Key was used with a different request',
  },
  KeyInvalid: {
    code: 7022,
    status: HttpStatus.BAD_REQUEST,
    message: 'Idempotency-Key must be 1-128 characters of A-Z a-z 0-9 - _ . :',
  },
});

/** Not a failure: carries a stored response to the exception filter, which sends it as is. */
export class ReplayedResponse extends Error {
  constructor(readonly response: StoredResponse) {
    super('idempotent replay');
    this.name = 'ReplayedResponse';
  }
}

/** Sends a stored response unchanged (called by the exception filter). */
export function sendReplay(reply: FastifyReply, replay: ReplayedResponse): void {
  void reply
    .status(replay.response.status)
    .header('content-type', 'application/json; charset=utf-8')
    .header('idempotent-replayed', 'true')
    .send(replay.response.body);
}
