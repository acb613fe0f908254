import { existsSync } from 'node:fs';

/**
 * The two ways the service runs. `embedded` needs nothing installed (SQLite file,
 * in-process cache/queue); `production` talks to MySQL/MariaDB and Redis and refuses
 * to start without them, so a misconfigured pod never silently writes to a local file.
 */
export type RuntimeProfile = 'embedded' | 'production';

export interface ProfileSource {
  NODE_ENV?: string;
  DB_HOST?: string;
  REDIS_URL?: string;
}

export function resolveProfile(env: ProfileSource): RuntimeProfile {
  const set = (value: string | undefined): boolean => value !== undefined && value.trim() !== '';
  if (env.NODE_ENV === 'production' || set(env.DB_HOST) || set(env.REDIS_URL)) {
    return 'production';
  }
  return 'embedded';
}

/**
 * Loads ./.env into process.env (real environment variables win), before anything reads
 * configuration. The test profile skips it: tests set their environment explicitly and
 * must not pick up a developer's .env.
 */
export function loadDotEnvFile(path = '.env'): void {
  if (process.env.NODE_ENV === 'test' || !existsSync(path)) return;
  process.loadEnvFile(path);
}
