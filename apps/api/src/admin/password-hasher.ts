import { hash, verify } from '@node-rs/argon2';

/** OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): ~20 ms a hash here, no compiler needed. */
// algorithm 2 is Argon2id (the package's Algorithm enum is a const enum, invisible to isolated modules)
const ARGON2_OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export const MIN_PASSWORD_LENGTH = 12;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

let dummyHash: Promise<string> | null = null;

/**
 * Checks a password; `storedHash` null (no such account) still costs one argon2 verification,
 * so response time does not tell which usernames exist.
 */
export async function verifyPassword(storedHash: string | null, password: string): Promise<boolean> {
  dummyHash ??= hashPassword('not-a-real-password-just-equal-timing');
  const target = storedHash ?? (await dummyHash);
  let matches = false;
  try {
    matches = await verify(target, password);
  } catch {
    matches = false; // a malformed stored hash never authenticates
  }
  return matches && storedHash !== null;
}
