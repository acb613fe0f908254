import { Injectable } from '@nestjs/common';
import { AppError } from '@app/http';
import { WechatApiClient } from '@app/wechat';
import { UsersService } from '../user/users.service';
import { AuthSessionService, type IssuedTokens } from './auth-session.service';
import { AuthError } from './auth.errors';

export interface LoginResult extends IssuedTokens {
  user: { id: number; nickname: string; avatarUrl: string; isNew: boolean };
}

/** wx.login code → WeChat's openid/session_key → our user and session. */
@Injectable()
export class WechatLoginService {
  constructor(
    private readonly wechat: WechatApiClient,
    private readonly users: UsersService,
    private readonly sessions: AuthSessionService,
  ) {}

  async login(code: string): Promise<LoginResult> {
    const wechatSession = await this.wechat.code2Session(code);
    const { user, isNew } = await this.users.findOrCreateByOpenid(wechatSession.openid, wechatSession.unionid);
    if (user.disabled) throw new AppError(AuthError.UserDisabled);
    const tokens = await this.sessions.issue({
      kind: 'user',
      id: user.id,
      role: user.role,
      wechatSessionKey: wechatSession.sessionKey,
    });
    return { ...tokens, user: { id: user.id, nickname: user.nickname, avatarUrl: user.avatarUrl, isNew } };
  }
}
