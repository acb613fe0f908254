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
 * Whether the production safeguards apply: test routes refused, docs off unless DOCS_ENABLED=true,
 * DB_PASSWORD required. They key on the resolved profile, not on NODE_ENV alone: DB_HOST or
 * REDIS_URL with NODE_ENV left at `development` is a production deployment all the same. The one
 * exception is NODE_ENV=test, which the e2e suite sets to run the production profile against the
 * machine's MariaDB (root, empty password) with the diagnostics routes mounted.
 */
export function productionSafeguardsApply(env: ProfileSource): boolean {
  return resolveProfile(env) === 'production' && env.NODE_ENV !== 'test';
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
