import { Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge, register } from 'prom-client';
import { DataSource } from 'typeorm';

export const DB_POOL_CONNECTIONS = 'db_pool_connections';
export const DB_POOL_CONNECTIONS_MAX = 'db_pool_connections_max';

/** The counts a mysql2 pool keeps (its queues have a length); read at scrape time only. */
interface Mysql2PoolState {
  _allConnections?: { length: number };
  _freeConnections?: { length: number };
  _connectionQueue?: { length: number };
  config?: { connectionLimit?: number };
}

/**
 * db_pool_connections{state="in_use|idle|waiting"} and db_pool_connections_max, for the
 * dashboard's "DB pool in use / waiting" panel and the capacity plan (docs/operations.md).
 * Read from mysql2's own queues when Prometheus scrapes: nothing per query. The embedded
 * profile (SQLite) has no pool and exports nothing.
 */
@Injectable()
export class DatabasePoolMetrics implements OnModuleInit {
  constructor(private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    const poolOf = (): Mysql2PoolState | undefined => (this.dataSource.driver as { pool?: Mysql2PoolState }).pool;
    if (this.dataSource.options.type !== 'mysql' && this.dataSource.options.type !== 'mariadb') return;
    if (!register.getSingleMetric(DB_POOL_CONNECTIONS)) {
      new Gauge({
        name: DB_POOL_CONNECTIONS,
        help: 'Database pool connections by state: in_use (lent out), idle (open, free), waiting (callers queued for one)',
        labelNames: ['state'],
        collect() {
          const pool = poolOf();
          if (!pool) return;
          const all = pool._allConnections?.length ?? 0;
          const idle = pool._freeConnections?.length ?? 0;
          this.set({ state: 'in_use' }, all - idle);
          this.set({ state: 'idle' }, idle);
          this.set({ state: 'waiting' }, pool._connectionQueue?.length ?? 0);
        },
      });
    }
    if (!register.getSingleMetric(DB_POOL_CONNECTIONS_MAX)) {
      new Gauge({
        name: DB_POOL_CONNECTIONS_MAX,
        help: 'Most connections the database pool opens (DB_POOL_SIZE)',
        collect() {
          const limit = poolOf()?.config?.connectionLimit;
          if (limit !== undefined) this.set(limit);
        },
      });
    }
  }
}
