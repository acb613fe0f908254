import 'reflect-metadata';
import { ConfigValidationError } from '@app/config';
import { cliDataSource } from '../data-source';

const USAGE = 'usage: migrate <run|revert|show>';

/** `npm run migration:run|revert|show`: the deploy step that changes the schema (never the app at boot). */
async function main(command: string | undefined): Promise<number> {
  if (command !== 'run' && command !== 'revert' && command !== 'show') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  await cliDataSource.initialize();
  try {
    if (command === 'run') {
      const applied = await cliDataSource.runMigrations({ transaction: 'each' });
      process.stdout.write(
        applied.length > 0 ? `applied: ${applied.map((m) => m.name).join(', ')}\n` : 'schema is up to date\n',
      );
    } else if (command === 'revert') {
      await cliDataSource.undoLastMigration({ transaction: 'each' });
      process.stdout.write('reverted the last migration\n');
    } else {
      const pending = await cliDataSource.showMigrations();
      process.stdout.write(pending ? 'migrations are pending\n' : 'schema is up to date\n');
      return pending ? 1 : 0;
    }
    return 0;
  } finally {
    await cliDataSource.destroy();
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof ConfigValidationError ? error.message : `migration failed: ${(error as Error).message}`;
    process.stderr.write(`${message}\n`);
    process.exit(1);
  },
);
