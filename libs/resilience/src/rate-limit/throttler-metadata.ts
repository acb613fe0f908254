// @nestjs/throttler's metadata keys (its throttler.constants, not exported from the index), each
// followed by the throttler's name; the rate-limit e2e suite fails if a new version renames them
export const THROTTLER_SKIP = 'THROTTLER:SKIP';
export const THROTTLER_LIMIT = 'THROTTLER:LIMIT';
export const THROTTLER_TTL = 'THROTTLER:TTL';
export const THROTTLER_BLOCK_DURATION = 'THROTTLER:BLOCK_DURATION';
export const THROTTLER_TRACKER = 'THROTTLER:TRACKER';
export const THROTTLER_KEY_GENERATOR = 'THROTTLER:KEY_GENERATOR';
