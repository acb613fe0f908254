import { Body, Controller, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AccessError, ApiErrors, CurrentPrincipal, type Principal, requireUser, Signed } from '@app/http';
import { RateLimitPolicy } from '@app/resilience';
import { WechatApiClient, WechatCallErrors, WechatError } from '@app/wechat';
import { BindPhoneDto } from './dto/bind-phone.dto';
import { UpdateMeDto } from './dto/update-me.dto';
import { UserError } from './user.errors';
import { type UserProfile, UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth()
@ApiErrors(AccessError.Forbidden, UserError.NotFound)
@Controller('users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly wechat: WechatApiClient,
  ) {}

  @Get('me')
  @ApiOperation({ summary: 'The signed-in user' })
  me(@CurrentPrincipal() principal: Principal): Promise<UserProfile> {
    return this.users.profile(requireUser(principal));
  }

  @Patch('me')
  @ApiOperation({ summary: 'Change nickname and/or avatar; nothing else is writable' })
  update(@CurrentPrincipal() principal: Principal, @Body() body: UpdateMeDto): Promise<UserProfile> {
    return this.users.updateProfile(requireUser(principal), body);
  }

  @Post('me/phone')
  @HttpCode(200)
  @Signed()
  @RateLimitPolicy.wechatSession()
  @ApiOperation({ summary: 'Bind the phone number from a getPhoneNumber code' })
  @ApiErrors(WechatError.InvalidPhoneCode, ...WechatCallErrors)
  async bindPhone(@CurrentPrincipal() principal: Principal, @Body() body: BindPhoneDto): Promise<UserProfile> {
    const userId = requireUser(principal);
    const phone = await this.wechat.getPhoneNumber(body.code);
    return this.users.bindPhone(userId, phone.purePhoneNumber);
  }
}
