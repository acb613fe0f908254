import { HttpStatus } from '@nestjs/common';
import { defineErrors } from '@app/http';

/** Upload and download errors (block upload, 5000-5999). Never renumber. */
export const UploadError = defineErrors('upload', {
  PurposeMissing: {
    code: 5001,
    status: HttpStatus.BAD_REQUEST,
    message: 'Send the purpose field (avatar, product or attachment) with the file',
  },
  NoFile: { code: 5002, status: HttpStatus.BAD_REQUEST, message: 'The request carries no file' },
  TooManyParts: {
    code: 5003,
    status: HttpStatus.BAD_REQUEST,
    message: 'One file and a purpose per request; unknown, repeated or oversized fields are refused',
  },
  MalformedMultipart: { code: 5004, status: HttpStatus.BAD_REQUEST, message: 'The multipart body is malformed or ended early' },
  TooLarge: { code: 5010, status: HttpStatus.PAYLOAD_TOO_LARGE, message: 'The file is larger than this purpose allows' },
  QuotaExceeded: { code: 5011, status: HttpStatus.PAYLOAD_TOO_LARGE, message: 'Your storage quota is used up' },
  TypeNotAllowed: {
    code: 5020,
    status: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    message: 'This kind of file is not accepted for this purpose',
  },
  TypeMismatch: {
    code: 5021,
    status: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    message: 'The declared type or file extension does not match the content',
  },
  ImageTooManyPixels: {
    code: 5030,
    status: HttpStatus.UNPROCESSABLE_ENTITY,
    message: 'The image has more pixels than allowed',
  },
  ImageUndecodable: { code: 5031, status: HttpStatus.UNPROCESSABLE_ENTITY, message: 'The image cannot be decoded' },
  FileNotFound: { code: 5040, status: HttpStatus.NOT_FOUND, message: 'File not found' },
  LinkInvalid: { code: 5041, status: HttpStatus.FORBIDDEN, message: 'The download link is invalid' },
  LinkExpired: { code: 5042, status: HttpStatus.FORBIDDEN, message: 'The download link has expired' },
  RangeNotSatisfiable: {
    code: 5043,
    status: HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
    message: 'The requested range is outside the file',
  },
  DirectUploadUnavailable: {
    code: 5050,
    status: HttpStatus.CONFLICT,
    message: 'Direct uploads need the S3 storage driver; send the file to POST /uploads',
  },
  NotUploaded: { code: 5051, status: HttpStatus.CONFLICT, message: 'Nothing was uploaded for this file yet' },
  VariantNotAvailable: {
    code: 5044,
    status: HttpStatus.BAD_REQUEST,
    message: 'Width variants exist for images only, in the configured widths',
  },
});
