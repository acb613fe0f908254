import { HttpStatus } from '@nestjs/common';
import { defineErrors } from '@app/http';

/** User module errors (3000-3999). */
export const UserError = defineErrors('user', {
  NotFound: { code: 3001, status: HttpStatus.NOT_FOUND, message: 'User not found' },
});
