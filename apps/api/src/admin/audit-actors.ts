import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { FastifyRequest } from 'fastify';
import { Repository } from 'typeorm';
import { AppError, clientRequestIdOf, type Principal, serverRequestIdOf } from '@app/http';
import { AuthError } from '../auth';
import type { AuditActor } from './audit-log.service';
import { AdminAccount } from './entities/admin-account.entity';

/** Where a request came from, as audit rows and admin sessions record it. */
export interface RequestOrigin {
  ip: string;
  userAgent?: string;
  /** The server's own id of the request, never one the caller chose. */
  requestId: string;
  /** The caller's X-Request-Id when it sent a sane one (the id it got back), else null. */
  clientRequestId: string | null;
}

export function originOf(request: FastifyRequest): RequestOrigin {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip, userAgent, requestId: serverRequestIdOf(request), clientRequestId: clientRequestIdOf(request) };
}

/** Who performs an admin write, from the signed-in principal and the request: what every audit row names. */
@Injectable()
export class AuditActors {
  constructor(@InjectRepository(AdminAccount) private readonly accounts: Repository<AdminAccount>) {}

  /**
   * The account is read again for every write (writes are rare): one disabled or demoted behind
   * the API's back (straight in the database) writes nothing, although its session lives until
   * the next refresh.
   */
  async of(principal: Principal, request: FastifyRequest): Promise<AuditActor> {
    if (principal.kind !== 'admin') throw new AppError(AuthError.Forbidden);
    const account = await this.accounts.findOne({ where: { id: principal.id } });
    if (!account || account.disabled) throw new AppError(AuthError.SessionEnded);
    if (principal.role === 'admin' && account.role !== 'admin') throw new AppError(AuthError.Forbidden);
    const { ip, requestId, clientRequestId } = originOf(request);
    return { id: account.id, username: account.username, ip, requestId, clientRequestId };
  }
}
