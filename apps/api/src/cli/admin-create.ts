import 'reflect-metadata';
import { createInterface } from 'node:readline/promises';
import { ConfigValidationError } from '@app/config';
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, USERNAME_PATTERN } from '../admin';
import { cliDataSource } from '../data-source';

/**
 * `npm run admin:create`: the first (or another) dashboard account. Reads ADMIN_USERNAME,
 * ADMIN_PASSWORD and ADMIN_ROLE (admin | operator, default admin), or asks on a terminal.
 * There is never a default password.
 */
async function main(): Promise<number> {
  const ask = process.stdin.isTTY ? createInterface({ input: process.stdin, output: process.stdout }) : null;
  const prompt = async (question: string) => (ask ? (await ask.question(question)).trim() : '');
  try {
    const username = (process.env.ADMIN_USERNAME ?? (await prompt('username: '))).toLowerCase();
    const password = process.env.ADMIN_PASSWORD ?? (await prompt(`password (${MIN_PASSWORD_LENGTH}+ characters): `));
    const role = process.env.ADMIN_ROLE ?? 'admin';
    const problems = [
      USERNAME_PATTERN.test(username) ? null : 'the username must be 3-64 of a-z 0-9 _ . -',
      password.length >= MIN_PASSWORD_LENGTH ? null : `the password must be at least ${MIN_PASSWORD_LENGTH} characters`,
      password.length <= MAX_PASSWORD_LENGTH ? null : `the password must be at most ${MAX_PASSWORD_LENGTH} characters`,
      role === 'admin' || role === 'operator' ? null : 'ADMIN_ROLE must be admin or operator',
    ].filter(Boolean);
    if (problems.length > 0) {
      process.stderr.write(`admin:create: ${problems.join('; ')} (set ADMIN_USERNAME, ADMIN_PASSWORD, ADMIN_ROLE)\n`);
      return 2;
    }

    await cliDataSource.initialize();
    try {
      if (await cliDataSource.showMigrations()) {
        process.stderr.write('admin:create: the schema is not up to date: run `npm run migration:run` first\n');
        return 1;
      }
      const exists = await cliDataSource.query('SELECT id FROM admin_accounts WHERE username = ?', [username]);
      if ((exists as unknown[]).length > 0) {
        process.stderr.write(`admin:create: an account named ${username} already exists\n`);
        return 1;
      }
      await cliDataSource.query('INSERT INTO admin_accounts (username, password_hash, role) VALUES (?, ?, ?)', [
        username,
        await hashPassword(password),
        role,
      ]);
      process.stdout.write(`admin:create: created ${role} ${username}\n`);
      return 0;
    } finally {
      await cliDataSource.destroy();
    }
  } finally {
    ask?.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof ConfigValidationError ? error.message : `admin:create failed: ${(error as Error).message}`;
    process.stderr.write(`${message}\n`);
    process.exit(1);
  },
);
