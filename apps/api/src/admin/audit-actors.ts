import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { FastifyRequest } from 'fastify';
import { Repository } from 'typeorm';
import { AppError, type Principal } from '@app/http';
import { AuthError } from '../auth';
import type { AuditActor } from './audit-log.service';
import { AdminAccount } from './entities/admin-account.entity';

/** Who performs an admin write, from the signed-in principal and the request: what every audit row names. */
@Injectable()
export class AuditActors {
  constructor(@InjectRepository(AdminAccount) private readonly accounts: Repository<AdminAccount>) {}

  async of(principal: Principal, request: FastifyRequest): Promise<AuditActor> {
    if (principal.kind !== 'admin') throw new AppError(AuthError.Forbidden);
    const account = await this.accounts.findOne({ where: { id: principal.id } });
    if (!account) throw new AppError(AuthError.SessionEnded);
    return { id: account.id, username: account.username, ip: request.ip, requestId: String(request.id) };
  }
}
