import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiErrors, CurrentPrincipal, type Principal, Roles } from '@app/http';
import { JobsError } from '@app/jobs';
import { AdminError } from './admin.errors';
import { AdminJobsService } from './admin-jobs.service';
import { AuditActors } from './audit-actors';
import { DeadLetterIdParams, DeadLetterQueryDto } from './dto/dead-letter.dto';

/** The dead-letter list: operators read, admins retry and delete (audited). */
@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin', 'operator')
@Controller('admin/jobs')
export class AdminJobsController {
  constructor(
    private readonly jobs: AdminJobsService,
    private readonly actors: AuditActors,
  ) {}

  @Get('failed')
  @ApiOperation({ summary: 'Jobs that failed for good (attempts used up or a permanent failure), newest first; filter by type' })
  @ApiErrors(JobsError.UnknownJobType, JobsError.QueueUnavailable, AdminError.PageTooDeep)
  failed(@Query() query: DeadLetterQueryDto) {
    return this.jobs.list({ type: query.type, page: query.page ?? 1, pageSize: query.pageSize ?? 20 });
  }

  @Post(':id/retry')
  @Roles('admin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Put a dead-lettered job back in its queue with all its attempts (audited)' })
  @ApiErrors(JobsError.JobNotFound, JobsError.JobNotFailed, JobsError.QueueUnavailable)
  async retry(@CurrentPrincipal() principal: Principal, @Param() params: DeadLetterIdParams, @Req() request: FastifyRequest) {
    return this.jobs.retry(await this.actors.of(principal, request), params.id);
  }

  @Delete(':id')
  @Roles('admin')
  @ApiOperation({ summary: 'Delete a dead-lettered job for good (audited, with its payload)' })
  @ApiErrors(JobsError.JobNotFound, JobsError.JobNotFailed, JobsError.QueueUnavailable)
  async remove(@CurrentPrincipal() principal: Principal, @Param() params: DeadLetterIdParams, @Req() request: FastifyRequest): Promise<void> {
    await this.jobs.remove(await this.actors.of(principal, request), params.id);
  }
}
