import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadDotEnvFile } from '@app/config';
import { buildDataSourceOptions, loadDatabaseConfig } from '@app/database';
import { migrations } from './migrations';

/**
 * The DataSource the TypeORM CLI and `npm run migration:*` use: same config and pool as
 * the app, entities found in the build output. Never used by the running service.
 */
loadDotEnvFile();

export const cliDataSource = new DataSource(
  buildDataSourceOptions(loadDatabaseConfig(process.env), {
    entities: [join(__dirname, '**', '*.entity.js')],
    migrations,
    migrationsRun: false,
  }),
);

export default cliDataSource;
