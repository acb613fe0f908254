import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiErrors, CurrentPrincipal, ParseIdPipe, type Principal, Roles } from '@app/http';
import { RateLimitPolicy } from '@app/resilience';
import { AdminError } from './admin.errors';
import { type AdminAccountPage, type AdminAccountView, AdminAccountsService } from './admin-accounts.service';
import { AuditActors } from './audit-actors';
import { ChangeOwnPasswordDto, CreateAdminAccountDto, UpdateAdminAccountDto } from './dto/admin-account.dto';
import { PageQueryDto } from '@app/http';

/**
 * Dashboard accounts. Admins only, except changing one's own password: the list names half of
 * every account's credentials, which an operator has no need to read.
 */
@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin', 'operator')
@Controller('admin/accounts')
export class AdminAccountsController {
  constructor(
    private readonly accounts: AdminAccountsService,
    private readonly actors: AuditActors,
  ) {}

  @Get()
  @Roles('admin')
  @ApiOperation({ summary: 'Dashboard accounts, oldest first (admins only)' })
  @ApiErrors(AdminError.PageTooDeep)
  list(@Query() query: PageQueryDto): Promise<AdminAccountPage> {
    return this.accounts.list({ page: query.page ?? 1, pageSize: query.pageSize ?? 20 });
  }

  @Post()
  @Roles('admin')
  @ApiOperation({ summary: 'Create a dashboard account (admins only, audited); the same rules as npm run admin:create' })
  @ApiErrors(AdminError.UsernameTaken)
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateAdminAccountDto, @Req() request: FastifyRequest): Promise<AdminAccountView> {
    return this.accounts.create(await this.actors.of(principal, request), body);
  }

  @Post('me/password')
  @HttpCode(200)
  @RateLimitPolicy.login()
  @ApiOperation({ summary: "Change one's own password (current one required, audited); the account's other sessions end" })
  @ApiErrors(AdminError.WrongCurrentPassword)
  async changeOwnPassword(
    @CurrentPrincipal() principal: Principal,
    @Body() body: ChangeOwnPasswordDto,
    @Req() request: FastifyRequest,
  ): Promise<{ endedSessions: number }> {
    return this.accounts.changeOwnPassword(await this.actors.of(principal, request), principal, body.currentPassword, body.newPassword);
  }

  @Patch(':id')
  @Roles('admin')
  @ApiOperation({ summary: 'Change role and/or disabled (admins only, audited); disabling or demoting ends its sessions at once' })
  @ApiErrors(AdminError.AccountNotFound, AdminError.LastActiveAdmin)
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseIdPipe) id: number,
    @Body() body: UpdateAdminAccountDto,
    @Req() request: FastifyRequest,
  ): Promise<AdminAccountView> {
    return this.accounts.update(await this.actors.of(principal, request), id, body);
  }
}
