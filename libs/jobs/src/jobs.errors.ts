import { HttpStatus } from '@nestjs/common';
import { defineErrors } from '@app/http';

/** Errors of the job queue and its dead-letter routes (block jobs, 7050-7059). Never renumber: clients match on them. */
export const JobsError = defineErrors('jobs', {
  JobNotFound: { code: 7050, status: HttpStatus.NOT_FOUND, message: 'No such job' },
  JobNotFailed: { code: 7051, status: HttpStatus.CONFLICT, message: 'The job is not on the dead-letter list (it is queued, running or done)' },
  UnknownJobType: { code: 7052, status: HttpStatus.BAD_REQUEST, message: 'No such job type' },
  /** Enqueueing failed because Redis is unreachable or too slow: nothing was queued; retry later. */
  QueueUnavailable: { code: 7053, status: HttpStatus.SERVICE_UNAVAILABLE, message: 'The job queue is unavailable; try again shortly' },
});
