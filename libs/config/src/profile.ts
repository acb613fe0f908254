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

/** The e2e suite sets its environment explicitly and must not pick up a developer's .env file. */
export function shouldIgnoreEnvFile(env: ProfileSource): boolean {
  return env.NODE_ENV === 'test';
}
