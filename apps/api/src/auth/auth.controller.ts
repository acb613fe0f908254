import { Body, Controller, Header, Headers, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, CurrentPrincipal, type Principal, Public, requireUser, Signed } from '@app/http';
import { RateLimitPolicy } from '@app/resilience';
import { WechatCallErrors, WechatError } from '@app/wechat';
import { AuthSessionService, type IssuedTokens } from './auth-session.service';
import { AuthError } from './auth.errors';
import { RefreshDto, WechatDecryptDto, WechatLoginDto } from './dto/auth.dto';
import { type LoginResult, WechatLoginService } from './wechat-login.service';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly wechatLogin: WechatLoginService,
    private readonly sessions: AuthSessionService,
  ) {}

  @Public()
  @RateLimitPolicy.login()
  @Post('wechat/login')
  @HttpCode(200)
  // tokens: never kept by a browser, a proxy or a mini-program's HTTP cache
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Sign in with a wx.login() code; first login creates the user' })
  @ApiErrors(WechatError.InvalidCode, WechatError.CodeUsed, WechatError.HighRiskUser, AuthError.UserDisabled, ...WechatCallErrors)
  @ApiHeader({ name: 'user-agent', required: false, description: 'Recorded with the session' })
  login(@Body() body: WechatLoginDto, @Ip() ip: string, @Headers('user-agent') userAgent?: string): Promise<LoginResult> {
    return this.wechatLogin.login(body.code, { ip, userAgent });
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Trade a refresh token for a new pair (the old one is retired)' })
  @ApiErrors(AuthError.InvalidRefreshToken, AuthError.RefreshTokenReused, AuthError.SessionLifetimeOver, AuthError.AccessRevoked)
  refresh(@Body() body: RefreshDto): Promise<IssuedTokens> {
    return this.sessions.refresh(body.refreshToken);
  }

  @Post('logout')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End this session: its access and refresh tokens stop working at once' })
  async logout(@CurrentPrincipal() principal: Principal): Promise<{ loggedOut: true }> {
    await this.sessions.revoke(principal.sessionId);
    return { loggedOut: true };
  }

  @Post('wechat/decrypt')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Signed()
  @RateLimitPolicy.wechatSession()
  @ApiBearerAuth()
  @ApiOperation({ summary: "Decrypt WeChat open data with this session's session_key (watermark appid checked)" })
  @ApiErrors(AuthError.Forbidden, AuthError.NoWechatSession, AuthError.WechatSignatureMismatch, AuthError.WechatDataInvalid)
  decrypt(@CurrentPrincipal() principal: Principal, @Body() body: WechatDecryptDto): Promise<Record<string, unknown>> {
    requireUser(principal);
    return this.wechatLogin.decrypt(principal.sessionId, body);
  }
}
