import { existsSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';
import { BUILT_MAIN } from '../support/child-app';
import { testServices } from '../support/environment';

/** Fails the run at once, with the fix, when a service the e2e suite needs is missing. */
export default async function globalSetup(): Promise<void> {
  try {
    const connection = await mysql.createConnection({
      host: testServices.dbHost,
      port: testServices.dbPort,
      user: testServices.dbUser,
      password: testServices.dbPassword,
      connectTimeout: 3000,
    });
    await connection.end();
  } catch (error) {
    throw new Error(
      `MariaDB/MySQL is not reachable at ${testServices.dbHost}:${testServices.dbPort} (${(error as Error).message}). ` +
        'Start it (see README "Running the tests") or set TEST_DB_HOST/TEST_DB_PORT.',
    );
  }
  const redis = new Redis(testServices.redisUrl, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`Redis is not reachable at ${testServices.redisUrl} (${(error as Error).message}). Start it or set TEST_REDIS_URL.`);
  } finally {
    redis.disconnect();
  }
  if (!existsSync(BUILT_MAIN)) {
    throw new Error(`${BUILT_MAIN} is missing: the process-level tests run the built service. Run "npm run build".`);
  }
}
