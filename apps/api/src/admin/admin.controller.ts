import { Body, Controller, Get, Header, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiErrors, CurrentPrincipal, ParseIdPipe, type Principal, Public, Roles } from '@app/http';
import { RateLimitPolicy } from '@app/resilience';
import { AuthError } from '../auth';
import { UserError } from '../user';
import { AdminError } from './admin.errors';
import { type AdminLoginResult, AdminAuthService } from './admin-auth.service';
import { AdminUsersService } from './admin-users.service';
import { AuditActors, originOf } from './audit-actors';
import { AuditLogService } from './audit-log.service';
import { AdminLoginDto, AdminUpdateUserDto, AdminUserQueryDto, AuditLogQueryDto } from './dto/admin.dto';

@ApiTags('admin')
@Controller('auth/admin')
export class AdminAuthController {
  constructor(private readonly adminAuth: AdminAuthService) {}

  @Public()
  @RateLimitPolicy.login()
  @Post('login')
  @HttpCode(200)
  // tokens: never kept by a browser or a proxy
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Dashboard sign-in (username + password); locked after repeated failures; audited' })
  @ApiErrors(AuthError.InvalidCredentials, AuthError.LoginLocked)
  @ApiHeader({ name: 'user-agent', required: false, description: 'Recorded with the session' })
  login(@Body() body: AdminLoginDto, @Req() request: FastifyRequest): Promise<AdminLoginResult> {
    return this.adminAuth.login(body.username, body.password, originOf(request));
  }
}

/** Dashboard routes: operators read, admins read and write; mini-program users get 403. */
@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin', 'operator')
@Controller('admin')
export class AdminController {
  constructor(
    private readonly adminUsers: AdminUsersService,
    private readonly auditLogs: AuditLogService,
    private readonly actors: AuditActors,
  ) {}

  @Get('users')
  @ApiOperation({ summary: 'Mini-program users, newest first; search by nickname or the last 4 digits of the phone (phones masked)' })
  @ApiErrors(AdminError.PageTooDeep)
  users(@Query() query: AdminUserQueryDto) {
    return this.adminUsers.list({
      page: query.page ?? 1,
      pageSize: query.pageSize ?? 20,
      search: query.search,
      disabled: query.disabled === undefined ? undefined : query.disabled === 'true',
    });
  }

  @Patch('users/:id')
  @Roles('admin')
  @ApiOperation({ summary: 'Disable or enable a user (audited; disabling ends their sessions at once)' })
  @ApiErrors(UserError.NotFound)
  async updateUser(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseIdPipe) id: number,
    @Body() body: AdminUpdateUserDto,
    @Req() request: FastifyRequest,
  ) {
    return this.adminUsers.setDisabled(await this.actors.of(principal, request), id, body.disabled);
  }

  @Get('audit-logs')
  @ApiOperation({ summary: 'Audit trail of admin writes and sign-ins, newest first, filterable' })
  @ApiErrors(AdminError.PageTooDeep)
  logs(@Query() query: AuditLogQueryDto) {
    return this.auditLogs.list({ ...query, page: query.page ?? 1, pageSize: query.pageSize ?? 20 });
  }
}
