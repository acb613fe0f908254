import { Injectable, Logger } from '@nestjs/common';
import { AppError } from '@app/http';
import { ConfigService } from '@nestjs/config';
import { decryptWechatData, verifyRawDataSignature, WechatApiClient, WechatCryptoError, type WechatConfig } from '@app/wechat';
import { UsersService } from '../user';
import { AuthSessionService, type IssuedTokens, type SessionClient } from './auth-session.service';
import { AuthError } from './auth.errors';

export interface LoginResult extends IssuedTokens {
  user: { id: number; nickname: string; avatarUrl: string; isNew: boolean };
}

/** wx.login code → WeChat's openid/session_key → our user and session. */
@Injectable()
export class WechatLoginService {
  private readonly logger = new Logger('WechatLogin');
  private readonly appId: string;

  constructor(
    private readonly wechat: WechatApiClient,
    private readonly users: UsersService,
    private readonly sessions: AuthSessionService,
    configService: ConfigService,
  ) {
    this.appId = configService.getOrThrow<WechatConfig>('wechat').appId;
  }

  async login(code: string, client: SessionClient = {}): Promise<LoginResult> {
    const wechatSession = await this.wechat.code2Session(code);
    const { user, isNew } = await this.users.findOrCreateByOpenid(wechatSession.openid, wechatSession.unionid);
    if (user.disabled) throw new AppError(AuthError.UserDisabled);
    const tokens = await this.sessions.issue(
      { kind: 'user', id: user.id, role: user.role, wechatSessionKey: wechatSession.sessionKey },
      client,
      {
        // disabled while this login ran: end the new session instead of letting it outlive the ban
        confirm: async () => {
          if ((await this.users.findById(user.id))?.disabled !== false) throw new AppError(AuthError.UserDisabled);
        },
      },
    );
    return { ...tokens, user: { id: user.id, nickname: user.nickname, avatarUrl: user.avatarUrl, isNew } };
  }

  /**
   * WeChat open data (encryptedData + iv) decrypted with this session's session_key; the
   * payload's watermark.appid must be ours. rawData, when sent, must match sha1(rawData + session_key).
   *
   * Every way decryption can fail (bad padding, not JSON, another app's watermark, malformed input)
   * is the same answer, 2011 with the same message: telling them apart is a padding oracle (1 IV
   * tweak in 256 answering "not JSON" is enough to forge a payload under one's own session_key,
   * watermark included). The route also allows 10 calls a minute per user. Decrypted data is the
   * client's word all the same: docs/security.md.
   */
  async decrypt(sessionId: string, payload: WechatDecryptInput): Promise<Record<string, unknown>> {
    const sessionKey = await this.sessions.wechatSessionKey(sessionId);
    if (!sessionKey) throw new AppError(AuthError.NoWechatSession);
    if (payload.rawData !== undefined && !verifyRawDataSignature(payload.rawData, sessionKey, payload.signature ?? '')) {
      throw new AppError(AuthError.WechatSignatureMismatch);
    }
    try {
      return decryptWechatData({ encryptedData: payload.encryptedData, iv: payload.iv, sessionKey }, this.appId);
    } catch (error) {
      if (!(error instanceof WechatCryptoError)) throw error;
      // which step failed stays in the server's debug log, for support
      this.logger.debug({ sessionId, reason: error.reason }, 'open data refused');
      throw new AppError(AuthError.WechatDataInvalid);
    }
  }
}

export interface WechatDecryptInput {
  encryptedData: string;
  iv: string;
  rawData?: string;
  signature?: string;
}
