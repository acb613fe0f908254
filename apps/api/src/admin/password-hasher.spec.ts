import { hashPassword, verifyPassword } from './password-hasher';

describe('password hasher (argon2id)', () => {
  it('stores argon2id hashes that verify only the right password', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(stored, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(stored, 'correct horse batterY')).toBe(false);
  });

  it('never authenticates an unknown account or a malformed hash', async () => {
    expect(await verifyPassword(null, 'not-a-real-password-just-equal-timing')).toBe(false);
    expect(await verifyPassword('not a hash', 'anything')).toBe(false);
  });
});
