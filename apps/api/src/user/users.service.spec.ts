import { jest } from '@jest/globals';
import { TwoLevelCache } from '@app/cache/two-level-cache';
import { appErrorCodeOf, newTestService, useTestDataSource } from '@app/testing';
import { migrations } from '../migrations';
import { User } from './entities/user.entity';

// @app/cache's index also loads its Nest module, which pulls in a CommonJS package that cannot
// load the ESM-only @nestjs packages under Jest (ADR 0003): hand the service the class itself
jest.unstable_mockModule('@app/cache', () => ({ TwoLevelCache }));
type UsersServiceModule = typeof import('./users.service');

const db = useTestDataSource({ entities: [User], migrations });
let users: InstanceType<UsersServiceModule['UsersService']>;

beforeAll(async () => {
  // imported after the mock is registered (a static import would be hoisted above it)
  const { UsersService } = (await import('./users.service' as string)) as UsersServiceModule;
  // the repository on the test database, the embedded profile's cache (in process only)
  users = newTestService(UsersService, { dataSource: db.dataSource }).sut;
});

let sequence = 0;
const openid = () => `o-spec-${(sequence += 1)}-${Date.now()}`;

describe('UsersService.findOrCreateByOpenid', () => {
  it('creates the user on first sight, then finds the same one', async () => {
    const id = openid();
    const first = await users.findOrCreateByOpenid(id);
    expect(first).toMatchObject({ isNew: true, user: { openid: id, unionid: null, nickname: '', role: 'user', disabled: false } });
    const again = await users.findOrCreateByOpenid(id);
    expect(again).toMatchObject({ isNew: false, user: { id: first.user.id } });
  });

  it('stores the unionid when WeChat sends one, also for a user first seen without it', async () => {
    const id = openid();
    expect((await users.findOrCreateByOpenid(id, 'union-1')).user.unionid).toBe('union-1');
    const other = openid();
    await users.findOrCreateByOpenid(other);
    expect((await users.findOrCreateByOpenid(other, 'union-2')).user.unionid).toBe('union-2');
    expect((await users.findById((await users.findOrCreateByOpenid(other)).user.id))?.unionid).toBe('union-2');
  });

  it('creates one user when first logins race: losers read the winner after the unique violation', async () => {
    const id = openid();
    const results = await Promise.all(Array.from({ length: 5 }, () => users.findOrCreateByOpenid(id)));
    expect(new Set(results.map((r) => r.user.id)).size).toBe(1);
    expect(results.filter((r) => r.isNew)).toHaveLength(1);
    expect(await db.dataSource.getRepository(User).countBy({ openid: id })).toBe(1);
  });
});

describe('UsersService profile', () => {
  it('serves the profile and answers 3001 for an unknown user', async () => {
    const { user } = await users.findOrCreateByOpenid(openid());
    expect(await users.profile(user.id)).toEqual({
      id: user.id,
      nickname: '',
      avatarUrl: '',
      phone: null,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(await appErrorCodeOf(users.profile(987_654))).toBe(3001);
  });

  it('changes only nickname and avatar, and drops the cached profile so the change shows at once', async () => {
    const { user } = await users.findOrCreateByOpenid(openid());
    await users.profile(user.id); // cached now
    const nickname = '小程序用户😀';
    const updated = await users.updateProfile(user.id, { nickname, avatarUrl: 'https://thirdwx.qlogo.cn/a.png' });
    expect(updated).toMatchObject({ nickname, avatarUrl: 'https://thirdwx.qlogo.cn/a.png' });
    expect(await users.profile(user.id)).toMatchObject({ nickname });
    expect(await users.updateProfile(user.id, { avatarUrl: 'https://thirdwx.qlogo.cn/b.png' })).toMatchObject({
      nickname,
      avatarUrl: 'https://thirdwx.qlogo.cn/b.png',
    });
    const stored = await db.dataSource.getRepository(User).findOneByOrFail({ id: user.id });
    expect(stored).toMatchObject({ nickname, role: 'user', openid: user.openid });
  });

  it('writes nothing for an empty change, and answers 3001 for an unknown user', async () => {
    const { user } = await users.findOrCreateByOpenid(openid());
    const before = await db.dataSource.getRepository(User).findOneByOrFail({ id: user.id });
    expect(await users.updateProfile(user.id, {})).toMatchObject({ id: user.id });
    expect((await db.dataSource.getRepository(User).findOneByOrFail({ id: user.id })).updatedAt).toEqual(before.updatedAt);
    expect(await appErrorCodeOf(users.updateProfile(987_654, { nickname: 'x' }))).toBe(3001);
  });

  it("binds the phone to the caller's own row and shows it in the profile", async () => {
    const [{ user }, { user: other }] = [await users.findOrCreateByOpenid(openid()), await users.findOrCreateByOpenid(openid())];
    await users.profile(user.id);
    expect(await users.bindPhone(user.id, '13800001234')).toMatchObject({ id: user.id, phone: '13800001234' });
    expect((await users.findById(other.id))?.phone).toBeNull();
    expect(await appErrorCodeOf(users.bindPhone(987_654, '13800001234'))).toBe(3001);
  });
});
