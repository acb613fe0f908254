import { HttpStatus } from '@nestjs/common';
import { defineErrors } from '@app/http';

/** Dashboard errors (admin block 2200-2299); sign-in and session errors are the auth block's. */
export const AdminError = defineErrors('admin', {
  AccountNotFound: { code: 2201, status: HttpStatus.NOT_FOUND, message: 'No such admin account' },
  UsernameTaken: { code: 2202, status: HttpStatus.CONFLICT, message: 'An admin account with this username exists' },
  LastActiveAdmin: {
    code: 2203,
    status: HttpStatus.CONFLICT,
    message: 'This would leave no enabled admin account: make another one admin first',
  },
  WrongCurrentPassword: { code: 2204, status: HttpStatus.FORBIDDEN, message: 'The current password is wrong' },
  PageTooDeep: {
    code: 2205,
    status: HttpStatus.BAD_REQUEST,
    message: 'Pages end at item 10,000 (page x pageSize): narrow the search instead',
  },
});
