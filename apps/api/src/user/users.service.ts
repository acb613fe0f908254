import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { TwoLevelCache } from '@app/cache';
import { isUniqueViolation } from '@app/database';
import { AppError } from '@app/http';
import type { UpdateMeDto } from './dto/update-me.dto';
import { User } from './entities/user.entity';
import { UserError } from './user.errors';

/** What a user sees of themselves. */
export interface UserProfile {
  id: number;
  nickname: string;
  avatarUrl: string;
  phone: string | null;
  createdAt: string;
}

const PROFILE_TTL_MS = 10 * 60_000;

/** MySQL/MariaDB and SQLite report a unique-index violation differently. */
@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly cache: TwoLevelCache,
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
