import { AppError } from '@app/http';

/**
 * For unit tests: the code of the AppError that `outcome` (a promise or a plain value) fails
 * with. Success, or any other error, fails the test.
 */
export async function appErrorCodeOf(outcome: unknown): Promise<number> {
  try {
    await outcome;
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
  throw new Error('expected an AppError, but the call succeeded');
}
