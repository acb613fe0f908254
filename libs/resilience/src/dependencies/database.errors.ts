import { HttpStatus } from '@nestjs/common';
import { defineErrors } from '@app/http';

/**
 * The database failing, as clients see it (block 7030-7039). Retry later: nothing about the
 * request was wrong. Mapped from the drivers' errors in one classifier (registerErrorClassifier). Declared in
 * libs/resilience, not libs/database: libs/http depends on the data libs, so they cannot depend on it.
 */
export const DatabaseError = defineErrors('database', {
  Unavailable: { code: 7030, status: HttpStatus.SERVICE_UNAVAILABLE, message: 'The database is unavailable; try again shortly' },
  Timeout: { code: 7031, status: HttpStatus.GATEWAY_TIMEOUT, message: 'The database did not answer in time' },
});
