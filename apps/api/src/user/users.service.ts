import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, type EntityManager, Repository } from 'typeorm';
import { TwoLevelCache } from '@app/cache';
import { isUniqueViolation, TransactionRunner } from '@app/database';
import { AppError } from '@app/http';
import type { UpdateMeDto } from './dto/update-me.dto';
import { User, type UserRole } from './entities/user.entity';
import { UserError } from './user.errors';

/** What a user sees of themselves. */
export interface UserProfile {
  id: number;
  nickname: string;
  avatarUrl: string;
  phone: string | null;
  createdAt: string;
}

/** What the dashboard sees of a user (the phone unmasked: the admin feature masks it). */
export interface UserAccount {
  id: number;
  nickname: string;
  avatarUrl: string;
  phone: string | null;
  role: string;
  disabled: boolean;
  createdAt: string;
}

export interface UserSearch {
  page: number;
  pageSize: number;
  /** A nickname fragment, or the last four digits of a phone number. */
  search?: string;
  disabled?: boolean;
}

export interface UserPage {
  items: UserAccount[];
  total: number;
  page: number;
  pageSize: number;
}

/** Runs inside the transaction that changed the user: an audit row written here commits or rolls back with it. */
export type WithinUserChange = (manager: EntityManager, change: { before: { disabled: boolean }; after: { disabled: boolean } }) => Promise<void>;

const PROFILE_TTL_MS = 10 * 60_000;

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly cache: TwoLevelCache,
    private readonly transactions: TransactionRunner,
  ) {}

  /**
   * The user of a WeChat openid, created on first login. Two first logins racing on one openid
   * create one user: the loser's insert hits the unique index and it reads the winner's row.
   */
  async findOrCreateByOpenid(openid: string, unionid?: string): Promise<{ user: User; isNew: boolean }> {
    const existing = await this.users.findOne({ where: { openid } });
    if (existing) {
      if (unionid && existing.unionid !== unionid) {
        await this.users.update({ id: existing.id }, { unionid });
        existing.unionid = unionid;
      }
      return { user: existing, isNew: false };
    }
    try {
      const created = await this.users.save(this.users.create({ openid, unionid: unionid ?? null }));
      return { user: created, isNew: true };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const winner = await this.users.findOne({ where: { openid } });
      if (!winner) throw error;
      return { user: winner, isNew: false };
    }
  }

  async findById(id: number): Promise<User | null> {
    return this.users.findOne({ where: { id } });
  }

  /**
   * Role and disabled flag of a user, or null when there is none: what every session refresh
   * reads. Plain SQL: TypeORM's findOne costs a few hundred microseconds of CPU more, on a path
   * measured in requests per second (decision 0010).
   */
  async standing(id: number): Promise<{ role: UserRole; disabled: boolean } | null> {
    const rows: { role: UserRole; disabled: number | boolean }[] = await this.users.query('SELECT role, disabled FROM users WHERE id = ?', [id]);
    return rows[0] ? { role: rows[0].role, disabled: Boolean(rows[0].disabled) } : null;
  }

  /** Served from the two-level cache: GET /users/me is the hottest authenticated read. */
  async profile(id: number): Promise<UserProfile> {
    const profile = await this.cache.getOrLoad<UserProfile>(this.profileKey(id), async () => {
      const user = await this.findById(id);
      return user ? toProfile(user) : null;
    }, PROFILE_TTL_MS);
    if (!profile) throw new AppError(UserError.NotFound);
    return profile;
  }

  async updateProfile(id: number, changes: UpdateMeDto): Promise<UserProfile> {
    const update: Partial<User> = {};
    if (changes.nickname !== undefined) update.nickname = changes.nickname;
    if (changes.avatarUrl !== undefined) update.avatarUrl = changes.avatarUrl;
    if (Object.keys(update).length > 0) {
      const result = await this.users.update({ id }, update);
      if (!result.affected) throw new AppError(UserError.NotFound);
      await this.cache.invalidate(this.profileKey(id));
    }
    return this.profile(id);
  }

  async bindPhone(id: number, phone: string): Promise<UserProfile> {
    const result = await this.users.update({ id }, { phone });
    if (!result.affected) throw new AppError(UserError.NotFound);
    await this.cache.invalidate(this.profileKey(id));
    return this.profile(id);
  }

  /** Users newest first, filtered by a search term and/or the disabled flag. */
  async search(query: UserSearch): Promise<UserPage> {
    const builder = this.users.createQueryBuilder('user').orderBy('user.id', 'DESC');
    if (query.disabled !== undefined) builder.andWhere('user.disabled = :disabled', { disabled: query.disabled });
    const search = query.search?.trim();
    if (search) {
      builder.andWhere(
        new Brackets((where) => {
          where.where('user.nickname LIKE :nickname', { nickname: `%${search.replace(/[\\%_]/g, '\\$&')}%` });
          // by the last four digits a customer reads out, never the full number: a lookup by full
          // number would let the dashboard tell who owns any phone number it is given
          if (/^\d{4}$/.test(search)) where.orWhere('user.phone LIKE :tail', { tail: `%${search}` });
        }),
      );
    }
    const [rows, total] = await builder
      .skip((query.page - 1) * query.pageSize)
      .take(query.pageSize)
      .getManyAndCount();
    return { items: rows.map(toAccount), total, page: query.page, pageSize: query.pageSize };
  }

  /**
   * Disables or re-enables a user under a row lock; `within` runs in the same transaction only
   * when the flag changed (the caller's audit row). The cached profile is dropped after commit.
   * Ending the user's sessions is the caller's business (the auth feature owns sessions).
   */
  async setDisabled(id: number, disabled: boolean, within?: WithinUserChange): Promise<UserAccount> {
    const user = await this.transactions.run(async (manager) => {
      // row lock on MySQL; SQLite serialises writers anyway and has no SELECT ... FOR UPDATE
      const lockable = manager.connection.driver.options.type !== 'better-sqlite3';
      const found = await manager.findOne(User, { where: { id }, ...(lockable ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
      if (!found) throw new AppError(UserError.NotFound);
      if (found.disabled !== disabled) {
        await manager.update(User, { id }, { disabled });
        await within?.(manager, { before: { disabled: found.disabled }, after: { disabled } });
        found.disabled = disabled;
      }
      return found;
    });
    await this.cache.invalidate(this.profileKey(id));
    return toAccount(user);
  }

  private profileKey(id: number): string {
    return `user:profile:${id}`;
  }
}

function toProfile(user: User): UserProfile {
  return {
    id: user.id,
    nickname: user.nickname,
    avatarUrl: user.avatarUrl,
    phone: user.phone,
    createdAt: user.createdAt.toISOString(),
  };
}

function toAccount(user: User): UserAccount {
  return { ...toProfile(user), role: user.role, disabled: user.disabled };
}
