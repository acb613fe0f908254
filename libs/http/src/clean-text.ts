import { buildMessage, ValidateBy, type ValidationOptions } from 'class-validator';

export interface CleanTextOptions {
  /** Multi-line text (a remark, an address block): allows \n, \r and \t. */
  allowNewlines?: boolean;
}

/** The constraint's name in class-validator's metadata (apps/api/src/dto-text-hygiene.spec.ts looks for it). */
export const IS_CLEAN_TEXT = 'isCleanText';

// C0 and C1 controls and DEL; U+2028/2029 are line breaks to a JSON reader; \p{Cs} with the u flag
// matches only lone surrogates ("\ud800" in a JSON string), which no database column can store.
/* eslint-disable no-control-regex -- finding control characters is the point */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\p{Cs}]/u;
const CONTROLS_BUT_NEWLINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\p{Cs}]/u;
/* eslint-enable no-control-regex */

/**
 * Text a person typed: no NUL, no other control characters, no lone surrogates. A NUL is cut off
 * or refused by some drivers and tools and hides text from others; control characters forge log
 * lines and break the mini-program's rendering. Every string field of a DTO carries this (or a
 * closed list, @IsIn/@IsEnum); pair it with @IsString, as a non-string is left to that check.
 */
export function IsCleanText(options: CleanTextOptions = {}, validationOptions?: ValidationOptions): PropertyDecorator {
  const forbidden = options.allowNewlines === true ? CONTROLS_BUT_NEWLINES : CONTROLS;
  const allowed = options.allowNewlines === true ? ' other than line breaks and tabs' : '';
  return ValidateBy(
    {
      name: IS_CLEAN_TEXT,
      constraints: [options.allowNewlines === true],
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !forbidden.test(value),
        defaultMessage: buildMessage((each) => `${each}$property must not contain control characters${allowed}`, validationOptions),
      },
    },
    validationOptions,
  );
}
