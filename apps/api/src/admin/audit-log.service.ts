import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Repository } from 'typeorm';
import { checkPageDepth } from './admin-paging';
import { AuditLog } from './entities/audit-log.entity';

/** Who did it and from where: taken from the request (see AuditActors). */
export interface AuditActor {
  /** 0 for a failed sign-in to an account that does not exist. */
  id: number;
  username: string;
  ip: string;
  /** The server's id of the request. */
  requestId: string;
  /** The caller's X-Request-Id, if it sent a sane one. */
  clientRequestId: string | null;
}

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId: string | number;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export interface AuditLogQuery {
  page: number;
  pageSize: number;
  action?: string;
  actorId?: number;
  targetType?: string;
  targetId?: string;
  from?: Date;
  to?: Date;
}

export interface AuditLogView {
  id: number;
  actor: { id: number; username: string };
  action: string;
  target: { type: string; id: string };
  before: unknown;
  after: unknown;
  ip: string;
  requestId: string;
  clientRequestId: string | null;
  createdAt: string;
}

/**
 * The audit trail of admin writes and sign-ins. `record` takes the caller's transaction manager:
 * the audit row commits or rolls back with the change it describes.
 */
@Injectable()
export class AuditLogService {
  constructor(@InjectRepository(AuditLog) private readonly logs: Repository<AuditLog>) {}

  async record(manager: EntityManager, actor: AuditActor, entry: AuditEntry): Promise<void> {
    await manager.insert(AuditLog, {
      actorId: actor.id,
      actorUsername: actor.username,
      action: entry.action,
      targetType: entry.targetType,
      targetId: String(entry.targetId),
      before: entry.before ? JSON.stringify(entry.before) : null,
      after: entry.after ? JSON.stringify(entry.after) : null,
      ip: actor.ip.slice(0, 64),
      requestId: actor.requestId.slice(0, 128),
      clientRequestId: actor.clientRequestId?.slice(0, 128) ?? null,
    });
  }

  async list(query: AuditLogQuery): Promise<{ items: AuditLogView[]; total: number; page: number; pageSize: number }> {
    checkPageDepth(query);
    const builder = this.logs.createQueryBuilder('log').orderBy('log.id', 'DESC');
    if (query.action) builder.andWhere('log.action = :action', { action: query.action });
    if (query.actorId !== undefined) builder.andWhere('log.actorId = :actorId', { actorId: query.actorId });
    if (query.targetType) builder.andWhere('log.targetType = :targetType', { targetType: query.targetType });
    if (query.targetId) builder.andWhere('log.targetId = :targetId', { targetId: query.targetId });
    if (query.from) builder.andWhere('log.createdAt >= :from', { from: query.from });
    if (query.to) builder.andWhere('log.createdAt < :to', { to: query.to });
    const [rows, total] = await builder
      .skip((query.page - 1) * query.pageSize)
      .take(query.pageSize)
      .getManyAndCount();
    return {
      items: rows.map((row) => ({
        id: row.id,
        actor: { id: row.actorId, username: row.actorUsername },
        action: row.action,
        target: { type: row.targetType, id: row.targetId },
        before: row.before ? JSON.parse(row.before) : null,
        after: row.after ? JSON.parse(row.after) : null,
        ip: row.ip,
        requestId: row.requestId,
        clientRequestId: row.clientRequestId,
        createdAt: row.createdAt.toISOString(),
      })),
      total,
      page: query.page,
      pageSize: query.pageSize,
    };
  }
}
